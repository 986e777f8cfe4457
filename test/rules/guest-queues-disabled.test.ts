import {describe, expect, it} from 'vitest'
import rule from '../../rules/guest-queues-disabled.js'
import type {HostState} from '../../src/model/host-state.js'
import type {PmdRxq} from '../../src/parsers/types.js'
import {parsePmdRxq} from '../../src/parsers/pmd.js'
import {makeState, makeWindow, path, pmd, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

/** pmd-rxq-show of OVS 3.1 with the guest's queue 1 disabled (the layout of FIELD.md 3.3, OVS's pmd_info_show_rxq). */
const RXQ_31 = `Displaying last 60 seconds pmd usage %
pmd thread numa_id 0 core_id 2:
  isolated : false
  port: dpdk0             queue-id:  0 (enabled)   pmd usage: 37 %
  port: vhost-user1       queue-id:  0 (enabled)   pmd usage: 21 %
  overhead:  3 %
pmd thread numa_id 0 core_id 3:
  isolated : false
  port: dpdk0             queue-id:  1 (enabled)   pmd usage:  0 %
  port: vhost-user1       queue-id:  1 (disabled)  pmd usage: NOT AVAIL
  overhead: NOT AVAIL
`

function host(rxqs: PmdRxq[][], pairs = 2): HostState {
  const base = makeState()
  return makeState({
    pmds: rxqs.map((r, i) => pmd(i + 2, {rxqs: r})),
    ports: base.ports.map((p) => (p.name === 'vhost-user1' ? {...p, status: {...p.status, num_of_vrings: String(pairs * 2), n_rxq: String(pairs)}} : p)),
  })
}

describe('guest-queues-disabled', () => {
  it('fires on "(disabled)" queues of a parsed OVS 3.1 pmd-rxq-show', () => {
    const parsed = parsePmdRxq(RXQ_31)
    if (!parsed.ok) throw new Error(parsed.error)
    const r = expectFires(rule, {state: host(parsed.value.pmds.map((p) => p.rxqs))}, ['vhost-user1'])
    expect(r.findings[0]).toMatchObject({severity: 'warning', limit: '1 of 2 guest queues disabled'})
    expect(r.findings[0]!.evidence).toMatchObject({disabledQueues: [1]})
  })

  it('only queue 0 moving in the window: info', () => {
    const state = host([[{port: 'vhost-user1', queueId: 0, enabled: null, usagePct: null}], [{port: 'vhost-user1', queueId: 1, enabled: null, usagePct: null}]])
    const window = makeWindow({before: state, during: {...state, sample: 'during'}, paths: [path('vhost-user1', 'vhost', 1e9)], statisticsDeltas: {'vhost-user1': {rx_q0_good_packets: 5000, rx_q1_good_packets: 0}}})
    expect(expectFires(rule, {window}, ['vhost-user1']).findings[0]!.severity).toBe('info')
  })

  it('is quiet when every queue is enabled and several move; not applicable without a guest; unknown without pmd-rxq', () => {
    const all = host([[{port: 'vhost-user1', queueId: 0, enabled: true, usagePct: 10}], [{port: 'vhost-user1', queueId: 1, enabled: true, usagePct: 10}]])
    const window = makeWindow({before: all, during: {...all, sample: 'during'}, paths: [path('vhost-user1', 'vhost', 1e9)], statisticsDeltas: {'vhost-user1': {rx_q0_good_packets: 5000, rx_q1_good_packets: 10}}})
    expectQuiet(rule, {window})
    const base = makeState()
    expectQuiet(rule, {state: makeState({ports: base.ports.map((p) => (p.class === 'vhost' ? {...p, status: {status: 'disconnected'}} : p))})}, 'not-applicable')
    expectUnknown(rule, {state: without(all, 'pmd-rxq')})
  })
})
