import {describe, expect, it} from 'vitest'
import rule from '../../rules/tx-failure-drops.js'
import {makeState, makeWindow, path} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const windowWith = (deltas: Record<string, Record<string, number>>) => makeWindow({paths: [path('vhost-user1', 'vhost', 1e9, 600_000)], statisticsDeltas: deltas})

describe('tx-failure-drops', () => {
  it('fires critical with the drop count, an n_txq_desc fix for dpdk and a manual one for vhost', () => {
    const result = expectFires(rule, {window: windowWith({'vhost-user1': {ovs_tx_failure_drops: 250}, 'dpdk0': {ovs_tx_failure_drops: 9}})}, ['dpdk0', 'vhost-user1'])
    const vhost = result.findings.find((f) => f.subject === 'vhost-user1')!
    expect(vhost.severity).toBe('critical')
    expect(vhost.evidence['txFailureDrops']).toBe(250)
    expect(vhost.evidence['txPackets']).toBe(300_000)
    expect(vhost.fixes[0]!.kind).toBe('manual')
    expect(result.findings.find((f) => f.subject === 'dpdk0')!.fixes).toEqual([{kind: 'ovs-set', table: 'Interface', record: 'dpdk0', column: 'options:n_txq_desc', value: '4096'}])
  })

  it('is quiet without drops', () => {
    expectQuiet(rule, {window: windowWith({'vhost-user1': {ovs_tx_failure_drops: 0}, 'dpdk0': {ovs_tx_failure_drops: 0}})})
  })

  it('is unknown when the counter is not reported, or without a window', () => {
    expectUnknown(rule, {window: windowWith({'vhost-user1': {tx_packets: 10}})})
    expectUnknown(rule, {state: makeState()})
  })
})
