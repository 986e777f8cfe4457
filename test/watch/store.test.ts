/**
 * The store's per-interval bookkeeping: the sparkline history keeps the last 60 s and no more,
 * the rows are computed once per sample (a note reuses them), and the findings log is a new array
 * only when a finding fires, so an earlier frame keeps the log it was drawn with.
 */
import {describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import type {Sample} from '../../src/capture/types.js'
import {rateCells} from '../../src/watch/format.js'
import {WatchStore} from '../../src/watch/store.js'
import {BROKEN} from './helpers.js'

const capture = readCapture(BROKEN)
const at = (sample: Sample, ms: number, name: string): Sample => ({...sample, name, takenAt: new Date(ms).toISOString()})

describe('WatchStore', () => {
  it('rateCells: time-weighted cells aligned to the start, whatever the interval', () => {
    const oneSecond = [1, 2, 3, 4].map((i) => ({from: (i - 1) * 1000, to: i * 1000, value: i * 10}))
    // Cells [0,2) and [2,4) s: the mean of two samples each; the cell before the start is empty.
    expect(rateCells(oneSecond, {originT: 0, endT: 4000, cellMs: 2000, cells: 3})).toEqual([0, 15, 35])
    // A second later the newest cell holds only the 5th second; the earlier cells do not regroup.
    const five = [...oneSecond, {from: 4000, to: 5000, value: 90}]
    expect(rateCells(five, {originT: 0, endT: 5000, cellMs: 2000, cells: 3})).toEqual([15, 35, 90])
    // 5 s samples: each 2 s cell takes the rate of the interval around it, no gaps.
    const slow = [{from: 0, to: 5000, value: 10}, {from: 5000, to: 10_000, value: 40}]
    expect(rateCells(slow, {originT: 0, endT: 10_000, cellMs: 2000, cells: 5})).toEqual([10, 10, 25, 40, 40])
  })

  it('keeps 60 s of sparkline history, rows once per sample, the log copied only when a finding fires', () => {
    const store = new WatchStore({host: capture.manifest.host})
    const [before, during] = capture.samples as [Sample, Sample]
    const t0 = new Date(before.takenAt).getTime()
    store.addSample(before)
    store.addSample(at(during, t0 + 1000, 'during'))
    const first = store.getSnapshot()
    expect(first.findings.length).toBeGreaterThan(0)
    // 30 cells of 2 s: the interval's burst in the newest, nothing before the watch began.
    const burst = first.ports.find((p) => p.name === 'enp65s0f0np0')!.history
    expect(burst).toHaveLength(30)
    expect(burst.at(-1)).toBeGreaterThan(0)
    expect(burst.slice(0, -1).every((v) => v === 0)).toBe(true)
    expect(first.sparkCellS).toBe(2)

    // 90 more seconds of the same counters: nothing new fires, nothing moves.
    for (let i = 2; i <= 91; i++) store.addSample(at(during, t0 + i * 1000, `during-${i}`))
    const later = store.getSnapshot()
    const history = later.ports.find((p) => p.name === 'enp65s0f0np0')!.history
    expect(history).toHaveLength(30)
    expect(history.every((v) => v === 0)).toBe(true) // the burst is more than 60 s old
    expect(later.findings).toBe(first.findings)
    expect(first.ports.find((p) => p.name === 'enp65s0f0np0')!.history).toBe(burst) // the first frame's rows are its own

    store.note('saved a capture')
    const noted = store.getSnapshot()
    expect(noted).not.toBe(later)
    expect(noted.notes).toEqual(['saved a capture'])
    expect(noted.ports).toBe(later.ports)
  })
})
