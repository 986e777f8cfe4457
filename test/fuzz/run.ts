/**
 * `npm run fuzz`: the fuzzer at full size, benchmark-style (issue 11). At least 10,000 mutated
 * real outputs per parser and 2,000 mutated bundles through analyse, each timed: prints, per
 * parser, the inputs run, the failures, and the mean, p99 and slowest time of one input; fails
 * (exit 1) on any exception, NaN or negative counter, or an input slower than 1 s.
 * DD_FUZZ_RUNS and DD_FUZZ_SEED change the counts and the seed.
 */
import {performance} from 'node:perf_hooks'
import fc from 'fast-check'
import {bundleMutation, checkAnalyse, checkParse, mutatedCapture, mutatedOutput, PARSER_IDS, seedsFor} from './harness.js'

const RUNS = Number(process.env.DD_FUZZ_RUNS ?? 10_000)
const BUNDLE_RUNS = Math.max(1, Math.round(RUNS / 5))
const SEED = Number(process.env.DD_FUZZ_SEED ?? Date.now() % 2 ** 31)
const SLOW_MS = 1000

interface Figures {name: string; inputs: number; failures: number; meanMs: number; p99Ms: number; maxMs: number; firstFailure: string | null}

function measure<T>(name: string, arb: fc.Arbitrary<T>, runs: number, check: (input: T) => void): Figures {
  const times: number[] = []
  let failures = 0
  let firstFailure: string | null = null
  for (const input of fc.sample(arb, {numRuns: runs, seed: SEED})) {
    const t0 = performance.now()
    try {
      check(input)
    } catch (error) {
      failures++
      firstFailure ??= `${error instanceof Error ? error.message : String(error)}`.slice(0, 300)
    }
    const ms = performance.now() - t0
    times.push(ms)
    if (ms > SLOW_MS) {
      failures++
      firstFailure ??= `an input took ${ms.toFixed(0)} ms`
    }
  }
  times.sort((a, b) => a - b)
  const mean = times.reduce((a, b) => a + b, 0) / times.length
  return {name, inputs: times.length, failures, meanMs: mean, p99Ms: times[Math.floor(times.length * 0.99)] ?? 0, maxMs: times[times.length - 1] ?? 0, firstFailure}
}

const started = performance.now()
const rows: Figures[] = []
for (const id of PARSER_IDS) rows.push(measure(id, mutatedOutput(seedsFor(id)), RUNS, (text) => checkParse(id, text)))
rows.push(measure('analyse (bundles)', bundleMutation, BUNDLE_RUNS, (m) => checkAnalyse(mutatedCapture(m))))

const pad = (s: string, n: number) => s.padEnd(n)
const num = (n: number, d = 2) => n.toFixed(d).padStart(9)
console.log(`fuzz: seed ${SEED}, ${RUNS} inputs per parser, ${BUNDLE_RUNS} bundles; an input over ${SLOW_MS} ms fails`)
console.log(`${pad('parser', 20)}${'inputs'.padStart(8)}${'failed'.padStart(8)}${'mean ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}`)
for (const r of rows) {
  console.log(`${pad(r.name, 20)}${String(r.inputs).padStart(8)}${String(r.failures).padStart(8)}${num(r.meanMs, 3)}${num(r.p99Ms)}${num(r.maxMs)}`)
  if (r.firstFailure) console.log(`  first failure: ${r.firstFailure}`)
}
const total = rows.reduce((a, r) => a + r.inputs, 0)
const failed = rows.reduce((a, r) => a + r.failures, 0)
console.log(`${total} inputs in ${((performance.now() - started) / 1000).toFixed(1)} s, ${failed} failed${failed ? ` (replay: DD_FUZZ_SEED=${SEED} npm run fuzz)` : ''}`)
process.exitCode = failed > 0 ? 1 : 0
