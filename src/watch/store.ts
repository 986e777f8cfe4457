/**
 * The watch store: the samples and the load's lines go in, one immutable WatchFrame comes out
 * after each change. It is an external store (subscribe/getSnapshot for useSyncExternalStore), so
 * the plain and JSON outputs and the ink dashboard read the same thing and no component holds
 * state of its own.
 */
import type {HostInfo, Sample} from '../capture/types.js'
import type {RuleResult} from '../engine/types.js'
import {buildHostState} from '../model/build.js'
import type {HostState} from '../model/host-state.js'
import type {LoadResult} from '../parsers/types.js'
import {buildWindow} from '../window/build.js'
import type {LoadWindow} from '../window/types.js'
import {rateCells} from './format.js'
import type {RatePoint} from './format.js'
import {analyseRolling, isFullSample, mainThreadPps, overlayLive, pathLabel, pmdRows, portRates} from './analysis.js'
import type {RollingAnalysis} from './analysis.js'
import {QueueRates, queueReadingOfPorts} from './queues.js'
import type {QueueReading} from './queues.js'
import type {FindingEntry, LoadView, PortRow, WatchFrame} from './types.js'

export interface WatchStoreOptions {
  host: Pick<HostInfo, 'hostname' | 'netns'>
  /** Samples in the rolling window the verdict and findings are judged on (5 = four intervals). */
  windowSamples?: number
  /** Seconds of sparkline history. */
  historyS?: number
  /** Cells of the sparkline over that history (each historyS / cells seconds). */
  sparkCells?: number
}

/**
 * 30 cells of 2 s for the last 60 s: the whole minute fits a 103-column terminal, and the bars
 * (not ASCII, so ink measures them grapheme by grapheme) are half of one per second.
 */
export const SPARK_CELLS = 30

const ms = (iso: string) => new Date(iso).getTime()

/** The verdict without its "limited by" tail: the dashboard gives the limits a line of their own. */
function verdictHeadline(verdict: {text: string; limitedBy: unknown[]} | null): string | null {
  if (!verdict) return null
  return verdict.limitedBy.length > 0 ? verdict.text.replace(/, limited by: .*$/, '') : verdict.text
}

export class WatchStore {
  private readonly windowSamples: number
  private readonly historyMs: number
  private full: Sample | null = null
  private states: HostState[] = []
  private readonly cellMs: number
  private readonly cells: number
  private readonly history = new Map<string, RatePoint[]>()
  private readonly fired = new Set<string>()
  /** The findings log; a new array when a finding fires, so earlier frames keep theirs. */
  private log: FindingEntry[] = []
  /** Rows of the last interval, computed once per sample (notes and load lines reuse them). */
  private ports: PortRow[] = []
  private notes: string[] = []
  private firstT: number | null = null
  private count = 0
  private lastSampleMs: number | null = null
  private analysis: RollingAnalysis | null = null
  /** Snapshot rule results of the current full snapshot (the configuration does not change between). */
  private snapshotResults: RuleResult[] | undefined
  private latest: LoadWindow | null = null
  private loadView: LoadView | null = null
  private loadResult: LoadResult | null = null
  private frame: WatchFrame
  private readonly listeners = new Set<() => void>()
  private readonly queueRates = new QueueRates()

