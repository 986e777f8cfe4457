/**
 * watch --host A --host B: one WatchSession and WatchStore per host (each its own resident ssh, or
 * the local sampler for `local`), all sampled on the same local tick, and one MultiFrame over them:
 * the per-side lines, the wire between the hosts' DPDK ports, the cross-host rules on the rolling
 * windows, and each host's own frame. A host that stops answering is a status, never the end: it
 * is tried again each tick and the others keep updating. Collection never decides: the verdicts
 * come from each store's rolling analysis and from the cross-host rules.
 */
import {resolve} from 'node:path'
import type {HostInfo, Sample} from '../capture/types.js'
import {runCrossRules} from '../cross/run.js'
import type {CrossSide} from '../cross/types.js'
import type {Runner} from '../exec/runner.js'
import {failedSideLine, kernelPathWords, saveHosts} from '../remote/diagnose.js'
import type {HostCapture, HostsCapture} from '../remote/hosts.js'
import {sampleFailure} from '../remote/hosts.js'
import type {ProbeResult} from '../remote/probe.js'
import type {HostFailure, HostStatus} from '../remote/ssh.js'
import {WatchSession} from './session.js'
import type {SessionStore} from './session.js'
import type {SampleSource} from './sources.js'
import {WatchStore} from './store.js'
import type {LoadView, PortRow, WatchFrame} from './types.js'
import {sleep} from '../util/sleep.js'

/** A host's sample that shows the host stopped answering (its status and why). */
export class HostDownError extends Error {
  constructor(readonly failure: HostFailure) {
    super(`${failure.status}: ${failure.reason}`)
  }
}

/** A host's source that turns a sample in which nothing answered into the host's failure. */
export class GuardedSource implements SampleSource {
  constructor(private readonly inner: SampleSource, private readonly destination: string) {}

  get live(): boolean {
    return this.inner.live
  }

  async next(signal: AbortSignal, opts?: {full?: boolean}): Promise<Sample | null> {
    const sample = await this.inner.next(signal, opts)
    const failure = sample && !signal.aborted ? sampleFailure(sample, this.destination) : null
    if (failure) throw new HostDownError(failure)
    return sample
  }

  queueReading() {
    return this.inner.queueReading?.() ?? null
  }

  close(): void {
    this.inner.close()
  }
}

/** One host as the multi-host watch opens it: a source when it answered the probe, else its failure. */
export interface HostWatchInit {
  name: string
  host: HostInfo
  source: SampleSource | null
  status: HostStatus
  failure: HostFailure | null
  probe: ProbeResult | null
}

export interface HostView {
  name: string
  status: HostStatus
  reason: string | null
  /** Seconds into the watch when it stopped answering (null: answering, or never reached). */
  failedAtS: number | null
  frame: WatchFrame
}

/** One direction on the wire in the last interval: A's DPDK ports' tx against B's DPDK ports' rx. */
export interface WireDirection {
  from: string
  to: string
  /** The DPDK ports summed on each side. */
  fromPorts: string[]
  toPorts: string[]
  txPps: number
  txMbps: number
  rxPps: number
  rxMbps: number
  /** (tx - rx) / tx in % of bits; null when the sender moved (almost) nothing. */
  gapPct: number | null
}

export interface CrossView {
  ruleId: string
  status: 'pass' | 'fail' | 'unknown' | 'not-applicable'
  severity: 'critical' | 'warning' | 'info'
  /** The finding's message (fail) or why it could not judge (unknown). */
  text: string | null
}

export interface MultiFrame {
  hosts: HostView[]
  /** "lab-host0: FAST PATH", "lab-host1: KERNEL PATH via ovsbr0 -> enp65s0f0np0", "lab-host1: UNREACHABLE (...)". */
  sides: string[]
  /** Both directions between the first two hosts; empty until both have an interval. */
  wire: WireDirection[]
  /** The cross-host rules on the two rolling windows. */
  cross: CrossView[]
  ticks: number
  elapsedS: number
  load: LoadView | null
  notes: string[]
}

/** Below this many bits per second a sender is idle: no gap to speak of. */
const WIRE_IDLE_MBPS = 0.01

function dpdkSum(ports: readonly PortRow[]) {
  const dpdk = ports.filter((p) => p.class === 'dpdk')
  const sum = (f: (p: PortRow) => number) => dpdk.reduce((n, p) => n + f(p), 0)
  return {names: dpdk.map((p) => p.name), rxPps: sum((p) => p.rxPps), txPps: sum((p) => p.txPps), rxMbps: sum((p) => p.rxMbps), txMbps: sum((p) => p.txMbps)}
}

/** A's DPDK tx against B's DPDK rx and the reverse, over the hosts' last intervals (sampled on the same tick). */
export function wireDirections(a: {name: string; frame: WatchFrame}, b: {name: string; frame: WatchFrame}): WireDirection[] {
  const A = dpdkSum(a.frame.ports)
  const B = dpdkSum(b.frame.ports)
  if (A.names.length === 0 || B.names.length === 0) return []
  const dir = (from: string, to: string, f: typeof A, t: typeof B): WireDirection => ({
    from, to, fromPorts: f.names, toPorts: t.names, txPps: f.txPps, txMbps: f.txMbps, rxPps: t.rxPps, rxMbps: t.rxMbps,
    gapPct: f.txMbps < WIRE_IDLE_MBPS ? null : ((f.txMbps - t.rxMbps) / f.txMbps) * 100,
  })
  return [dir(a.name, b.name, A, B), dir(b.name, a.name, B, A)]
}

