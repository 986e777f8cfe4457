/**
 * The store's per-interval bookkeeping: the sparkline history keeps the last 60 s and no more,
 * the rows are computed once per sample (a note reuses them), and the findings log is a new array
 * only when a finding fires, so an earlier frame keeps the log it was drawn with.
 */
import {describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import type {Sample} from '../../src/capture/types.js'
import {WatchStore} from '../../src/watch/store.js'
import {BROKEN} from './helpers.js'

const capture = readCapture(BROKEN)
const at = (sample: Sample, ms: number, name: string): Sample => ({...sample, name, takenAt: new Date(ms).toISOString()})

describe('WatchStore', () => {
  it('keeps 60 s of sparkline history, rows once per sample, the log copied only when a finding fires', () => {
    const store = new WatchStore({host: capture.manifest.host})
    const [before, during] = capture.samples as [Sample, Sample]
    const t0 = new Date(before.takenAt).getTime()
    store.addSample(before)
    store.addSample(at(during, t0 + 1000, 'during'))
    const first = store.getSnapshot()
    expect(first.findings.length).toBeGreaterThan(0)
    expect(first.ports.find((p) => p.name === 'enp65s0f0np0')!.history).toHaveLength(1)

    // 90 more seconds of the same counters: nothing new fires, nothing moves.
    for (let i = 2; i <= 91; i++) store.addSample(at(during, t0 + i * 1000, `during-${i}`))
    const later = store.getSnapshot()
    const history = later.ports.find((p) => p.name === 'enp65s0f0np0')!.history
    expect(history).toHaveLength(60)
    expect(history.every((v) => v === 0)).toBe(true)
    expect(later.findings).toBe(first.findings)
    expect(first.ports.find((p) => p.name === 'enp65s0f0np0')!.history).toHaveLength(1) // the first frame's rows are its own

    store.note('saved a capture')
    const noted = store.getSnapshot()
    expect(noted).not.toBe(later)
    expect(noted.notes).toEqual(['saved a capture'])
    expect(noted.ports).toBe(later.ports)
  })
})
