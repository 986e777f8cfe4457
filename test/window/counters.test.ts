import {describe, expect, it} from 'vitest'
import {rateOf, seriesDelta} from '../../src/window/counters.js'

const at = (...values: Array<number | null>) => values.map((value, i) => ({t: i * 1000, value}))

describe('seriesDelta', () => {
  it('sums increases and gives per-second rates', () => {
    const d = seriesDelta(at(100, 200, 400))
    expect(d).toEqual({delta: 300, reset: false, rates: [100, 200]})
  })

  it('treats a drop to a small value as a reset (counted from zero since)', () => {
    const d = seriesDelta(at(1000, 1500, 20, 120))
    expect(d.delta).toBe(500 + 20 + 100)
    expect(d.reset).toBe(true)
  })

  it('treats a drop just past 2^32 as a wrap', () => {
    const d = seriesDelta(at(2 ** 32 - 100, 50))
    expect(d.delta).toBe(150)
    expect(d.reset).toBe(true)
  })

  it('treats a drop just past 2^64 as a wrap', () => {
    const d = seriesDelta(at(2 ** 64 - 2 ** 20, 2 ** 20))
    expect(d.delta).toBe(2 ** 21)
  })

  it('skips unknown points instead of reading them as zero', () => {
    expect(seriesDelta(at(100, null, 300)).delta).toBe(200)
    expect(seriesDelta(at(null, null)).delta).toBe(0)
  })
})

describe('rateOf', () => {
  it('gives mean, spread and max', () => {
    const r = rateOf([100, 200, 300])!
    expect(r.mean).toBe(200)
    expect(r.max).toBe(300)
    expect(r.stddev).toBeCloseTo(81.65, 1)
    expect(rateOf([])).toBeNull()
    expect(rateOf([5])!.stddev).toBe(0)
  })
})