/** A side's line from its live frame, in diagnose's words (sideLine). */
export function liveSideLine(name: string, status: HostStatus, reason: string | null, frame: WatchFrame): string {
  if (status !== 'ok') return failedSideLine(name, status, reason)
  if (frame.path === 'KERNEL PATH') return `${name}: ${kernelPathWords(frame.ports.map((p) => ({name: p.name, class: p.class, moved: p.rxMbps + p.txMbps})))}`
  return `${name}: ${frame.path}`
}

interface HostWatch {
  name: string
  host: HostInfo
  probe: ProbeResult | null
  store: WatchStore
  session: WatchSession | null
  status: HostStatus
  failure: HostFailure | null
  failedAtS: number | null
  /** The host's sample still in flight (a slow host is skipped on the ticks it is late for). */
  busy: Promise<void> | null
}

export interface MultiWatchOptions {
  hosts: HostWatchInit[]
  /** The local runner the load runs through. */
  runner: Runner
  load: string[] | null
  loadTimeoutMs: number
  durationMs: number | null
  /** How long a tick waits for a slow host before the others are shown (it goes on in the background). */
  tickBudgetMs: number
}

export class MultiWatch {
  readonly hosts: HostWatch[]
  private readonly ticks: string[] = []
  private firstT: number | null = null
  private cross: CrossView[] = []
  private notes: string[] = []
  private frame: MultiFrame
  private readonly listeners = new Set<() => void>()
  /** The host whose session runs the load (the first that answered). */
  private readonly owner: HostWatch | null

  constructor(private readonly opts: MultiWatchOptions) {
    this.hosts = opts.hosts.map((h) => ({
      name: h.name, host: h.host, probe: h.probe, store: new WatchStore({host: h.host}), session: null,
      status: h.status, failure: h.failure, failedAtS: null, busy: null,
    }))
    this.owner = this.hosts.find((h, i) => opts.hosts[i]!.source !== null) ?? null
    for (const [i, h] of this.hosts.entries()) {
      const source = opts.hosts[i]!.source
      if (!source) continue
      const owns = h === this.owner && opts.load !== null
      // The load's state goes to every host's store: each host's rules judge the same load.
      const store: SessionStore = owns
        ? {
            addSample: (...args) => h.store.addSample(...args),
            note: (text) => h.store.note(text),
            setLoad: (view, result, o) => {
              for (const other of this.hosts) if (other !== h) other.store.setLoad(view, result, {redraw: false})
              h.store.setLoad(view, result, o)
            },
          }
        : h.store
      h.session = new WatchSession({source: new GuardedSource(source, h.name), store, runner: opts.runner, host: h.host, load: owns ? opts.load : null, loadTimeoutMs: opts.loadTimeoutMs, durationMs: opts.durationMs})
    }
    for (const h of this.hosts) h.store.subscribe(() => this.changed())
    this.frame = this.compute()
  }

  readonly live = true

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  readonly getSnapshot = (): MultiFrame => this.frame

  note(text: string): void {
    this.notes = [...this.notes, text].slice(-3)
    this.changed()
  }

  /**
   * One tick: every host at once. An answering host still busy with its last sample is waited for
   * first (up to the budget), so slow hosts stay on the same tick; past the budget the free ones go
   * without it, and the tick's own samples are waited for up to the budget too (a slow host's
   * sample lands when it comes). A tick with no host free is no tick: it waits for one to be.
   */
  async sampleOnce(signal: AbortSignal): Promise<void> {
    if (this.finished()) return
    const late = this.hosts.flatMap((h) => (h.busy && h.status === 'ok' ? [h.busy] : []))
    if (late.length > 0) await Promise.race([Promise.all(late), sleep(this.opts.tickBudgetMs, signal)])
    const free = this.hosts.filter((h) => h.session && !h.busy)
    if (signal.aborted) return
    if (free.length === 0) {
      const busy = this.hosts.flatMap((h) => (h.busy ? [h.busy] : []))
      if (busy.length > 0) await Promise.race([...busy, sleep(this.opts.tickBudgetMs, signal)])
      return
    }
    const now = Date.now()
    this.firstT ??= now
    this.ticks.push(new Date(now).toISOString())
    const runs: Promise<void>[] = []
    for (const h of free) {
      const run = this.sampleHost(h, signal)
      h.busy = run
      void run.finally(() => {
        if (h.busy === run) h.busy = null
      })
      runs.push(run)
    }
    await Promise.race([Promise.all(runs), sleep(this.opts.tickBudgetMs, signal)])
    this.judgeCross()
    this.changed()
  }

