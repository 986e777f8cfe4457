import {describe, expect, it} from 'vitest'
import rule from '../../rules/dpdk-rx-missed.js'
import {fixedWindow, makeState, makeWindow, path, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const windowWith = (stats: Record<string, number>) => makeWindow({paths: [path('dpdk0', 'dpdk', 1.5e9, 1_000_000)], statisticsDeltas: {dpdk0: stats}})

describe('dpdk-rx-missed', () => {
  it.each([
    ['warning below 0.1 %', {rx_missed_errors: 500, rx_packets: 999_500}, 'warning', 0.0005],
    ['critical above 0.1 %', {rx_missed_errors: 5_000, rx_packets: 995_000}, 'critical', 0.005],
  ])('fires: %s', (_name, stats, severity, share) => {
    const result = expectFires(rule, {window: windowWith(stats)}, ['dpdk0'])
    const f = result.findings[0]!
    expect(f.severity).toBe(severity)
    expect(f.evidence['rxMissed']).toBe(stats.rx_missed_errors)
    expect(f.evidence['missedShare']).toBeCloseTo(share, 6)
  })

  it('falls back to the live path rx packets', () => {
    const result = expectFires(rule, {window: windowWith({rx_missed_errors: 10})}, ['dpdk0'])
    expect(result.findings[0]!.evidence['rxPackets']).toBe(500_000)
  })

  it('is quiet with no misses, or under a raised threshold', () => {
    expectQuiet(rule, {window: windowWith({rx_missed_errors: 0, rx_packets: 1_000_000})})
    expectQuiet(rule, {window: windowWith({rx_missed_errors: 3, rx_packets: 1_000_000}), thresholds: {maxMissed: 5}})
  })

  it('is unknown without a window, the counter, or the Interface table', () => {
    expectUnknown(rule, {state: makeState()})
    expectUnknown(rule, {window: fixedWindow()})
    expectUnknown(rule, {window: makeWindow({paths: [], before: without(makeState(), 'ovsdb-interface')})})
  })
})
