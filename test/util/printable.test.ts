import {describe, expect, it} from 'vitest'
import {printable, printableDeep, printableLines} from '../../src/util/printable.js'

describe('printable', () => {
  it.each([
    ['\u001B[2J\u001B[31mPWNED', '\\x1b[2J\\x1b[31mPWNED'],
    ['a\nb\r\tc', 'a\\nb\\r\\tc'],
    ['nul\u0000bell\u0007del\u007f', 'nul\\x00bell\\x07del\\x7f'],
    ['c1 csi \u009b31m', 'c1 csi \\x9b31m'],
    ['bidi \u202egnp.exe', 'bidi \\u{202e}gnp.exe'],
    ['zero\u200bwidth \ufeff', 'zero\\u{200b}width \\u{feff}'],
    ['plain ovsbr0 -> dpdk0 ✓ ümlaut', 'plain ovsbr0 -> dpdk0 ✓ ümlaut'],
  ])('%j -> %j', (input, output) => {
    expect(printable(input)).toBe(output)
  })

  it('keeps the same string when nothing is unsafe', () => {
    const s = 'x'.repeat(100)
    expect(printable(s)).toBe(s)
  })

  it('printableLines keeps line breaks only', () => {
    expect(printableLines('a\u001B\nb')).toBe('a\\x1b\nb')
  })

  it('printableDeep escapes every string and key, keeps numbers, null and unchanged objects', () => {
    const clean = {n: 1, list: ['ok']}
    const value = {host: {hostname: '\u001B]0;title\u0007'}, clean, items: [null, 2, 'a\nb'], ['k\u001B']: true, doc: 'l1\nl2\u001B'}
    const out = printableDeep(value, new Set(['doc']))
    expect(out).toEqual({host: {hostname: '\\x1b]0;title\\x07'}, clean, items: [null, 2, 'a\\nb'], ['k\\x1b']: true, doc: 'l1\nl2\\x1b'})
    expect(out.clean).toBe(clean)
    expect(value.host.hostname).toBe('\u001B]0;title\u0007')
  })
})
