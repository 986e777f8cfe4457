/**
 * One watch run, apart from how it is shown: takes samples (the pacer calls sampleOnce), runs the
 * load and reads its per-interval lines, saves a capture on request, and at the end ends the
 * load's process group, takes a final full snapshot and hands back the capture for diagnose.
 */
import {resolve} from 'node:path'
import {writeCapture} from '../capture/bundle.js'
import type {Capture, HostInfo, LoadRecord, Sample} from '../capture/types.js'
import {CAPTURE_FORMAT, CAPTURE_VERSION} from '../capture/types.js'
import type {Runner, RunResult} from '../exec/runner.js'
import {parseIperf3} from '../parsers/iperf3.js'
import {Iperf3TextReader} from '../parsers/iperf3-text.js'
import type {LoadResult} from '../parsers/types.js'
import {TOOL} from '../version.js'
import {isFullSample} from './analysis.js'
import type {SampleSource} from './sources.js'
import type {WatchStore} from './store.js'
import type {LoadView} from './types.js'

/** Samples kept for --save and the summary: an hour at 1 s (the oldest live ones go first). */
export const MAX_KEPT_SAMPLES = 3600

/** What a session writes to: a WatchStore, or (a multi-host watch's load owner) one that tees the load to every host's. */
export type SessionStore = Pick<WatchStore, 'addSample' | 'setLoad' | 'note'>

export interface WatchSessionOptions {
  source: SampleSource
  store: SessionStore
  runner: Runner
  host: HostInfo
  /** argv of the load (no shell), already adjusted by loadArgv(). */
  load: string[] | null
  loadTimeoutMs: number
  /** Stop after this long (of sampled time); null: until q, Ctrl-C, the load's end or the recording's end. */
  durationMs: number | null
  /** A replayed bundle: its load and output are shown, and the summary is its own diagnosis. */
  recorded?: Capture
}

const isIperf3 = (argv: string[]) => argv.some((a) => a === 'iperf3' || a.endsWith('/iperf3'))

/**
 * The load's argv as watch runs it: iperf3 without -J gets --forceflush, so each interval's line
 * reaches the pipe as it is printed (iperf3 block-buffers a pipe otherwise).
 */
export function loadArgv(argv: string[]): {argv: string[]; note: string | null} {
  if (!isIperf3(argv)) return {argv, note: null}
  if (argv.includes('-J') || argv.includes('--json')) {
    return {argv, note: 'iperf3 -J prints its figures only when it ends: leave out -J to see its rate every interval'}
  }
  return {argv: argv.includes('--forceflush') ? argv : [...argv, '--forceflush'], note: null}
}

export class WatchSession {
  readonly samples: Sample[] = []
  private exhausted = false
  private loadRun: Promise<RunResult> | null = null
  private loadResult: RunResult | null = null
  private loadStartedAt: string | null = null
  private samplesAfterLoad = 0
  private readonly loadAbort = new AbortController()
  private readonly finalAbort = new AbortController()
  private readonly reader = new Iperf3TextReader()
  private view: LoadView | null = null
  private readonly recordedLoad: LoadResult | null
  private pendingSave: {dir: string; resolve: (dir: string) => void; reject: (e: unknown) => void} | null = null

  constructor(private readonly opts: WatchSessionOptions) {
    const rec = opts.recorded
    const parsed = rec?.loadOutput ? parseIperf3(rec.loadOutput) : null
    this.recordedLoad = parsed?.ok ? parsed.value : null
    if (rec?.manifest.load) {
      this.view = {
        argv: rec.manifest.load.argv, state: 'exited', exitCode: rec.manifest.load.exitCode, target: this.recordedLoad?.target ?? null,
        bitsPerSecond: this.recordedLoad?.bitsPerSecond ?? null, retransmits: this.recordedLoad?.retransmits ?? null, interval: null,
        error: this.recordedLoad?.error ?? null,
      }
      opts.store.setLoad(this.view, this.recordedLoad)
    }
  }

  get live(): boolean {
    return this.opts.source.live
  }

