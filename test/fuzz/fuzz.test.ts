/**
 * The fuzzer in the unit suite (issue 11): a few hundred mutated real outputs through every
 * parser and a couple of hundred mutated bundles through analyse. No exception, no NaN, no
 * negative counter reaching a rule. Times are measured by `npm run fuzz`, not asserted here.
 * DD_FUZZ_SEED replays a failure's seed (fast-check prints it).
 */
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {bundleMutation, BUNDLES, checkAnalyse, checkParse, mutatedCapture, mutatedOutput, PARSER_IDS, seedsFor} from './harness.js'

const seed = process.env.DD_FUZZ_SEED ? Number(process.env.DD_FUZZ_SEED) : undefined

describe('fuzz: mutated real outputs through every parser', () => {
  it('has real outputs for every parser', () => {
    for (const id of PARSER_IDS) expect(seedsFor(id).length, id).toBeGreaterThan(0)
  })

  it.each(PARSER_IDS)('%s', (id) => {
    fc.assert(fc.property(mutatedOutput(seedsFor(id)), (text) => checkParse(id, text)), {numRuns: 300, seed})
  })
})

describe('fuzz: mutated bundles through analyse', () => {
  it('reads every fixture bundle', () => {
    expect(BUNDLES.length).toBeGreaterThan(10)
  })

  it('never throws, and never gives a rule a NaN or a negative counter', () => {
    fc.assert(fc.property(bundleMutation, (m) => checkAnalyse(mutatedCapture(m))), {numRuns: 200, seed})
  }, 120_000)
})
