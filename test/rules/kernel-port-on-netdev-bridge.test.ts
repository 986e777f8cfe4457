import {describe, expect, it} from 'vitest'
import rule from '../../rules/kernel-port-on-netdev-bridge.js'
import type {HostState} from '../../src/model/host-state.js'
import {fixedWindow, makeState, makeWindow, path, port, without} from '../helpers/factory.js'
import {idleWindow} from '../helpers/load-windows.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

/** The healthy host plus a VM tap and a veth attached to ovsbr0, and a system bridge with a kernel port. */
function withKernelPorts(): HostState {
  const base = makeState()
  return {
    ...base,
    bridges: [
      {...base.bridges[0]!, ports: [...base.bridges[0]!.ports, 'tap-vm2', 'veth-pod']},
      {name: 'br-kernel', datapathType: 'system', ports: ['br-kernel', 'eth9'], otherConfig: {}},
    ],
    ports: [...base.ports, port('tap-vm2', 'tap'), port('veth-pod', 'system'), port('eth9', 'system', {bridge: 'br-kernel'})],
  }
}

const loaded = (kernelBytes: number, name = 'tap-vm2') => {
  const state = withKernelPorts()
  return makeWindow({
    before: state,
    paths: [path('vhost-user1', 'vhost', 1e9), path('dpdk0', 'dpdk', 1e9 - kernelBytes), path(name, 'ovs-kernel-port', kernelBytes)],
  })
}

describe('kernel-port-on-netdev-bridge', () => {
  it('warns when a VM tap on the netdev bridge carried 40 % of the load', () => {
    const f = expectFires(rule, {window: loaded(0.4e9)}, ['tap-vm2']).findings[0]!
    expect(f.severity).toBe('warning')
    expect(f.evidence).toMatchObject({bridge: 'ovsbr0', portType: 'tap', bytes: 0.4e9, byteShare: 0.4, failShare: 0.1})
  })

  it('names a system (veth) port too', () => {
    expect(expectFires(rule, {window: loaded(0.2e9, 'veth-pod')}, ['veth-pod']).findings[0]!.evidence['portType']).toBe('system')
  })

  it('stays quiet below the threshold, on a system bridge, and on the fixed host', () => {
    expectQuiet(rule, {window: loaded(0.05e9)})
    expectQuiet(rule, {window: loaded(0.5e9, 'eth9')})
    expectQuiet(rule, {window: fixedWindow()})
  })

  it('is unknown without a window, without traffic or without the bridge table', () => {
    expectUnknown(rule, {state: makeState(), window: null})
    expectUnknown(rule, {window: idleWindow()})
    const w = loaded(0.4e9)
    expectUnknown(rule, {window: {...w, before: without(w.before, 'ovsdb-bridge')}})
  })
})