  /** One sample (the pacer's tick). A sample cut short by the stop is dropped. */
  async sampleOnce(signal: AbortSignal): Promise<void> {
    if (this.finished()) return
    const save = this.pendingSave
    this.pendingSave = null
    const started = Date.now()
    let sample: Sample | null
    try {
      sample = await this.opts.source.next(signal, {full: save !== null})
    } catch (error) {
      save?.reject(error)
      throw error
    }
    if (signal.aborted) {
      save?.reject(new Error('stopped before the capture was taken'))
      return
    }
    if (!sample) {
      this.exhausted = true
      return
    }
    this.keep(sample)
    if (this.loadResult) this.samplesAfterLoad++
    if (!this.live) this.showRecordedInterval(sample)
    this.opts.store.addSample(sample, Date.now() - started, this.opts.source.queueReading?.() ?? null)
    if (this.samples.length === 1 && this.opts.load && this.live) this.startLoad(this.opts.load)
    if (save) {
      try {
        save.resolve(this.writeTo(save.dir))
      } catch (error) {
        save.reject(error)
      }
    }
  }

  private keep(sample: Sample): void {
    this.samples.push(sample)
    if (this.samples.length > MAX_KEPT_SAMPLES) this.samples.splice(1, 1) // keep the before snapshot
  }

  /** The load has ended (whether or not a sample has shown it yet). */
  loadEnded(): boolean {
    return this.loadResult !== null
  }

  /** Done: the recording ended, --duration passed, or the load ended (and one more sample showed it). */
  finished(): boolean {
    return this.finishReason() !== null
  }

  finishReason(): 'recording-end' | 'duration' | 'load-ended' | null {
    if (this.exhausted) return 'recording-end'
    if (this.opts.durationMs !== null && this.elapsedMs() >= this.opts.durationMs) return 'duration'
    return this.loadResult !== null && this.samplesAfterLoad >= 1 ? 'load-ended' : null
  }

  /** Samples are still being taken, so the next one comes within an interval. */
  private sampling(): boolean {
    return this.samples.length > 0 && !this.finished()
  }

  private elapsedMs(): number {
    const first = this.samples[0]
    const last = this.samples[this.samples.length - 1]
    return first && last ? new Date(last.takenAt).getTime() - new Date(first.takenAt).getTime() : 0
  }

  private startLoad(argv: string[]): void {
    this.loadStartedAt = new Date().toISOString()
    this.view = {argv, state: 'running', exitCode: null, target: null, bitsPerSecond: null, retransmits: null, interval: null, error: null}
    this.opts.store.setLoad(this.view)
    this.loadRun = this.opts.runner.run({
      argv,
      timeoutMs: this.opts.loadTimeoutMs,
      signal: this.loadAbort.signal,
      onStdout: (chunk) => this.onLoadOutput(this.reader.push(chunk)),
    })
    void this.loadRun.then((result) => {
      this.onLoadOutput(this.reader.end())
      this.loadResult = result
      // iperf3 -J: the whole test at the end.
      const json = result.stdout.trimStart().startsWith('{') ? parseIperf3(result.stdout) : null
      const final = json?.ok ? json.value : this.reader.result()
      const error = result.notFound ? `${argv[0]}: not found` : (final.error ?? (result.exitCode !== 0 && !this.loadAbort.signal.aborted ? result.stderr.trim().split('\n')[0] || null : null))
      this.view = {
        ...this.view!,
        state: 'exited',
        exitCode: result.exitCode,
        target: final.target ?? this.view!.target,
        bitsPerSecond: this.reader.intervals.length > 0 ? this.view!.bitsPerSecond : final.bitsPerSecond,
        retransmits: this.reader.intervals.length > 0 ? this.view!.retransmits : final.retransmits,
        error: error ?? null,
      }
      this.opts.store.setLoad(this.view, final)
    })
  }

  private onLoadOutput(intervals: ReturnType<Iperf3TextReader['push']>): void {
    const last = intervals[intervals.length - 1]
    if (!this.view || (!last && this.reader.target === this.view.target)) return
    this.view = {
      ...this.view,
      target: this.reader.target,
      ...(last ? {bitsPerSecond: last.bitsPerSecond, retransmits: last.retransmits, interval: `${last.start.toFixed(2)}-${last.end.toFixed(2)}`} : {}),
    }
    // Shown with the next sample (one redraw per interval), while samples are being taken.
    this.opts.store.setLoad(this.view, this.reader.result(), {redraw: !this.sampling()})
  }

