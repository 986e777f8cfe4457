import {describe, expect, it} from 'vitest'
import {buildWindow} from '../../src/window/build.js'
import {makeState, pmd} from '../helpers/factory.js'

// Numbers from the lab with pmd-maxsleep=1000 (broken host, iperf3 7 s): awake the PMD was 99.6 %
// busy, but it slept 3.7 s of the 7.36 s between the two pmd-perf-show readings.
const before = makeState({
  sample: 'before',
  takenAt: '2025-01-01T00:00:00.000Z',
  pmds: [pmd(1, {idleCycles: 13_162_719, processingCycles: 1_804_478, sleepTimeUs: 3_401_468, perfDurationS: 3.414})],
})
const during = (extra: Parameters<typeof pmd>[1]) =>
  makeState({sample: 'during', takenAt: '2025-01-01T00:00:07.363Z', pmds: [pmd(1, {idleCycles: 33_870_444, processingCycles: 9_464_939_394, ...extra})]})

describe('window PMD busy %', () => {
  it('counts the time a sleeping PMD (pmd-sleep-max) spent asleep as not busy', () => {
    const w = buildWindow([before, during({sleepTimeUs: 7_103_393, perfDurationS: 10.777})], null)
    const busy = w.pmds[0]!.busyPct!
    expect(busy).toBeGreaterThan(48)
    expect(busy).toBeLessThan(51)
  })

  it('is processing / (idle + processing) when the PMD never sleeps or sleep time is unknown', () => {
    const noSleep = buildWindow([before, during({sleepTimeUs: 3_401_468, perfDurationS: 10.777})], null)
    expect(noSleep.pmds[0]!.busyPct!).toBeCloseTo(99.78, 1)
    const unknown = buildWindow([before, during({sleepTimeUs: null, perfDurationS: null})], null)
    expect(unknown.pmds[0]!.busyPct!).toBeCloseTo(99.78, 1)
  })
})