  constructor(private readonly opts: WatchStoreOptions) {
    this.windowSamples = Math.max(2, opts.windowSamples ?? 5)
    this.historyMs = (opts.historyS ?? 60) * 1000
    this.cells = opts.sparkCells ?? SPARK_CELLS
    this.cellMs = this.historyMs / this.cells
    this.frame = this.compute()
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  readonly getSnapshot = (): WatchFrame => this.frame

  /** The rolling window the verdict is judged on (a multi-host watch runs the cross-host rules on it); null before two samples. */
  rollingWindow(): LoadWindow | null {
    return this.analysis?.window ?? null
  }

  /**
   * A new sample: a full one (before, final) or live counters read through the last full one.
   * `queues`: the per-queue counters read beside a live sample (a full one has them in OVSDB's Interface rows).
   */
  addSample(sample: Sample, durationMs: number | null = null, queues: QueueReading | null = null): void {
    if (isFullSample(sample)) {
      this.full = sample
      this.snapshotResults = undefined
    }
    const seen = this.full && !isFullSample(sample) ? overlayLive(this.full, sample) : sample
    const state = buildHostState(seen, this.opts.host)
    this.states = [...this.states, state].slice(-this.windowSamples)
    // A live sample's state carries the full sample's statistics: never read queues from it.
    const reading = isFullSample(sample) ? queueReadingOfPorts(ms(sample.takenAt), state.ports) : queues
    if (reading) this.queueRates.add(reading)
    this.count++
    this.lastSampleMs = durationMs
    const t = ms(sample.takenAt)
    this.firstT ??= t
    if (this.states.length >= 2) {
      const load = this.windowLoad()
      this.latest = buildWindow(this.states.slice(-2), load)
      this.analysis = analyseRolling(this.states, load, this.snapshotResults)
      this.snapshotResults = this.analysis.snapshotResults
      const from = ms(this.latest.before.takenAt)
      const span = {originT: this.firstT, endT: t, cellMs: this.cellMs, cells: this.cells}
      this.ports = portRates(this.latest).map((row) => {
        let series = this.history.get(row.name)
        if (!series) this.history.set(row.name, (series = []))
        series.push({from, to: t, value: row.rxMbps + row.txMbps})
        while (series[0]!.to <= t - this.historyMs - this.cellMs) series.shift()
        return {...row, history: rateCells(series, span)}
      })
      const atS = (t - this.firstT) / 1000
      const fresh: FindingEntry[] = []
      for (const f of this.analysis.findings) {
        const key = `${f.ruleId}\u0000${f.subject}`
        if (this.fired.has(key)) continue
        this.fired.add(key)
        fresh.push({atS, severity: f.severity, ruleId: f.ruleId, subject: f.subject, message: f.message})
      }
      if (fresh.length > 0) this.log = [...this.log, ...fresh]
    }
    this.changed()
  }

  /** The load as the rolling window's rules see it (its argv gives the iperf3 target). */
  private windowLoad(): LoadWindow['load'] {
    if (!this.loadView) return null
    const started = this.states[0]?.takenAt ?? new Date().toISOString()
    return {
      record: {argv: this.loadView.argv, exitCode: this.loadView.exitCode, startedAt: started, endedAt: started, output: null},
      result: this.loadResult,
      parseError: null,
    }
  }

  /**
   * The load's state and its latest line. `redraw: false` (a new per-interval line of a running
   * load) waits for the next sample to be shown: one redraw per interval, not one for the sample
   * and another for the load's line a moment later. A change of state (started, ended) shows at once.
   */
  setLoad(view: LoadView, result: LoadResult | null = this.loadResult, opts: {redraw?: boolean} = {}): void {
    this.loadView = view
    this.loadResult = result
    if (opts.redraw ?? true) this.changed()
  }

  note(text: string): void {
    this.notes = [...this.notes, text].slice(-3)
    this.changed()
  }

  private changed(): void {
    this.frame = this.compute()
    for (const listener of this.listeners) listener()
  }

  private compute(): WatchFrame {
    const last = this.states[this.states.length - 1] ?? null
    const firstTaken = this.firstT
    return {
      host: this.opts.host.hostname,
      netns: this.opts.host.netns,
      ovsVersion: last?.versions.ovs ?? null,
      dpdkVersion: last?.versions.dpdk ?? null,
      bridges: last ? last.bridges.map((b) => `${b.name} (${b.datapathType})`) : [],
      samples: this.count,
      sparkCellS: this.cellMs / 1000,
      elapsedS: last && firstTaken !== null ? (ms(last.takenAt) - firstTaken) / 1000 : 0,
      windowS: this.analysis?.window.durationS ?? 0,
      path: pathLabel(this.analysis),
      verdictText: verdictHeadline(this.analysis?.verdict ?? null) ?? (this.count === 0 ? 'collecting the first snapshot' : 'waiting for the second sample'),
      limits: [...new Set((this.analysis?.verdict.limitedBy ?? []).map((l) => l.text))],
      ports: this.ports,
      queues: this.queueRates.rows(),
      pmds: this.latest ? pmdRows(this.latest) : [],
      mainThreadPps: this.latest ? mainThreadPps(this.latest) : null,
      load: this.loadView,
      findings: this.log,
      fix: this.analysis?.fix ?? [],
      notes: this.notes,
      lastSampleMs: this.lastSampleMs,
    }
  }
}