  /** A replayed iperf3 -J run: the interval that had ended by the sample's time. */
  private showRecordedInterval(sample: Sample): void {
    const load = this.recordedLoad
    if (!this.view || !load || load.startedAtSecs === null) return
    const t = new Date(sample.takenAt).getTime() / 1000 - load.startedAtSecs
    const done = load.intervals.filter((iv) => iv.end <= t + 0.001)
    const iv = done[done.length - 1]
    if (!iv) return
    this.view = {...this.view, bitsPerSecond: iv.bitsPerSecond, retransmits: iv.retransmits, interval: `${iv.start.toFixed(2)}-${iv.end.toFixed(2)}`}
    this.opts.store.setLoad(this.view, load, {redraw: false}) // the sample that follows redraws
  }

  /**
   * Save a capture bundle of the window so far. Live, the next tick takes a full snapshot first
   * (never a second collection beside the pacer's); a replay writes what it has shown.
   */
  requestSave(dir: string): Promise<string> {
    if (!this.live) return Promise.resolve(this.writeTo(dir))
    return new Promise((resolveSave, reject) => {
      this.pendingSave?.reject(new Error('superseded by a newer save'))
      this.pendingSave = {dir, resolve: resolveSave, reject}
    })
  }

  private writeTo(dir: string): string {
    writeCapture(dir, this.capture())
    return resolve(dir)
  }

  /** Ends a slow final snapshot (a second Ctrl-C). */
  abortFinal(): void {
    this.finalAbort.abort()
  }

  /**
   * The end, after the pacer stopped: end the load's process group (the runner's abort), wait for
   * it, and take a final full snapshot so the capture reads like diagnose's (before, live, final).
   */
  async stop(): Promise<Capture> {
    this.pendingSave?.reject(new Error('stopped before the capture was taken'))
    this.pendingSave = null
    this.loadAbort.abort()
    if (this.loadRun) await this.loadRun
    const last = this.samples[this.samples.length - 1]
    try {
      if (this.live && last && (this.samples.length === 1 || !isFullSample(last)) && !this.finalAbort.signal.aborted) {
        const final = await this.opts.source.next(this.finalAbort.signal, {full: true})
        if (final && !this.finalAbort.signal.aborted) {
          this.keep(final)
          this.opts.store.addSample(final)
        }
      }
    } finally {
      this.opts.source.close() // the socket and the resident reader, whatever happened
    }
    return this.capture()
  }

  /** The capture of the window so far: before (full), during-N (live), the last full one. */
  capture(): Capture {
    const rec = this.opts.recorded
    if (rec) {
      const shown = new Set(this.samples.map((s) => s.name))
      const samples = rec.samples.filter((s) => shown.has(s.name))
      return {manifest: {...rec.manifest, samples: samples.map((s) => ({name: s.name, takenAt: s.takenAt}))}, samples, loadOutput: rec.loadOutput}
    }
    const load: LoadRecord | null =
      this.opts.load && this.loadStartedAt
        ? {
            argv: this.opts.load,
            exitCode: this.loadResult?.exitCode ?? null,
            startedAt: this.loadStartedAt,
            endedAt: new Date(new Date(this.loadStartedAt).getTime() + (this.loadResult?.durationMs ?? 0)).toISOString(),
            output: 'load/output.txt',
          }
        : null
    return {
      manifest: {
        format: CAPTURE_FORMAT,
        version: CAPTURE_VERSION,
        host: this.opts.host,
        tool: TOOL,
        createdAt: this.samples[0]?.takenAt ?? new Date().toISOString(),
        samples: this.samples.map((s) => ({name: s.name, takenAt: s.takenAt})),
        load,
      },
      samples: [...this.samples],
      loadOutput: load ? (this.loadResult?.stdout ?? null) : null,
    }
  }
}