  private async sampleHost(h: HostWatch, signal: AbortSignal): Promise<void> {
    try {
      await h.session!.sampleOnce(signal)
      if (h.status !== 'ok' && !signal.aborted) {
        this.note(`${h.name} answers again`)
        h.status = 'ok'
        h.failure = null
        h.failedAtS = null
      }
    } catch (error) {
      if (!(error instanceof HostDownError)) {
        h.store.note(`a sample failed: ${error instanceof Error ? error.message : String(error)}`)
        return
      }
      if (h.status === 'ok') h.failedAtS = this.firstT === null ? 0 : (Date.now() - this.firstT) / 1000
      h.status = error.failure.status
      h.failure = error.failure
    }
  }

  /** The cross-host rules on the first two hosts' rolling windows (a side not answering: each unknown, with why). */
  private judgeCross(): void {
    const [a, b] = this.hosts
    if (!a || !b) return
    const side = (h: HostWatch): CrossSide | null => {
      const window = h.status === 'ok' ? h.store.rollingWindow() : null
      return window ? {name: h.name, host: h.host, state: window.during, window} : null
    }
    const sa = side(a)
    const sb = side(b)
    const missing = [a, b].filter((h, i) => (i === 0 ? sa : sb) === null).map((h) => (h.status === 'ok' ? `${h.name} has no window yet` : `${h.name} is ${h.status}`))
    const why = missing.length > 0 ? `a side is missing: ${missing.join(', ')}` : this.hosts.length > 2 ? 'judged on the first two hosts' : null
    const {results} = runCrossRules(sa, sb, why)
    this.cross = results.map((r) => ({
      ruleId: r.ruleId,
      status: r.status as CrossView['status'],
      severity: r.findings[0]?.severity ?? r.severity,
      text: r.findings.length > 0 ? r.findings.map((f) => f.message).join('; ') : r.reason,
    }))
  }

  finished(): boolean {
    return this.finishReason() !== null
  }

  finishReason(): 'duration' | 'load-ended' | 'all-failed' | null {
    const answering = this.hosts.filter((h) => h.session && h.status === 'ok')
    if (answering.length === 0) return 'all-failed'
    for (const h of answering) {
      const reason = h.session!.finishReason()
      if (reason === 'duration' || reason === 'load-ended') return reason
    }
    // The load's host stopped answering: its end still ends the watch.
    if (this.owner?.session && this.owner.status !== 'ok' && this.owner.session.loadEnded()) return 'load-ended'
    return null
  }

  /** Saves what every host has so far: DIR/<host>/ and DIR/hosts.json (the `s` key). */
  requestSave(dir: string): Promise<string> {
    try {
      saveHosts(dir, this.capture())
      return Promise.resolve(resolve(dir))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  abortFinal(): void {
    for (const h of this.hosts) h.session?.abortFinal()
  }

  /** The end: samples in flight settle, the load ends, each answering host's final snapshot; the hosts' capture. */
  async stop(): Promise<HostsCapture> {
    await Promise.allSettled(this.hosts.map((h) => h.busy))
    await Promise.all(
      this.hosts.map(async (h) => {
        if (!h.session) return
        if (h.status !== 'ok') h.session.abortFinal()
        try {
          await h.session.stop()
        } catch (error) {
          if (error instanceof HostDownError) {
            h.status = error.failure.status
            h.failure = error.failure
          }
        }
      }),
    )
    return this.capture()
  }

  /** Every host as captureHosts gives them: a host never reached has no capture; the load on every captured host. */
  capture(): HostsCapture {
    const ownerCapture = this.owner?.session?.capture() ?? null
    const load = ownerCapture?.manifest.load ?? null
    const hosts: HostCapture[] = this.hosts.map((h) => {
      const capture = h === this.owner ? ownerCapture : (h.session?.capture() ?? null)
      const withLoad =
        capture && load && capture.samples.length > 1 && !capture.manifest.load
          ? {...capture, manifest: {...capture.manifest, load}, loadOutput: ownerCapture?.loadOutput ?? null}
          : capture
      return {name: h.name, status: h.status, failure: h.failure, probe: h.probe, capture: withLoad && withLoad.samples.length > 0 ? withLoad : null}
    })
    return {hosts, load, ticks: [...this.ticks]}
  }

  private changed(): void {
    this.frame = this.compute()
    for (const listener of this.listeners) listener()
  }

  private compute(): MultiFrame {
    const hosts: HostView[] = this.hosts.map((h) => ({name: h.name, status: h.status, reason: h.failure?.reason ?? null, failedAtS: h.failedAtS, frame: h.store.getSnapshot()}))
    const [a, b] = hosts
    const bothAnswer = a && b && a.status === 'ok' && b.status === 'ok'
    return {
      hosts,
      sides: hosts.map((h) => liveSideLine(h.name, h.status, h.reason, h.frame)),
      wire: bothAnswer ? wireDirections(a, b) : [],
      cross: this.cross,
      ticks: this.ticks.length,
      elapsedS: this.firstT === null ? 0 : Math.max(0, ...hosts.map((h) => h.frame.elapsedS)),
      load: this.owner ? this.owner.store.getSnapshot().load : null,
      notes: this.notes,
    }
  }
}
