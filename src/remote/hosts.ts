/**
 * Several hosts at once: each probed, then every host's before snapshot, then the load, samples of
 * every host on the same local tick (one resident ssh per host), and the final snapshots. A host
 * that fails is a status, never an exception: the others are still collected.
 */
import {setMaxListeners} from 'node:events'
import type {Capture, CaptureManifest, HostInfo, LoadRecord, Sample, SourceResult} from '../capture/types.js'
import {CAPTURE_FORMAT, CAPTURE_VERSION} from '../capture/types.js'
import {bridgeProtocolsOf, bridgesOf, collectSample} from '../collect/collect.js'
import type {CollectOptions} from '../collect/collect.js'
import type {CollectTarget, SourceSpec} from '../collect/sources.js'
import {hostInfo} from '../diagnose/live.js'
import {DoctorError} from '../errors.js'
import {HostRunner} from '../exec/runner.js'
import type {Runner, RunResult} from '../exec/runner.js'
import {sleep} from '../util/sleep.js'
import {TOOL} from '../version.js'
import {estimateClock, probeHost} from './probe.js'
import type {ProbeResult} from './probe.js'
import {RemoteResidentReader} from './resident.js'
import type {RemoteReaderKind} from './readers.js'
import {assertHostName, classifySshFailure, LOCAL_HOST} from './ssh.js'
import type {HostFailure, HostStatus, RemoteRunner, SshSettings} from './ssh.js'

export interface HostsRequest {
  hosts: string[]
  ssh: SshSettings
  /** OVS run directory per host (--host-ovs-rundir), else ovsRundir for all. */
  hostOvsRundirs: Record<string, string>
  ovsRundir: string | null
  netns: string | null
  load: string[] | null
  /** Run the load on this host over ssh (--load-host); null: here. */
  loadHost: string | null
  duringMs: number | null
  intervalMs: number
  loadTimeoutMs: number
  signal?: AbortSignal
  progress?: (line: string) => void
  thorough?: boolean
  /** The local runner (tests run ssh inside a namespace). */
  runner?: Runner
}

export interface HostCapture {
  name: string
  status: HostStatus
  failure: HostFailure | null
  probe: ProbeResult | null
  capture: Capture | null
}

export interface HostsCapture {
  hosts: HostCapture[]
  load: LoadRecord | null
  /** The local times of the ticks every host was sampled on. */
  ticks: string[]
}

/** One host's collection: the local runner, or one resident ssh (and one more for slow sources). */
export class HostSession {
  status: HostStatus = 'ok'
  failure: HostFailure | null = null
  probe: ProbeResult | null = null
  remote: RemoteRunner | null = null
  private main: RemoteResidentReader | null = null
  /** More sessions for snapshots (channels of the same master connection): a source that hangs to its deadline does not hold up the rest. */
  private extra: RemoteResidentReader[] = []

  constructor(
    readonly name: string,
    readonly target: CollectTarget,
    private readonly local: Runner,
  ) {}

  get isLocal(): boolean {
    return this.name === LOCAL_HOST
  }

  async open(ssh: SshSettings, signal?: AbortSignal): Promise<void> {
    if (this.isLocal) return
    const {probe, runner} = await probeHost(this.local, this.name, ssh, {signal})
    this.probe = probe
    this.remote = runner
    if (probe.failure) {
      this.status = probe.failure.status
      this.failure = probe.failure
      return
    }
    this.main = new RemoteResidentReader(runner)
    const main = this.main
    const clock = await estimateClock(async () => {
      const r = await main.source('clock', {argv: ['date', '+%s%N']}, 15_000, signal)
      return r.status === 'ok' ? r.stdout : null
    })
    this.probe = {...probe, ...clock}
  }

  /** A runner already known to work (tests' fake remote): sampled as an opened host is. */
  attach(runner: RemoteRunner, probe: ProbeResult | null = null): void {
    this.remote = runner
    this.probe = probe
    this.main = new RemoteResidentReader(runner)
  }

  collectOptions(signal?: AbortSignal, live = false): CollectOptions {
    if (this.isLocal || !this.main) return {runner: this.local, target: this.target, signal}
    return {runner: this.remote!, target: this.target, signal, execute: (spec, argv, s) => this.execute(spec, argv, s, live)}
  }

  /** Live samples on the one resident session; snapshots spread over up to SNAPSHOT_SESSIONS. */
  private pick(live: boolean): RemoteResidentReader {
    const main = this.main!
    if (live || main.load === 0) return main
    const idle = this.extra.find((r) => r.load === 0)
    if (idle) return idle
    if (this.extra.length < SNAPSHOT_SESSIONS - 1) {
      const reader = new RemoteResidentReader(this.remote!)
      this.extra.push(reader)
      return reader
    }
    return [main, ...this.extra].reduce((a, b) => (b.load < a.load ? b : a))
  }

