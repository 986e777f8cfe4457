/**
 * Where the watch's samples come from: the live host (a full snapshot first, then live counters
 * only, and a full one at the end), or a recorded capture bundle replayed sample by sample.
 */
import {setMaxListeners} from 'node:events'
import {join} from 'node:path'
import type {Sample} from '../capture/types.js'
import {bridgesOf, collectSample, ovsRundirOf} from '../collect/collect.js'
import {RESIDENT_KINDS, ResidentNetnsReader} from '../collect/resident.js'
import {SOURCE_DEADLINE_MS} from '../collect/sources.js'
import type {CollectTarget} from '../collect/sources.js'
import type {Runner} from '../exec/runner.js'
import {OvsdbClient} from '../exec/ovsdb-client.js'
import {controlSocketPath, UnixctlClient} from '../exec/unixctl.js'
import {queueReadingOfRows} from './queues.js'
import type {QueueReading} from './queues.js'

export interface SampleSource {
  readonly live: boolean
  /** The next sample; null when there are no more (the end of a recording). */
  next(signal: AbortSignal, opts?: {full?: boolean}): Promise<Sample | null>
  /** Lets go of what sampling holds open (a socket, a resident reader). */
  close(): void
  /** The per-queue counters read with the last sample when it was a live one (a full one has them in its Interface rows). */
  queueReading?(): QueueReading | null
}

/** The columns the per-queue reading needs from OVSDB's Interface table. */
export const QUEUE_COLUMNS = ['name', 'type', 'statistics'] as const


/** Name of the n-th sample of a capture: before, during, during-2, ... */
export function sampleName(index: number): string {
  return index === 0 ? 'before' : index === 1 ? 'during' : `during-${index}`
}

/**
 * Sources a live sample leaves out, read another way: ip-link (the kernel counters are sysfs-stats;
 * link configuration comes from the full sample) and ofctl-ports (dpctl/show -s has every bridge's
 * ports, the same netdev counters, in one request).
 */
export const WATCH_LIVE_SKIP = ['ip-link', 'ofctl-ports'] as const

/**
 * Read each second although diagnose's live samples do not: pmd-perf-show's sleep time. With PMD
 * sleep, idle + processing cycles cover only the time a PMD was awake; without a fresh sleep time
 * a one-second window cannot scale by the awake share, and a PMD that slept most of the second
 * reads as saturated (96 % shown for a PMD ~35 % busy by its TSC cycles).
 */
export const WATCH_LIVE_EXTRA = ['pmd-perf'] as const

/**
 * The live host, sampled without starting a process per sample where it can be helped (the
 * sampler must not perturb what it measures): ovs-appctl's requests go on ovs-vswitchd's control
 * socket over one connection, and in a netns the kernel counters come from one resident reader.
 * Both fall back to the commands when they cannot be used (no socket: ovs-appctl runs and reports).
 */
export class LiveSampleSource implements SampleSource {
  readonly live = true
  private index = 0
  private bridges: string[] = []
  private readonly unixctl: UnixctlClient
  private readonly resident: ResidentNetnsReader | null
  private readonly ovsdb: OvsdbClient
  private lastQueues: QueueReading | null = null

  /** netnsDir: where `ip netns` keeps named namespaces (tests give their own). */
  constructor(private readonly runner: Runner, private readonly target: CollectTarget, opts: {netnsDir?: string} = {}) {
    this.unixctl = new UnixctlClient(() => controlSocketPath(ovsRundirOf(target)))
    this.ovsdb = new OvsdbClient(() => join(ovsRundirOf(target), 'db.sock'))
    const netnsDir = opts.netnsDir ?? '/run/netns'
    this.resident = target.netns ? new ResidentNetnsReader(runner, target.netns, join(netnsDir, target.netns)) : null
  }

  async next(signal: AbortSignal, opts: {full?: boolean} = {}): Promise<Sample> {
    // Every source in flight listens on the signal: not a leak, so no MaxListenersExceededWarning.
    setMaxListeners(100, signal)
    const name = sampleName(this.index++)
    const resident = this.resident
    const providers = resident
      ? Object.fromEntries(RESIDENT_KINDS.map((kind) => [kind, (s?: AbortSignal) => resident.read(kind, {timeoutMs: SOURCE_DEADLINE_MS, signal: s})]))
      : undefined
    const base = {runner: this.runner, target: this.target, signal, unixctl: this.unixctl, ...(providers ? {providers} : {})}
    if (name === 'before' || opts.full) {
      // dpdk-devbind.py (a Python start, ~170 ms of CPU) is left out of the first snapshot: the
      // dashboard's binding checks read sysfs-net. A full snapshot on request (the final one,
      // which the exit summary judges, or a save) waits for it, so the capture has it.
      const first = name === 'before' && !opts.full
      const {sample} = await collectSample(name, {...base, slow: first ? 'background' : 'wait', skip: first ? ['devbind'] : []})
      const bridges = bridgesOf(sample)
      if (bridges.length > 0) this.bridges = bridges
      return sample
    }
    // Live counters only (never OVSDB statistics: the per-queue ones are read beside, not into the sample).
    const [{sample}, queues] = await Promise.all([
      collectSample(name, {...base, live: true, knownBridges: this.bridges, skip: WATCH_LIVE_SKIP, extraLive: WATCH_LIVE_EXTRA}),
      this.readQueues(signal),
    ])
    this.lastQueues = queues
    return sample
  }

  queueReading(): QueueReading | null {
    return this.lastQueues
  }

  /**
   * The Interface table's per-queue statistics: a select on ovsdb-server's socket, no process per
   * tick (ovs-vsctl would use the same socket, so it is no fallback). null when it did not answer:
   * the dashboard's queue rows wait.
   */
  private async readQueues(signal: AbortSignal): Promise<QueueReading | null> {
    try {
      return queueReadingOfRows(Date.now(), await this.ovsdb.select('Interface', QUEUE_COLUMNS, {timeoutMs: SOURCE_DEADLINE_MS, signal}))
    } catch {
      return null
    }
  }

  close(): void {
    this.unixctl.close()
    this.ovsdb.close()
    this.resident?.close()
  }
}

export class ReplaySampleSource implements SampleSource {
  readonly live = false
  private index = 0

  constructor(private readonly samples: readonly Sample[]) {}

  async next(): Promise<Sample | null> {
    return this.samples[this.index++] ?? null
  }

  close(): void {}
}
