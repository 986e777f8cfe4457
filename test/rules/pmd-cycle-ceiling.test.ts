import {describe, expect, it} from 'vitest'
import rule, {tscHz} from '../../rules/pmd-cycle-ceiling.js'
import {diagnoseBundle} from '../../src/diagnose/service.js'
import {makeState, makeWindow, path, pmd} from '../helpers/factory.js'
import {expectFires, expectUnknown} from '../helpers/rule-tester.js'

/** A PMD at 2.5 GHz: cycles since the clear over pmd-perf-show's measurement duration. */
function windowAt(cyclesPerPacket: number, busyPct: number, opts: {perfDurationS?: number | null; sleepIterations?: number} = {}) {
  const packets = 1_000_000
  const hz = 2.5e9
  const duration = 10
  const before = makeState({pmds: [pmd(2, {processingCycles: 0, idleCycles: 0, packets: 0, perfDurationS: opts.perfDurationS === undefined ? 100 : opts.perfDurationS, sleepIterations: opts.sleepIterations ?? 0})]})
  const busy = cyclesPerPacket * packets
  const duringPmd = pmd(2, {processingCycles: busy, idleCycles: hz * 100 - busy, packets, perfDurationS: opts.perfDurationS === undefined ? 100 : opts.perfDurationS, sleepIterations: opts.sleepIterations ?? 0})
  const during = {...before, sample: 'during', pmds: [duringPmd]}
  return makeWindow({before, during, durationS: duration, paths: [path('dpdk0', 'dpdk', 1e9), path('vhost-user1', 'vhost', 1e9)], pmds: [{numaId: 0, coreId: 2, busyPct, packets, upcalls: 0, lostUpcalls: 0}]})
}

describe('pmd-cycle-ceiling', () => {
  it('says the ceiling: 2.5 GHz / 2.5k cycles/pkt = 1 Mpps = 12.1 Gbit/s at 1514 bytes; a limit above 70 % busy', () => {
    const r = expectFires(rule, {window: windowAt(2500, 85)}, ['pmd core 2'])
    expect(r.findings[0]!.message).toMatch(/^at 2\.5k cycles\/pkt pmd core 2 tops out near 1\.00 Mpps = 12\.1 Gbit\/s at 1514-byte frames/)
    expect(r.findings[0]!.evidence).toMatchObject({cyclesPerPacket: 2500, tscHz: 2.5e9, ceilingPps: 1e6, figures: 'window'})
    expect(r.findings[0]!.limit).toMatch(/near its 1\.00 Mpps ceiling \(85 % busy\)/)
    expect(expectFires(rule, {window: windowAt(2500, 30)}, ['pmd core 2']).findings[0]!.limit).toBeUndefined()
  })

  it('is unknown without a TSC rate (no measurement duration, or a sleeping PMD) and without a window', () => {
    expectUnknown(rule, {window: windowAt(2500, 85, {perfDurationS: null})})
    expectUnknown(rule, {window: windowAt(2500, 85, {sleepIterations: 10})})
    expectUnknown(rule, {state: makeState()})
    expect(tscHz(pmd(1, {idleCycles: 1, processingCycles: 1, perfDurationS: 1}))).toBeNull()
  })

  it('on the real lab bundle (OVS 3.1): ~15.7k cycles/pkt at a 2.57 GHz TSC, read from the window', () => {
    const d = diagnoseBundle('fixtures/bundles/lab-fixed-huge-load')
    const f = d.findings.find((x) => x.ruleId === 'pmd-cycle-ceiling')!
    expect(f.evidence['cyclesPerPacket']).toBeGreaterThan(15000)
    expect(f.evidence['cyclesPerPacket']).toBeLessThan(16500)
    expect(f.evidence['tscHz']).toBeGreaterThan(2.5e9)
    expect(f.evidence['tscHz']).toBeLessThan(2.65e9)
    expect(d.pmdFigures).toBe('window')
  })
})