  private execute(spec: SourceSpec, argv: string[] | null, signal: AbortSignal | undefined, live: boolean): Promise<SourceResult> {
    const reader = this.pick(live)
    // Over ssh a reading also pays the round trip and the remote's own load: a floor under the local deadline.
    const timeoutMs = Math.max(spec.timeoutMs, REMOTE_MIN_SOURCE_TIMEOUT_MS)
    const env = spec.side === 'ovs' && this.target.ovsRundir ? {OVS_RUNDIR: this.target.ovsRundir} : undefined
    if (spec.reader && spec.reader !== 'file' && !this.target.netns) return reader.source(spec.id, {reader: spec.reader as RemoteReaderKind, path: spec.path}, timeoutMs, signal)
    if (spec.reader === 'file') return reader.source(spec.id, {argv: argv ?? [], path: spec.path}, timeoutMs, signal)
    return reader.source(spec.id, {argv: argv ?? [], env}, timeoutMs, signal)
  }

  close(): void {
    this.main?.close()
    for (const r of this.extra) r.close()
  }

  hostInfo(): HostInfo {
    if (this.isLocal || !this.probe) return hostInfo(this.target)
    const p = this.probe
    return {
      hostname: p.hostname,
      machineId: p.machineId,
      kernel: p.kernel,
      netns: this.target.netns,
      ovsRundir: this.target.ovsRundir,
      remote: {destination: this.name, user: p.user, sudo: p.sudo, clockOffsetMs: p.clockOffsetMs, rttMs: p.rttMs},
    }
  }
}

/** The status a reachable host's before snapshot gives: OVS missing or not answering. */
export function snapshotStatus(sample: Sample): {status: HostStatus; reason: string} | null {
  const bridge = sample.sources['ovsdb-bridge']
  if (!bridge || bridge.status === 'ok') return null
  if (bridge.status === 'not-installed') return {status: 'tool-missing', reason: `ovs-vsctl: ${bridge.reason ?? 'not found'}`}
  if (bridge.status === 'permission-denied') return {status: 'sudo-password', reason: bridge.reason ?? 'permission denied'}
  return {status: 'ovs-down', reason: `OVSDB does not answer: ${bridge.reason ?? bridge.status}`}
}

/**
 * A host that stopped answering, from one sample it gave: no source answered, and its resident ssh
 * ended (ssh's own failure, classified as at the probe) or every reading ran out of time. null while
 * anything answered (a host whose OVS is down still answers its kernel readers).
 */
export function sampleFailure(sample: Sample, destination: string): HostFailure | null {
  const results = Object.values(sample.sources)
  if (results.length === 0 || results.some((r) => r.status === 'ok')) return null
  const ended = results.map((r) => /^the remote reader ended \((.*)\)$/s.exec(r.reason ?? '')?.[1]).find((x): x is string => Boolean(x))
  if (ended) {
    const text = ended.replace(/^ssh: /, '')
    return classifySshFailure(text, destination) ?? {status: 'unreachable', reason: text, fix: null}
  }
  if (results.every((r) => r.status === 'timeout' || r.status === 'skipped')) return {status: 'timeout', reason: results.find((r) => r.status === 'timeout')?.reason ?? 'no answer', fix: null}
  return null
}

/** Sessions per host for a snapshot (~25 sources). */
/** The least time a remote reading gets (a 2-core host under load took 6 s for `ip -s -d link` over ssh). */
const REMOTE_MIN_SOURCE_TIMEOUT_MS = 20_000
const SNAPSHOT_SESSIONS = 4

/** The --host names, validated (`local` as it is); none, or one given twice, is a usage error. */
export function checkedHostNames(hosts: readonly string[]): string[] {
  if (hosts.length === 0) throw new DoctorError('E_USAGE', 'no host given')
  const names = hosts.map((h) => (h === LOCAL_HOST ? h : assertHostName(h)))
  if (new Set(names).size !== names.length) throw new DoctorError('E_USAGE', `a host is given twice: ${names.join(', ')}`)
  return names
}

