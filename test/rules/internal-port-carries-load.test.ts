import {describe, expect, it} from 'vitest'
import rule from '../../rules/internal-port-carries-load.js'
import {brokenWindow, fixedWindow, makeState, makeWindow, path} from '../helpers/factory.js'
import {hostTargetWindow, idleWindow, sameHostWindow} from '../helpers/load-windows.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

describe('internal-port-carries-load', () => {
  it('fires on the seed window: ovsbr0 carried all of the VM traffic, main thread busy', () => {
    const f = expectFires(rule, {window: brokenWindow()}, ['ovsbr0']).findings[0]!
    expect(f.severity).toBe('critical')
    expect(f.evidence).toMatchObject({bytes: 560e6, byteShare: 1, failShare: 0.1, mainThreadPackets: 117_614})
    expect(f.message).toContain('the OVS main thread (not a PMD) handled 117,614 packets')
  })

  it('leaves the main-thread remark out when it handled nothing', () => {
    const window = makeWindow({paths: [path('vhost-user1', 'vhost', 1e9), path('ovsbr0', 'internal', 0.5e9)], mainThreadPackets: 0})
    const f = expectFires(rule, {window}, ['ovsbr0']).findings[0]!
    expect(f.message).not.toContain('main thread')
    expect(f.evidence['byteShare']).toBe(0.5)
  })

  it('stays quiet on the fixed window and at 10 % exactly', () => {
    expectQuiet(rule, {window: fixedWindow()})
    expectQuiet(rule, {window: makeWindow({paths: [path('vhost-user1', 'vhost', 1e9), path('dpdk0', 'dpdk', 0.9e9), path('ovsbr0', 'internal', 0.1e9)]})})
  })

  it('is not applicable for a host target (G1) or a same-host test (G2)', () => {
    expectQuiet(rule, {window: hostTargetWindow()}, 'not-applicable')
    expectQuiet(rule, {window: sameHostWindow()}, 'not-applicable')
  })

  it('is unknown without a window, without traffic, or without internal-port counters', () => {
    expectUnknown(rule, {state: makeState(), window: null})
    expectUnknown(rule, {window: idleWindow()})
    expectUnknown(rule, {window: makeWindow({paths: [path('vhost-user1', 'vhost', 1e9), path('dpdk0', 'dpdk', 1e9)]})})
  })
})
