import {describe, expect, it} from 'vitest'
import rule from '../../rules/port-drops-under-load.js'
import {makeState, makeWindow, path} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

describe('port-drops-under-load', () => {
  it('fires on statistics deltas and on live path drops, taking the larger of the two', () => {
    const window = makeWindow({
      paths: [path('vhost-user1', 'vhost', 1e9, 70_000, {txDropped: 1200}), path('dpdk0', 'dpdk', 1e6, 2_000)],
      statisticsDeltas: {'vhost-user1': {tx_dropped: 1000, rx_dropped: 0}, 'dpdk0': {rx_errors: 3, rx_dropped: 0, tx_dropped: 0, tx_errors: 0}},
    })
    const result = expectFires(rule, {window}, ['dpdk0', 'vhost-user1'])
    const vhost = result.findings.find((f) => f.subject === 'vhost-user1')!
    expect(vhost.severity).toBe('warning')
    expect(vhost.evidence['tx_dropped']).toBe(1200)
    expect(vhost.evidence['lossShare']).toBeCloseTo(1200 / 71_200, 6)
    expect(result.findings.find((f) => f.subject === 'dpdk0')!.evidence['rx_errors']).toBe(3)
  })

  it('is quiet for a few drops in a busy port (below 0.1 % of its packets)', () => {
    const window = makeWindow({paths: [path('vhost-user1', 'vhost', 1e9, 700_000, {txDropped: 120}), path('dpdk0', 'dpdk', 1e9)]})
    expectQuiet(rule, {window})
  })

  it('is quiet when nothing dropped', () => {
    expectQuiet(rule, {window: makeWindow({paths: [path('vhost-user1', 'vhost', 1e9), path('dpdk0', 'dpdk', 1e9)]})})
  })

  it('is unknown with no counters at all, or no window', () => {
    expectUnknown(rule, {window: makeWindow({paths: [path('vhost-user1', 'vhost', 1e9, 1000, {rxDropped: null, txDropped: null})]})})
    expectUnknown(rule, {state: makeState()})
  })
})
