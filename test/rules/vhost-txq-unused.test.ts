import {describe, expect, it} from 'vitest'
import rule from '../../rules/vhost-txq-unused.js'
import type {HostState} from '../../src/model/host-state.js'
import {makeState, makeWindow, path, pmd, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

/** status as OVS prints it: 3.x adds n_rxq/n_txq (netdev-dpdk vhost get_status); 2.17 only num_of_vrings. */
function host(opts: {pairs: number; pmds: number; steering?: string; version?: string; withNtxq?: boolean}): HostState {
  const base = makeState()
  return makeState({
    versions: {...base.versions, ovs: opts.version ?? '3.1.0'},
    pmds: Array.from({length: opts.pmds}, (_, i) => pmd(i + 2)),
    ports: base.ports.map((p) => {
      if (p.name !== 'vhost-user1') return p
      const status: Record<string, string> = {mode: 'client', status: 'connected', num_of_vrings: String(opts.pairs * 2)}
      if (opts.withNtxq !== false) Object.assign(status, {n_rxq: String(opts.pairs), n_txq: String(opts.pairs)})
      return {...p, status, otherConfig: opts.steering ? {'tx-steering': opts.steering} : {}}
    }),
  })
}

const txDeltas = (moving: number, total: number) => ({'vhost-user1': Object.fromEntries(Array.from({length: total}, (_, q) => [`tx_q${q}_good_packets`, q < moving ? 1000 : 0]))})

describe('vhost-txq-unused', () => {
  it('the seed: 8 queue pairs, 4 PMDs, thread steering: 3 of 8 unused (OVS 3.1 n_txq; 2.17 num_of_vrings)', () => {
    const r = expectFires(rule, {state: host({pairs: 8, pmds: 4})}, ['vhost-user1'])
    expect(r.findings[0]).toMatchObject({severity: 'warning', limit: '3 of 8 vhost Tx queues unused'})
    expect(r.findings[0]!.evidence).toMatchObject({txQueues: 8, threads: 5, unused: 3, txSteering: 'thread'})
    expectFires(rule, {state: host({pairs: 8, pmds: 4, version: '2.17.9', withNtxq: false})}, ['vhost-user1'])
  })

  it('the window names the queues that moved (tx_qN_good_packets deltas)', () => {
    const state = host({pairs: 2, pmds: 1})
    const window = makeWindow({before: state, during: {...state, sample: 'during'}, paths: [path('vhost-user1', 'vhost', 1e9)], statisticsDeltas: txDeltas(1, 2)})
    const r = expectFires(rule, {window}, ['vhost-user1'])
    expect(r.findings[0]!.evidence).toMatchObject({movedInWindow: [0], unused: 1})
  })

  it('is quiet with tx-steering=hash, with enough threads, or when every queue moved', () => {
    expectQuiet(rule, {state: host({pairs: 8, pmds: 4, steering: 'hash'})})
    expectQuiet(rule, {state: host({pairs: 2, pmds: 2})})
    const state = host({pairs: 4, pmds: 1})
    expectQuiet(rule, {window: makeWindow({before: state, during: {...state, sample: 'during'}, paths: [path('vhost-user1', 'vhost', 1e9)], statisticsDeltas: txDeltas(4, 4)})})
  })

  it('the lab case: 2 queue pairs, 1 PMD: 1 of 2 gets no PMD traffic (the main thread only sends kernel-side traffic)', () => {
    const r = expectFires(rule, {state: host({pairs: 2, pmds: 1})}, ['vhost-user1'])
    expect(r.findings[0]!.limit).toBe('1 of 2 vhost Tx queues get no PMD traffic')
  })

  it('is unknown without PMDs or without pmd-rxq', () => {
    expectUnknown(rule, {state: host({pairs: 8, pmds: 0})})
    expectUnknown(rule, {state: without(host({pairs: 8, pmds: 4}), 'pmd-rxq')})
  })
})
