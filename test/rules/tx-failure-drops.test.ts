import {describe, expect, it} from 'vitest'
import rule from '../../rules/tx-failure-drops.js'
import {makeState, makeWindow, path} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

// vhost-user1 sends 300,000 packets in the window; dpdk0 has no live counters (share unknown).
const windowWith = (deltas: Record<string, Record<string, number>>) => makeWindow({paths: [path('vhost-user1', 'vhost', 1e9, 600_000)], statisticsDeltas: deltas})

describe('tx-failure-drops', () => {
  it('fires critical above 1 % of the tx packets, with a manual fix for vhost', () => {
    const result = expectFires(rule, {window: windowWith({'vhost-user1': {ovs_tx_failure_drops: 6000}})}, ['vhost-user1'])
    const vhost = result.findings[0]!
    expect(vhost.severity).toBe('critical')
    expect(vhost.evidence['txFailureDrops']).toBe(6000)
    expect(vhost.evidence['txPackets']).toBe(300_000)
    expect(vhost.evidence['dropShare']).toBeCloseTo(6000 / 306_000, 6)
    expect(vhost.fixes[0]!.kind).toBe('manual')
  })

  it('warns between 0.1 % and 1 %, and when the share is unknown (an n_txq_desc fix for dpdk)', () => {
    const result = expectFires(rule, {window: windowWith({'vhost-user1': {ovs_tx_failure_drops: 600}, 'dpdk0': {ovs_tx_failure_drops: 9}})}, ['dpdk0', 'vhost-user1'])
    expect(result.findings.map((f) => f.severity)).toEqual(['warning', 'warning'])
    expect(result.findings.find((f) => f.subject === 'dpdk0')!.fixes).toEqual([{kind: 'ovs-set', table: 'Interface', record: 'dpdk0', column: 'options:n_txq_desc', value: '4096'}])
  })

  it('is quiet without drops, or with a few drops of a busy port (a VM descheduled for a moment)', () => {
    expectQuiet(rule, {window: windowWith({'vhost-user1': {ovs_tx_failure_drops: 0}, 'dpdk0': {ovs_tx_failure_drops: 0}})})
    expectQuiet(rule, {window: windowWith({'vhost-user1': {ovs_tx_failure_drops: 250}})})
  })

  it('honours threshold overrides', () => {
    expectFires(rule, {window: windowWith({'vhost-user1': {ovs_tx_failure_drops: 250}}), thresholds: {warnShare: 0, failShare: 0.01}}, ['vhost-user1'])
  })

  it('is unknown when the counter is not reported, or without a window', () => {
    expectUnknown(rule, {window: windowWith({'vhost-user1': {tx_packets: 10}})})
    expectUnknown(rule, {state: makeState()})
  })
})
