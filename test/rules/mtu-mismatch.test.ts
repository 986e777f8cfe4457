import {describe, expect, it} from 'vitest'
import rule from '../../rules/mtu-mismatch.js'
import type {HostState} from '../../src/model/host-state.js'
import {makeState, makeWindow, path, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const mtus = (dpdk0: number | null, vhost: number | null): HostState => {
  const base = makeState()
  return makeState({ports: base.ports.map((p) => (p.name === 'dpdk0' ? {...p, mtu: dpdk0} : p.name === 'vhost-user1' ? {...p, mtu: vhost} : p))})
}
const windowWith = (state: HostState, drops: number) =>
  makeWindow({paths: [path('dpdk0', 'dpdk', 1e9)], before: state, statisticsDeltas: {'dpdk0': {ovs_tx_mtu_exceeded_drops: drops}}})

describe('mtu-mismatch', () => {
  it('warns on differing MTUs and suggests the largest', () => {
    const result = expectFires(rule, {state: mtus(9000, 1500)}, ['ovsbr0'])
    const f = result.findings[0]!
    expect(f.severity).toBe('warning')
    expect(f.evidence['mtus']).toEqual({'dpdk0': 9000, 'vhost-user1': 1500})
    expect(f.fixes).toEqual([{kind: 'ovs-set', table: 'Interface', record: 'vhost-user1', column: 'mtu_request', value: '9000'}])
  })

  it('is critical when the window shows MTU-exceeded drops', () => {
    const result = expectFires(rule, {window: windowWith(mtus(9000, 1500), 42)}, ['ovsbr0'])
    expect(result.findings[0]!.severity).toBe('critical')
    expect(result.findings[0]!.evidence['mtuExceededDrops']).toMatchObject({'dpdk0': 42})
  })

  it('is critical on MTU-exceeded drops even with equal OVS MTUs (guest/peer MTU)', () => {
    const result = expectFires(rule, {window: windowWith(mtus(1500, 1500), 7)}, ['dpdk0'])
    expect(result.findings[0]!.severity).toBe('critical')
  })

  it('is quiet with equal MTUs', () => {
    expectQuiet(rule, {state: mtus(1500, 1500)})
    expectQuiet(rule, {window: windowWith(mtus(1500, 1500), 0)})
  })

  it('is unknown without MTUs or the Interface table', () => {
    expectUnknown(rule, {state: mtus(null, 1500)})
    expectUnknown(rule, {state: without(makeState(), 'ovsdb-interface')})
  })
})
