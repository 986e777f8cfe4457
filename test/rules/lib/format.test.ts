import {describe, expect, it} from 'vitest'
import {formatBitRate, formatBytes, formatCount, formatShare, plural, roundShare} from '../../../rules/lib/format.js'

describe('rules/lib/format', () => {
  it.each([
    [0.972, '97.2 %'],
    [1, '100 %'],
    [0.1, '10 %'],
    [0, '0 %'],
    [1.5e-7, '< 0.1 %'],
    [0.0123, '1.2 %'],
    [null, 'n/a'],
  ])('formatShare(%s) = %s', (share, expected) => {
    expect(formatShare(share)).toBe(expected)
  })

  it('formats bytes, bit rates and counts with SI units', () => {
    expect(formatBytes(84)).toBe('84 B')
    expect(formatBytes(1.12e9)).toBe('1.12 GB')
    expect(formatBytes(560e6)).toBe('560 MB')
    expect(formatBitRate(2.76e9)).toBe('2.76 Gbit/s')
    expect(formatBitRate(8e8)).toBe('800 Mbit/s')
    expect(formatCount(117614)).toBe('117,614')
    expect(formatCount(42)).toBe('42')
    expect(roundShare(1 / 3)).toBe(0.3333)
    expect(roundShare(null)).toBeNull()
    expect(plural(1, 'route')).toBe('1 route')
    expect(plural(2, 'route')).toBe('2 routes')
  })
})
