import {describe, expect, it} from 'vitest'
import rule from '../../rules/pmd-saturated.js'
import type {PmdDelta} from '../../src/window/types.js'
import {makeState, makeWindow, path} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const delta = (coreId: number, busyPct: number | null): PmdDelta => ({numaId: 0, coreId, busyPct, packets: 5_000_000, upcalls: 0, lostUpcalls: 0})
const windowWith = (...pmds: PmdDelta[]) => makeWindow({paths: [path('dpdk0', 'dpdk', 1e9)], pmds})

describe('pmd-saturated', () => {
  it('grades each PMD: > 95 % critical (OVS auto-LB overload), > 90 % warning', () => {
    const result = expectFires(rule, {window: windowWith(delta(2, 95.5), delta(3, 92), delta(4, 85))}, ['pmd core 2', 'pmd core 3'])
    const bySubject = Object.fromEntries(result.findings.map((f) => [f.subject, f]))
    expect(bySubject['pmd core 2']!.severity).toBe('critical')
    expect(bySubject['pmd core 2']!.evidence['busyPct']).toBe(95.5)
    expect(bySubject['pmd core 3']!.severity).toBe('warning')
  })

  it('is quiet at or below 90 %, and honours thresholds', () => {
    expectQuiet(rule, {window: windowWith(delta(2, 90), delta(3, 12))})
    expectQuiet(rule, {window: windowWith(delta(2, 93)), thresholds: {warnBusyPct: 94}})
    expectFires(rule, {window: windowWith(delta(2, 85)), thresholds: {warnBusyPct: 80}}, ['pmd core 2'])
  })

  it('is unknown without busy %, without a window', () => {
    expectUnknown(rule, {window: windowWith(delta(2, null))})
    expectUnknown(rule, {state: makeState()})
  })
})