export async function captureHosts(req: HostsRequest): Promise<HostsCapture> {
  const names = checkedHostNames(req.hosts)
  if (req.loadHost && !names.includes(req.loadHost)) throw new DoctorError('E_USAGE', `--load-host ${req.loadHost} is not one of the --host values`)
  const local = req.runner ?? new HostRunner()
  const progress = req.progress ?? (() => {})
  if (req.signal) setMaxListeners(200, req.signal)
  const sessions = names.map((name) => {
    const rundir = req.hostOvsRundirs[name] ?? req.ovsRundir
    return new HostSession(name, {netns: req.netns, ovsRundir: rundir, remote: name !== LOCAL_HOST}, local)
  })
  const createdAt = new Date().toISOString()
  try {
    progress(`connecting to ${names.join(', ')}`)
    await Promise.all(sessions.map((s) => s.open(req.ssh, req.signal)))
    const live = () => sessions.filter((s) => s.status === 'ok' || s.status === 'ovs-down')
    const windowed = Boolean(req.load) || Boolean(req.duringMs)
    progress('collecting the before snapshots')
    const samples = new Map<HostSession, Sample[]>()
    const befores = await Promise.all(
      live().map(async (s) => {
        const before = await collectSample('before', {...s.collectOptions(req.signal), slow: req.thorough ? 'wait' : windowed ? 'background' : 'grace'})
        samples.set(s, [before.sample])
        const problem = snapshotStatus(before.sample)
        if (problem) {
          s.status = problem.status
          s.failure = {status: problem.status as Exclude<HostStatus, 'ok'>, reason: problem.reason, fix: null}
        }
        return before
      }),
    )
    const ticks: string[] = []
    let load: LoadRecord | null = null
    let loadOutput: string | null = null
    // Hosts sampled in the window: those whose OVS answered.
    const sampled = live().filter((s) => s.status === 'ok')
    if (windowed) {
      const knowledge = new Map(sampled.map((s) => [s, {bridges: bridgesOf(samples.get(s)![0]!), protocols: bridgeProtocolsOf(samples.get(s)![0]!)}]))
      const started = Date.now()
      let loadRun: Promise<RunResult> | null = null
      let loadDone = false
      if (req.load) {
        const loadSession = req.loadHost ? sessions.find((s) => s.name === req.loadHost) : null
        // Never here instead: a load host that failed is the error (its status says why).
        if (loadSession && !loadSession.isLocal && (!loadSession.remote || (loadSession.status !== 'ok' && loadSession.status !== 'ovs-down'))) {
          throw new DoctorError('E_LOAD', `the load host ${req.loadHost} is ${loadSession.status}${loadSession.failure ? ` (${loadSession.failure.reason})` : ''}: the load was not run`)
        }
        const loadRunner: Runner = loadSession?.remote ?? local
        progress(`starting the load${req.loadHost ? ` on ${req.loadHost}` : ''}: ${req.load.join(' ')}`)
        loadRun = loadRunner.run({argv: req.load, timeoutMs: req.loadTimeoutMs, signal: req.signal})
        void loadRun.finally(() => {
          loadDone = true
        })
      }
      const finished = () => req.signal?.aborted || (loadRun ? loadDone : Date.now() - started >= (req.duringMs ?? 0))
      let n = 0
      let next = started + req.intervalMs
      while (!finished()) {
        await Promise.race([sleep(Math.max(0, next - Date.now()), req.signal), ...(loadRun ? [loadRun.then(() => undefined)] : [])])
        if (finished()) break
        n++
        const name = n === 1 ? 'during' : `during-${n}`
        ticks.push(new Date().toISOString())
        // Every host on the same tick, at once.
        await Promise.all(
          sampled.map(async (s) => {
            const k = knowledge.get(s)!
            const r = await collectSample(name, {...s.collectOptions(req.signal, true), live: true, knownBridges: k.bridges, knownProtocols: k.protocols})
            samples.get(s)!.push(r.sample)
          }),
        )
        progress(`sampled live counters of ${sampled.length} host(s) (${n})`)
        next = Math.max(Date.now(), next + req.intervalMs)
      }
      if (req.signal?.aborted) throw new DoctorError('E_INTERRUPTED', 'interrupted: the load was ended and nothing was diagnosed')
      if (loadRun) {
        const result = await loadRun
        load = {argv: req.load!, exitCode: result.exitCode, startedAt: new Date(started).toISOString(), endedAt: new Date(started + result.durationMs).toISOString(), output: 'load/output.json'}
        loadOutput = result.stdout
        if (result.notFound) throw new DoctorError('E_LOAD', `the load command was not found: ${req.load![0]}`, {suggestions: ['Install it, or give its full path.']})
        if (result.exitCode !== 0) progress(`the load exited ${result.exitCode}: ${result.stderr.trim().split('\n')[0] ?? ''}`)
      }
      progress('collecting the during snapshots')
      await Promise.all(
        sampled.map(async (s) => {
          const list = samples.get(s)!
          const final = await collectSample(`during${n + 1 === 1 ? '' : `-${n + 1}`}`, {...s.collectOptions(req.signal), slow: 'grace'})
          list.push(final.sample)
        }),
      )
    }
    await Promise.all(befores.map((b) => b.settled))
    const hosts: HostCapture[] = sessions.map((s) => {
      const list = samples.get(s)
      if (!list) return {name: s.name, status: s.status, failure: s.failure, probe: s.probe, capture: null}
      const manifest: CaptureManifest = {
        format: CAPTURE_FORMAT,
        version: CAPTURE_VERSION,
        host: s.hostInfo(),
        tool: TOOL,
        createdAt,
        samples: list.map((x) => ({name: x.name, takenAt: x.takenAt})),
        load: list.length > 1 ? load : null,
      }
      return {name: s.name, status: s.status, failure: s.failure, probe: s.probe, capture: {manifest, samples: list, loadOutput: list.length > 1 ? loadOutput : null}}
    })
    return {hosts, load, ticks}
  } finally {
    for (const s of sessions) s.close()
  }
}
