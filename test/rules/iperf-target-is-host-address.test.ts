import {describe, expect, it} from 'vitest'
import rule from '../../rules/iperf-target-is-host-address.js'
import {brokenWindow, fixedWindow, iperf, makeState, makeWindow, path, without} from '../helpers/factory.js'
import {hostTargetWindow} from '../helpers/load-windows.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

describe('iperf-target-is-host-address', () => {
  it('warns when iperf3 targets ovsbr0\'s own address', () => {
    const f = expectFires(rule, {window: hostTargetWindow()}, ['10.10.1.1']).findings[0]!
    expect(f.severity).toBe('warning')
    expect(f.evidence).toMatchObject({end: 'target', address: '10.10.1.1', interface: 'ovsbr0'})
    expect(f.message).toBe("iperf3 target 10.10.1.1 is this host's own address (ovsbr0): measuring the kernel/tap path, not DPDK")
  })

  it('warns when iperf3 ran from the host itself', () => {
    const window = makeWindow({paths: [path('eno1', 'kernel-nic', 1e9)], load: iperf({target: '198.51.100.7', localHost: '192.0.2.10'})})
    const f = expectFires(rule, {window}, ['192.0.2.10']).findings[0]!
    expect(f.evidence).toMatchObject({end: 'source', interface: 'eno1'})
  })

  it('stays quiet for VM-to-VM tests (broken and fixed hosts alike)', () => {
    expectQuiet(rule, {window: brokenWindow()})
    expectQuiet(rule, {window: fixedWindow()})
  })

  it('is not applicable without a known target, unknown without a window or ip-addr', () => {
    expectQuiet(rule, {window: makeWindow({paths: [path('vhost-user1', 'vhost', 1e9)], load: null})}, 'not-applicable')
    expectUnknown(rule, {state: makeState(), window: null})
    const w = hostTargetWindow()
    expectUnknown(rule, {window: {...w, during: without(w.during, 'ip-addr')}})
  })
})
