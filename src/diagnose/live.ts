/**
 * Live capture: the before snapshot, then either a load command (run without a shell, its process
 * group ended on exit or Ctrl-C) or a fixed duration of the user's own load, live counters sampled
 * every interval (stretched when a sample runs late), and a final full snapshot.
 */
import {setMaxListeners} from 'node:events'
import {readFileSync} from 'node:fs'
import {hostname, release} from 'node:os'
import type {Capture, CaptureManifest, HostInfo, LoadRecord, Sample} from '../capture/types.js'
import {CAPTURE_FORMAT, CAPTURE_VERSION} from '../capture/types.js'
import {bridgeProtocolsOf, bridgesOf, collectSample} from '../collect/collect.js'
import type {CollectTarget} from '../collect/sources.js'
import {DoctorError} from '../errors.js'
import type {Runner, RunResult} from '../exec/runner.js'
import {sleep} from '../util/sleep.js'
import {TOOL} from '../version.js'

export interface LiveOptions {
  runner: Runner
  target: CollectTarget
  /** argv of the load to run (diagnose --load). */
  load?: string[] | null
  /** Sample for this long while the user runs their own load (diagnose --during). */
  duringMs?: number | null
  intervalMs: number
  /** Hard limit for the load command. */
  loadTimeoutMs: number
  signal?: AbortSignal
  /** Progress lines (the command shows them on a TTY's stderr only). */
  progress?: (line: string) => void
  /** Wait for slow optional sources (capture bundles for support). */
  thorough?: boolean
}

function machineId(): string | null {
  try {
    return readFileSync('/etc/machine-id', 'utf8').trim() || null
  } catch {
    return null
  }
}

export function hostInfo(target: CollectTarget): HostInfo {
  return {hostname: hostname(), machineId: machineId(), kernel: release(), netns: target.netns, ovsRundir: target.ovsRundir}
}

/** Seconds an iperf3 client will run (-t N, default 10), for the progress display. */
function expectedLoadSeconds(argv: string[]): number | null {
  if (!argv[0]?.endsWith('iperf3') && !argv.includes('iperf3')) return null
  const i = argv.findIndex((a) => a === '-t' || a === '--time')
  return i >= 0 ? Number(argv[i + 1]) || null : 10
}

export async function captureLive(opts: LiveOptions): Promise<Capture> {
  const createdAt = new Date().toISOString()
  const progress = opts.progress ?? (() => {})
  const collect = {runner: opts.runner, target: opts.target, signal: opts.signal}
  const windowed = Boolean(opts.load) || Boolean(opts.duringMs)
  // Every source in flight listens on the signal (a snapshot runs ~25 at once): not a leak, so no
  // MaxListenersExceededWarning on stderr.
  if (opts.signal) setMaxListeners(100, opts.signal)

  progress('collecting the before snapshot')
  const before = await collectSample('before', {...collect, slow: opts.thorough ? 'wait' : windowed ? 'background' : 'grace'})
  const samples: Sample[] = [before.sample]
  let load: LoadRecord | null = null
  let loadOutput: string | null = null

  if (windowed) {
    const bridges = bridgesOf(before.sample)
    const protocols = bridgeProtocolsOf(before.sample)
    const started = Date.now()
    let loadRun: Promise<RunResult> | null = null
    let loadDone = false
    if (opts.load) {
      progress(`starting the load: ${opts.load.join(' ')}`)
      loadRun = opts.runner.run({argv: opts.load, timeoutMs: opts.loadTimeoutMs, signal: opts.signal})
      void loadRun.finally(() => {
        loadDone = true
      })
    }
    const expected = opts.load ? expectedLoadSeconds(opts.load) : (opts.duringMs ?? 0) / 1000
    const finished = () => opts.signal?.aborted || (loadRun ? loadDone : Date.now() - started >= (opts.duringMs ?? 0))
    let n = 0
    let next = started + opts.intervalMs
    while (!finished()) {
      // Stretch the interval when a sample runs late instead of piling samples up.
      await Promise.race([sleep(Math.max(0, next - Date.now()), opts.signal), ...(loadRun ? [loadRun.then(() => undefined)] : [])])
      if (finished()) break
      n++
      const name = n === 1 ? 'during' : `during-${n}`
      const live = await collectSample(name, {...collect, live: true, knownBridges: bridges, knownProtocols: protocols})
      samples.push(live.sample)
      const elapsed = (Date.now() - started) / 1000
      progress(`sampled live counters (${n}); ${expected ? `${Math.max(0, expected - elapsed).toFixed(0)} s left` : `${elapsed.toFixed(0)} s elapsed`}`)
      next = Math.max(Date.now(), next + opts.intervalMs)
    }
    if (opts.signal?.aborted) throw new DoctorError('E_INTERRUPTED', 'interrupted: the load was ended and nothing was diagnosed')
    if (loadRun) {
      const result = await loadRun
      load = {argv: opts.load!, exitCode: result.exitCode, startedAt: new Date(started).toISOString(), endedAt: new Date(started + result.durationMs).toISOString(), output: 'load/output.json'}
      loadOutput = result.stdout
      if (result.notFound) throw new DoctorError('E_LOAD', `the load command was not found: ${opts.load![0]}`, {suggestions: ['Install it, or give its full path.']})
      if (result.timedOut) progress(`the load ran past ${opts.loadTimeoutMs / 1000} s and was ended`)
      else if (result.exitCode !== 0) progress(`the load exited ${result.exitCode}: ${result.stderr.trim().split('\n')[0] ?? ''}`)
    }
    progress('collecting the during snapshot')
    const final = await collectSample(`during${n + 1 === 1 ? '' : `-${n + 1}`}`, {...collect, slow: 'grace'})
    samples.push(final.sample)
    await before.settled
  }

  const manifest: CaptureManifest = {
    format: CAPTURE_FORMAT,
    version: CAPTURE_VERSION,
    host: hostInfo(opts.target),
    tool: TOOL,
    createdAt,
    samples: samples.map((s) => ({name: s.name, takenAt: s.takenAt})),
    load,
  }
  return {manifest, samples, loadOutput}
}
