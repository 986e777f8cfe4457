/**
 * Wall time of `dpdk-doctor capture` against `sos report -o openvswitch,networking` on the lab host
 * (the old claim to check: capture >= 10x faster). Needs the lab up and sos installed; skips with
 * the reason otherwise (never starts the lab). Run alone: `npx tsx test/bench/sos-vs-capture.ts`.
 *
 * sos reaches the lab's private OVS run directory through a bind mount over /run/openvswitch in a
 * mount namespace of its own (unshare -m), inside lab-host0, as test/lab/sos.e2e.test.ts does.
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {HOST_NS, isLabUp, labPaths, ovsEnv} from '../lab/lab.js'
import {median} from './stats.js'

export type SosBench =
  | {skipped: string}
  | {runs: number; captureMs: number[]; sosMs: number[]; captureMedianMs: number; sosMedianMs: number; ratio: number; targetRatio: number; pass: boolean}

const TARGET_RATIO = 10

function timed(argv: string[], env: Record<string, string>): number {
  const t0 = process.hrtime.bigint()
  execFileSync(argv[0]!, argv.slice(1), {env: {...process.env, ...env}, stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000})
  return Number(process.hrtime.bigint() - t0) / 1e6
}

function sosInstalled(): boolean {
  try {
    execFileSync('sos', ['--help'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

export async function benchSosVsCapture(root: string, runs = 3): Promise<SosBench> {
  if (!sosInstalled()) return {skipped: 'sos is not installed (apt-get install sosreport)'}
  if (!(await isLabUp())) return {skipped: 'the lab is not up (`npm run lab up`; this bench never starts it)'}
  const env = ovsEnv()
  const rundir = labPaths().run
  const captureMs: number[] = []
  const sosMs: number[] = []
  const scratch = mkdtempSync(join(tmpdir(), 'dd-bench-sos-'))
  try {
    for (let i = 0; i < runs; i++) {
      // Interleaved, so a change of machine load hits both alike.
      const out = join(scratch, `capture-${i}`)
      captureMs.push(timed([process.execPath, join(root, 'bin/run.js'), 'capture', '--netns', HOST_NS, '--ovs-rundir', rundir, '--out', out], {NODE_ENV: 'production'}))
      const sosDir = mkdtempSync(join(scratch, `sos-${i}-`))
      const script = 'mkdir -p /run/openvswitch && mount --bind "$1" /run/openvswitch && exec ip netns exec "$2" sos report --batch -o openvswitch,networking -k networking.namespace_pattern=dd-no-such-ns -z xz --tmp-dir "$3"'
      sosMs.push(timed(['unshare', '-m', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', rundir, HOST_NS, sosDir], env))
    }
  } finally {
    rmSync(scratch, {recursive: true, force: true})
  }
  const captureMedianMs = Math.round(median(captureMs))
  const sosMedianMs = Math.round(median(sosMs))
  const ratio = Math.round((sosMedianMs / captureMedianMs) * 10) / 10
  return {runs, captureMs, sosMs, captureMedianMs, sosMedianMs, ratio, targetRatio: TARGET_RATIO, pass: ratio >= TARGET_RATIO}
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchSosVsCapture(new URL('../..', import.meta.url).pathname), null, 2))
}
