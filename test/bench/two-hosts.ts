/**
 * Two-host collection wall time vs the slower host alone (issue 14 target <= 1.3x), captureHosts
 * over real ssh, a fresh control dir per run so each run logs in as a CLI run would:
 *
 * - `benchTwoHosts`: a real sshd (test/engines/sshd.ts, two ports of one server in a namespace of
 *   our own = two hosts for ssh). The remote has no running OVS: the OVS tools answer at once with
 *   an error, so this measures the transport and the remote commands, not OVSDB.
 * - `benchTwoHostsLab`: the real two-host lab (`npm run lab -- up --hosts 2`): two OVS-DPDK hosts
 *   with their own sshd, collected from the lab-ops namespace as `diagnose --host lab-host0 --host
 *   lab-host1` collects them (real OVSDB, real PMD stats). Skipped, with why, when the lab is down.
 *
 * Runnable alone: `npx tsx test/bench/two-hosts.ts` (sshd) or `npx tsx test/bench/two-hosts.ts --lab`.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {HostRunner} from '../../src/exec/runner.js'
import type {RunRequest, Runner} from '../../src/exec/runner.js'
import {captureHosts} from '../../src/remote/hosts.js'
import {makeSshServer} from '../engines/sshd.js'
import {median, round, spread} from './stats.js'
import type {Spread} from './stats.js'

export interface TwoHostsBench {
  where: 'sshd' | 'lab'
  mode: string
  aloneMs: Record<string, Spread>
  bothMs: Spread
  ratio: number
  targetRatio: number
  pass: boolean
}

const TARGET_RATIO = 1.3

interface Target {
  where: TwoHostsBench['where']
  hosts: [string, string]
  runner: Runner
  sshConfig: string
  /** Where each run's fresh control dir is made (mode 0700, ours). */
  scratch: string
}

/** Warm-up, then `runs` interleaved rounds of A alone, B alone, both; medians. */
async function measure(t: Target, opts: {runs: number; duringMs: number | null}): Promise<TwoHostsBench> {
  const once = async (hosts: string[]) => {
    const controlDir = fs.mkdtempSync(path.join(t.scratch, 'control-'))
    const started = performance.now()
    const c = await captureHosts({
      hosts,
      ssh: {configFile: t.sshConfig, options: [], acceptNewHostKeys: false, controlDir},
      hostOvsRundirs: {},
      ovsRundir: null,
      netns: null,
      load: null,
      loadHost: null,
      duringMs: opts.duringMs,
      intervalMs: 1000,
      loadTimeoutMs: 60_000,
      runner: t.runner,
    })
    const ms = performance.now() - started
    if (c.hosts.some((h) => !h.capture)) throw new Error(`a host was not collected: ${c.hosts.map((h) => `${h.name} ${h.status} ${h.failure?.reason ?? ''}`).join('; ')}`)
    return ms
  }
  const [a, b] = t.hosts
  await once([a, b]) // warm-up (page cache, sshd's first fork)
  const times: Record<string, number[]> = {[a]: [], [b]: [], both: []}
  // Interleaved, so a busy moment of the machine falls on every variant alike.
  for (let i = 0; i < opts.runs; i++) {
    times[a]!.push(await once([a]))
    times[b]!.push(await once([b]))
    times.both!.push(await once([a, b]))
  }
  const slower = Math.max(median(times[a]!), median(times[b]!))
  const ratio = round(median(times.both!) / slower, 2)
  return {
    where: t.where,
    mode: opts.duringMs ? `before + ${opts.duringMs / 1000} s window + final` : 'one snapshot',
    aloneMs: {[a]: spread(times[a]!.map((x) => round(x, 0))), [b]: spread(times[b]!.map((x) => round(x, 0)))},
    bothMs: spread(times.both!.map((x) => round(x, 0))),
    ratio,
    targetRatio: TARGET_RATIO,
    pass: ratio <= TARGET_RATIO,
  }
}

export async function benchTwoHosts(opts: {runs?: number; duringMs?: number | null} = {}): Promise<TwoHostsBench | {skipped: string}> {
  if (process.getuid?.() !== 0 || !fs.existsSync('/usr/sbin/sshd')) return {skipped: 'needs root and /usr/sbin/sshd'}
  const server = await makeSshServer({ports: [2223]})
  try {
    await server.start()
    const host = new HostRunner()
    const runner = {run: (r: RunRequest) => host.run({...r, argv: server.inNs(r.argv)})}
    return await measure({where: 'sshd', hosts: ['dd-remote', 'dd-remote2'], runner, sshConfig: server.config, scratch: server.dir}, {runs: opts.runs ?? 5, duringMs: opts.duringMs ?? null})
  } finally {
    await server.destroy()
  }
}

/**
 * The same over the two-host lab, from lab-ops (where the lab's ssh client runs). The lab is not
 * brought up here (it takes both cores and the machine's one lab slot): bring it up, run, tear down.
 */
export async function benchTwoHostsLab(opts: {runs?: number; duringMs?: number | null; pauseVms?: boolean} = {}): Promise<TwoHostsBench | {skipped: string}> {
  if (process.getuid?.() !== 0) return {skipped: 'needs root (the lab)'}
  const lab = await import('../lab/two-host.js')
  if (!(await lab.isTwoHostUp())) return {skipped: 'the two-host lab is down (npm run lab -- up --hosts 2; npm run lab -- fix)'}
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-bench-lab-'))
  // The lab's two "hosts" share this machine's two cores with two busy-polling testpmd VMs, so
  // two hosts' remote commands compete for CPU that two real hosts would not share. Paused (SIGSTOP,
  // the lab's own PIDs), the VMs leave the cores to the collection: its own parallelism is measured.
  const paused = opts.pauseVms ? await lab.pauseVms() : []
  try {
    const host = new HostRunner()
    const runner = {run: (r: RunRequest) => host.run({...r, argv: ['ip', 'netns', 'exec', lab.OPS_NS, ...r.argv]})}
    const result = await measure({where: 'lab', hosts: [lab.HOST_NAMES[0], lab.HOST_NAMES[1]], runner, sshConfig: lab.sshConfigPath(), scratch}, {runs: opts.runs ?? 3, duringMs: opts.duringMs ?? null})
    return opts.pauseVms ? {...result, mode: `${result.mode}, VMs paused`} : result
  } finally {
    lab.resumeVms(paused)
    fs.rmSync(scratch, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const lab = process.argv.includes('--lab')
  const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7)) || undefined
  const pauseVms = process.argv.includes('--pause-vms')
  for (const duringMs of [null, 3000]) console.log(JSON.stringify(await (lab ? benchTwoHostsLab : benchTwoHosts)({duringMs, runs, pauseVms}), null, 2))
}
