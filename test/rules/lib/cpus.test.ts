import {describe, expect, it} from 'vitest'
import {formatCpuList, formatCpuMask, parseCpuList, parseCpuMask} from '../../../rules/lib/cpus.js'

describe('parseCpuMask', () => {
  it.each([
    ['0x3c', [2, 3, 4, 5]],
    ['3c', [2, 3, 4, 5]],
    ['"0x3C"', [2, 3, 4, 5]],
    ['0x1', [0]],
    ['0', []],
    // bit 64: beyond Number precision
    ['0x10000000000000001', [0, 64]],
  ])('%s -> %j', (text, cpus) => {
    expect(parseCpuMask(text)).toEqual(cpus)
  })

  it.each(['', '0x', 'zz', '2-5', '0x1g'])('rejects %j', (text) => {
    expect(parseCpuMask(text)).toBeNull()
  })
})

describe('parseCpuList', () => {
  it.each([
    ['2-5,8', [2, 3, 4, 5, 8]],
    ['8,2-3', [2, 3, 8]],
    ['managed_irq,domain,2-3', [2, 3]],
    ['0-9:2/5', [0, 1, 5, 6]],
    ['"1"', [1]],
    ['', []],
  ])('%s -> %j', (text, cpus) => {
    expect(parseCpuList(text)).toEqual(cpus)
  })

  it.each(['N', '5-2', 'a-b', '1-4:3/2', '0x3'])('rejects %j', (text) => {
    expect(parseCpuList(text)).toBeNull()
  })
})

describe('formatting', () => {
  it('collapses ranges', () => {
    expect(formatCpuList([8, 2, 3, 4, 5])).toBe('2-5,8')
    expect(formatCpuList([1])).toBe('1')
    expect(formatCpuList([])).toBe('')
  })

  it('round-trips masks', () => {
    expect(formatCpuMask([2, 3, 4, 5])).toBe('0x3c')
    expect(parseCpuMask(formatCpuMask([0, 64]))).toEqual([0, 64])
  })
})
