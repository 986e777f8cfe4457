/**
 * Counter arithmetic for cumulative counters sampled over time: deltas that survive a reset
 * (pmd-stats-clear, a port re-added) or a 32/64-bit wrap, and per-interval rates.
 */
import {max, mean, standardDeviation} from 'simple-statistics'
import type {Rate} from './types.js'

const WRAP32 = 2 ** 32
const WRAP64 = 2 ** 64

export interface Point {
  /** Milliseconds since the epoch. */
  t: number
  value: number | null
}

export interface SeriesDelta {
  delta: number
  reset: boolean
  /** Per-second rates of consecutive known points. */
  rates: number[]
}

/**
 * The increase of a cumulative counter over the points (nulls are skipped). A drop is a wrap when
 * the previous value was close to 2^32 or 2^64 (the increase crosses the boundary), else a reset,
 * in which case the counter counted from zero since.
 */
export function seriesDelta(points: Point[]): SeriesDelta {
  const known = points.filter((p): p is {t: number; value: number} => p.value !== null)
  let delta = 0
  let reset = false
  const rates: number[] = []
  for (let i = 1; i < known.length; i++) {
    const prev = known[i - 1]!
    const cur = known[i]!
    let step = cur.value - prev.value
    if (step < 0) {
      reset = true
      const wrapAt = prev.value < WRAP32 ? WRAP32 : WRAP64
      const wrapped = wrapAt - prev.value + cur.value
      // A wrap moves a little past the boundary; anything else is a reset from zero.
      // (A value past the counter's width is not a wrap: it would make the step negative.)
      step = prev.value < wrapAt && prev.value > wrapAt * 0.9 && wrapped >= 0 && wrapped < wrapAt * 0.1 ? wrapped : cur.value
    }
    delta += step
    const dt = (cur.t - prev.t) / 1000
    if (dt > 0) rates.push(step / dt)
  }
  return {delta, reset, rates}
}

export function rateOf(rates: number[]): Rate | null {
  if (rates.length === 0) return null
  return {mean: mean(rates), stddev: rates.length > 1 ? standardDeviation(rates) : 0, max: max(rates)}
}
