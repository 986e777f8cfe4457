import {describe, expect, it} from 'vitest'
import rule from '../../rules/cross-numa-polling.js'
import type {HostState} from '../../src/model/host-state.js'
import {makeState, pmd, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const rxq = (port: string, queueId: number) => ({port, queueId, enabled: true, usagePct: 10})
function stateWith(dpdk0Numa: number | null, pmdNuma: number | null): HostState {
  const base = makeState()
  return makeState({
    ports: base.ports.map((p) => (p.name === 'dpdk0' ? {...p, numaId: dpdk0Numa} : p.name === 'vhost-user1' ? {...p, numaId: null} : p)),
    pmds: [pmd(20, {numaId: pmdNuma, rxqs: [rxq('dpdk0', 0), rxq('dpdk0', 1), rxq('vhost-user1', 0)]})],
  })
}

describe('cross-numa-polling', () => {
  it('fires for a port polled from another NUMA node', () => {
    const result = expectFires(rule, {state: stateWith(1, 0)}, ['dpdk0'])
    const f = result.findings[0]!
    expect(f.severity).toBe('warning')
    expect(f.evidence).toMatchObject({portNuma: 1, pollingPmds: ['pmd core 20 (numa 0)'], queues: [0, 1]})
  })

  it('is quiet when NUMA-local', () => {
    expectQuiet(rule, {state: stateWith(0, 0)})
  })

  it('is unknown without NUMA ids, or without pmd-rxq', () => {
    expectUnknown(rule, {state: stateWith(null, 0)})
    expectUnknown(rule, {state: stateWith(1, null)})
    expectUnknown(rule, {state: without(stateWith(1, 0), 'pmd-rxq')})
  })
})
