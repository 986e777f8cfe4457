import {describe, expect, it} from 'vitest'
import rule from '../../rules/vhost-tx-retries.js'
import {makeState, makeWindow, path} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const windowWith = (stats: Record<string, number>) => makeWindow({paths: [path('vhost-user1', 'vhost', 1e9, 400_000)], statisticsDeltas: {'vhost-user1': stats}})

describe('vhost-tx-retries', () => {
  it('fires above 1 % of sent packets', () => {
    const result = expectFires(rule, {window: windowWith({ovs_tx_retries: 5_000, tx_packets: 200_000})}, ['vhost-user1'])
    const f = result.findings[0]!
    expect(f.severity).toBe('warning')
    expect(f.evidence['retryShare']).toBeCloseTo(0.025, 6)
    expect(f.evidence['txPackets']).toBe(200_000)
  })

  it('uses the live path tx packets when the statistics lack tx_packets', () => {
    expectFires(rule, {window: windowWith({ovs_tx_retries: 2_001})}, ['vhost-user1'])
    expectQuiet(rule, {window: windowWith({ovs_tx_retries: 2_000})})
  })

  it('is quiet at or below 1 %, or with a raised threshold', () => {
    expectQuiet(rule, {window: windowWith({ovs_tx_retries: 0, tx_packets: 200_000})})
    expectQuiet(rule, {window: windowWith({ovs_tx_retries: 1_000, tx_packets: 200_000})})
    expectQuiet(rule, {window: windowWith({ovs_tx_retries: 5_000, tx_packets: 200_000}), thresholds: {maxRetryShare: 0.05}})
  })

  it('is unknown without the counter or a window', () => {
    expectUnknown(rule, {window: windowWith({tx_packets: 10})})
    expectUnknown(rule, {state: makeState()})
  })
})
