import {describe, expect, it} from 'vitest'
import rule from '../../rules/upcall-rate-high.js'
import type {PmdDelta} from '../../src/window/types.js'
import {brokenWindow, fixedWindow, makeState, makeWindow, path} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const delta = (coreId: number, packets: number | null, upcalls: number | null, lostUpcalls: number | null = 0): PmdDelta => ({numaId: 0, coreId, busyPct: 50, packets, upcalls, lostUpcalls})
const windowWith = (...pmds: PmdDelta[]) => makeWindow({paths: [path('dpdk0', 'dpdk', 1e9)], pmds})

describe('upcall-rate-high', () => {
  it('warns above 1 % upcalls, is critical on lost upcalls', () => {
    const result = expectFires(rule, {window: windowWith(delta(2, 1_000_000, 25_000), delta(3, 1_000_000, 10, 4))}, ['pmd core 2', 'pmd core 3'])
    const bySubject = Object.fromEntries(result.findings.map((f) => [f.subject, f]))
    expect(bySubject['pmd core 2']!.severity).toBe('warning')
    expect(bySubject['pmd core 2']!.evidence['upcallShare']).toBeCloseTo(0.025, 6)
    expect(bySubject['pmd core 3']!.severity).toBe('critical')
    expect(bySubject['pmd core 3']!.evidence['lostUpcalls']).toBe(4)
  })

  it('is quiet in steady state and during warm-up with few packets', () => {
    expectQuiet(rule, {window: fixedWindow()})
    expectQuiet(rule, {window: brokenWindow()})
    expectQuiet(rule, {window: windowWith(delta(2, 500, 40))})
  })

  it('is unknown without counters or a window', () => {
    expectUnknown(rule, {window: windowWith(delta(2, null, null))})
    expectUnknown(rule, {state: makeState()})
  })
})
