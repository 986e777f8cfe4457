/**
 * Property-style: no parser throws, whatever bytes it is fed, and none gets there only because its
 * safety net (guard) caught an exception: that would be a parser bug.
 */

import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {INTERNAL_ERROR} from '../../src/parsers/util.js'
import {ALL_PARSERS, listFixtures} from './fixture-cases.js'

/** Small deterministic PRNG (mulberry32) so a failure reproduces. */
function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ALPHABET = ' \t\n\r:=,{}[]()"\'\\?%-_./0123456789abcdefxyzABC@*<>' + 'NOT AVAIL port queue-id pmd thread '

function randomText(next: () => number, length: number): string {
  let text = ''
  for (let i = 0; i < length; i++) {
    text += next() < 0.1 ? String.fromCharCode(Math.floor(next() * 0x2fff)) : ALPHABET[Math.floor(next() * ALPHABET.length)]
  }
  return text
}

function assertNeverThrows(parserId: string, text: string): void {
  const parser = ALL_PARSERS[parserId]!
  let result: ReturnType<typeof parser> | undefined
  expect(() => {
    result = parser(text, 'br0')
  }, `${parserId} threw on ${JSON.stringify(text.slice(0, 120))}`).not.toThrow()
  expect(typeof result?.ok).toBe('boolean')
  if (result && !result.ok) {
    expect(typeof result.error).toBe('string')
    expect(result.error, `${parserId} hit a bug on ${JSON.stringify(text.slice(0, 120))}`).not.toContain(INTERNAL_ERROR)
  }
}

const fixtures = listFixtures().cases.map((c) => ({name: `${c.baseId}--${c.scenario}`, text: readFileSync(c.outPath, 'utf8')}))

describe('robustness', () => {
  it('no parser throws on random bytes', () => {
    const next = prng(0xd9d8)
    for (let round = 0; round < 150; round++) {
      const text = randomText(next, Math.floor(next() * 400))
      for (const id of Object.keys(ALL_PARSERS)) assertNeverThrows(id, text)
    }
  })

  it('no parser throws on any fixture, truncated anywhere, fed to any parser', () => {
    const next = prng(42)
    for (const {text} of fixtures) {
      const cuts = new Set([0, 1, text.length - 1, ...Array.from({length: 12}, () => Math.floor(next() * text.length))])
      for (const cut of cuts) {
        const truncated = text.slice(0, cut)
        for (const id of Object.keys(ALL_PARSERS)) assertNeverThrows(id, truncated)
      }
    }
  })

  it('no parser throws on fixtures with random bytes flipped', () => {
    const next = prng(7)
    for (const {text} of fixtures) {
      const chars = [...text]
      for (let i = 0; i < 8; i++) chars[Math.floor(next() * chars.length)] = ALPHABET[Math.floor(next() * ALPHABET.length)] ?? ''
      const mutated = chars.join('')
      for (const id of Object.keys(ALL_PARSERS)) assertNeverThrows(id, mutated)
    }
  })

  it('parsers given the wrong source fail or warn, never throw', () => {
    for (const {name, text} of fixtures) {
      for (const id of Object.keys(ALL_PARSERS)) {
        if (name.startsWith(`${id}--`)) continue
        assertNeverThrows(id, text)
      }
    }
  })
})
