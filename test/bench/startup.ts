/**
 * Start-up wall time of the built CLI against bare `node -e 0`, interleaved run by run so that
 * the machine's noise (other jobs on the CPUs) hits every command alike.
 */
import {spawn} from 'node:child_process'
import {median, round, spread} from './stats.js'
import type {Spread} from './stats.js'

export interface StartupCase {
  name: string
  argv: string[]
  /** Target as a multiple of `node -e 0`, or null for the reference itself. */
  targetRatio: number | null
  /** Exit code of a correct run: anything else (a broken dist/, say) makes the timing meaningless. */
  exitCode: number
}

export const STARTUP_CASES: StartupCase[] = [
  {name: 'node -e 0', argv: [process.execPath, '-e', '0'], targetRatio: null, exitCode: 0},
  {name: 'run.js --version', argv: ['./bin/run.js', '--version'], targetRatio: 2, exitCode: 0},
  {name: 'run.js --help', argv: ['./bin/run.js', '--help'], targetRatio: 2, exitCode: 0},
  {name: 'run.js rules', argv: ['./bin/run.js', 'rules'], targetRatio: 2, exitCode: 0},
  {name: 'run.js diagnose --from lab-broken-huge-load --json', argv: ['./bin/run.js', 'diagnose', '--from', 'fixtures/bundles/lab-broken-huge-load', '--json'], targetRatio: 2.5, exitCode: 2},
]

/** Wall of one run, spawn to exit, stdout discarded (argv array, no shell). */
function wallMs(c: StartupCase, cwd: string): Promise<number> {
  const [file, ...args] = c.argv
  return new Promise((resolve, reject) => {
    const t = performance.now()
    const child = spawn(file!, args, {cwd, stdio: ['ignore', 'ignore', 'ignore']})
    child.once('error', reject)
    child.once('exit', (code) => {
      const ms = performance.now() - t
      if (code === c.exitCode) resolve(ms)
      else reject(new Error(`${c.name}: exit ${code}, expected ${c.exitCode} (is dist/ built? a build with NODE_ENV=test writes .ts paths into oclif.manifest.json)`))
    })
  })
}

export interface StartupResult {
  name: string
  argv: string[]
  wallMs: Spread
  /** Median of the per-round ratios to node -e 0 (same round, same noise). */
  ratio: number | null
  /** Ratio of the medians, for comparison. */
  ratioOfMedians: number | null
  targetRatio: number | null
  pass: boolean | null
}

export async function benchStartup(cwd: string, runs = 15, warmups = 2): Promise<StartupResult[]> {
  const times = STARTUP_CASES.map(() => [] as number[])
  for (let round = 0; round < warmups + runs; round++) {
    for (const [i, c] of STARTUP_CASES.entries()) {
      const ms = await wallMs(c, cwd)
      if (round >= warmups) times[i]!.push(ms)
    }
  }
  const reference = times[0]!
  return STARTUP_CASES.map((c, i) => {
    const own = times[i]!
    const ratio = c.targetRatio === null ? null : round(median(own.map((t, r) => t / reference[r]!)), 2)
    return {
      name: c.name,
      argv: c.argv.map((a) => (a === process.execPath ? 'node' : a)),
      wallMs: spread(own),
      ratio,
      ratioOfMedians: c.targetRatio === null ? null : round(median(own) / median(reference), 2),
      targetRatio: c.targetRatio,
      pass: c.targetRatio === null || ratio === null ? null : ratio <= c.targetRatio,
    }
  })
}
