import {describe, expect, it} from 'vitest'
import rule from '../../rules/dpdk-port-idle-under-load.js'
import {brokenWindow, fixedWindow, makeState, makeWindow, path, without} from '../helpers/factory.js'
import {hostTargetWindow, idleWindow, sameHostWindow} from '../helpers/load-windows.js'
import {expectFires, expectQuiet, expectUnknown, run} from '../helpers/rule-tester.js'

describe('dpdk-port-idle-under-load', () => {
  it('fires on the seed window: dpdk0 moved 84 B against 560 MB on the VM side', () => {
    const f = expectFires(rule, {window: brokenWindow()}, ['dpdk0']).findings[0]!
    expect(f.severity).toBe('critical')
    expect(f.evidence).toMatchObject({dpdkBytes: 84, dpdkPackets: 2, referenceBytes: 560e6, failShare: 0.1, ports: [{name: 'dpdk0', bytes: 84, packets: 2}]})
    expect(f.evidence['byteShare']).toBeLessThan(1e-6)
    expect(f.message).toMatch(/^dpdk0 moved 84 B \(2 packets\) while the VMs moved 560 MB: < 0\.1 % /)
  })

  it('judges bytes, not packets: few TSO super-packets on the VM side still pass', () => {
    // 1.4 GB through dpdk0 in MTU frames vs 20k 64 kB super-packets on vhost: a byte share of 1.
    const tso = makeWindow({paths: [path('vhost-user1', 'vhost', 1.4e9, 20_000), path('dpdk0', 'dpdk', 1.4e9, 950_000)]})
    expectQuiet(rule, {window: tso})
  })

  it('fires under the threshold; a lower threshold override silences it', () => {
    const under = makeWindow({paths: [path('vhost-user1', 'vhost', 1e9), path('dpdk0', 'dpdk', 0.09e9)]})
    expectFires(rule, {window: under}, ['dpdk0'])
    expectQuiet(rule, {window: under, thresholds: {failShare: 0.05}})
  })

  it('stays quiet on the fixed window', () => {
    expectQuiet(rule, {window: fixedWindow()})
  })

  it('is not applicable for a host target (G1) or a same-host test (G2)', () => {
    const g1 = expectQuiet(rule, {window: hostTargetWindow()}, 'not-applicable')
    expect(g1.reason).toContain('10.10.1.1')
    const g2 = expectQuiet(rule, {window: sameHostWindow()}, 'not-applicable')
    expect(g2.reason).toContain('vhost-user1, vhost-user2')
  })

  it('is unknown without a window, without traffic, without dpdk counters or without ip-addr', () => {
    expectUnknown(rule, {state: makeState(), window: null})
    expect(run(rule, {window: idleWindow()}).reason).toBe('no load traffic seen in the window')
    expectUnknown(rule, {window: idleWindow()})
    expectUnknown(rule, {window: makeWindow({paths: [path('vhost-user1', 'vhost', 1e9)]})})
    const w = brokenWindow()
    expectUnknown(rule, {window: {...w, before: without(w.before, 'ip-addr')}})
  })
})
