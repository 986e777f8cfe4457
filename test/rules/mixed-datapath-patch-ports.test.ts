import {describe, expect, it} from 'vitest'
import rule from '../../rules/mixed-datapath-patch-ports.js'
import type {HostState} from '../../src/model/host-state.js'
import {makeState, port, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

/** ovsbr0 (netdev) patched to br-ex of the given datapath type. */
function patched(exType: string): HostState {
  const base = makeState()
  return {
    ...base,
    bridges: [
      {...base.bridges[0]!, ports: [...base.bridges[0]!.ports, 'patch-ex']},
      {name: 'br-ex', datapathType: exType, ports: ['br-ex', 'patch-int'], otherConfig: {}},
    ],
    ports: [
      ...base.ports,
      port('patch-ex', 'patch', {options: {peer: 'patch-int'}}),
      port('br-ex', 'internal', {bridge: 'br-ex'}),
      port('patch-int', 'patch', {bridge: 'br-ex', options: {peer: 'patch-ex'}}),
    ],
  }
}

describe('mixed-datapath-patch-ports', () => {
  it('fires once per patch pair joining netdev and system bridges, named from the netdev side', () => {
    const f = expectFires(rule, {state: patched('system')}, ['patch-ex']).findings[0]!
    expect(f.severity).toBe('critical')
    expect(f.evidence).toEqual({port: 'patch-ex', bridge: 'ovsbr0', datapathType: 'netdev', peer: 'patch-int', peerBridge: 'br-ex', peerDatapathType: 'system'})
    // OVSDB spells the kernel datapath "" as well.
    expectFires(rule, {state: patched('')}, ['patch-ex'])
  })

  it('notes mixed bridge types without a patch pair as info', () => {
    const base = makeState()
    const state = {...base, bridges: [...base.bridges, {name: 'br-mgmt', datapathType: 'system', ports: ['br-mgmt'], otherConfig: {}}]}
    const f = expectFires(rule, {state}, ['host']).findings[0]!
    expect(f.severity).toBe('info')
    expect(f.message).toContain('ovsbr0 (netdev), br-mgmt (system)')
  })

  it('stays quiet with one datapath type (the fixed host, or two patched netdev bridges)', () => {
    expectQuiet(rule, {state: makeState()})
    expectQuiet(rule, {state: patched('netdev')})
  })

  it('is unknown without the bridge or interface tables', () => {
    expectUnknown(rule, {state: without(patched('system'), 'ovsdb-bridge')})
    expectUnknown(rule, {state: without(patched('system'), 'ovsdb-interface')})
  })
})
