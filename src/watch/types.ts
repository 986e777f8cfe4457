/**
 * What the watch dashboard shows, as plain data: the store computes a WatchFrame after every
 * sample; the ink components, the plain lines and the JSON lines only render it.
 */
import type {Severity} from '../engine/types.js'
import type {PathClass} from '../window/types.js'

/** The live path verdict, from the rolling window's attribution and diagnose's own verdict. */
export type PathLabel = 'FAST PATH' | 'KERNEL PATH' | 'IDLE' | 'MIXED PATH' | 'NOT A DPDK TEST' | 'NO USERSPACE DATAPATH' | 'UNKNOWN' | 'WAITING'

export interface PortRow {
  name: string
  class: PathClass
  /** OVS type or kernel driver. */
  detail: string | null
  rxPps: number
  txPps: number
  rxMbps: number
  txMbps: number
  /** rx + tx drops per second in the last interval; null when the source has no drop counter. */
  dropsPerSec: number | null
  /** (rx + tx) Mbit/s over the last 60 s in cells of WatchFrame.sparkCellS, oldest first. */
  history: number[]
}

/** One rx/tx queue of a vhost or DPDK port (OVSDB per-queue statistics, refreshed every >= 5 s). */
export interface QueueRow {
  port: string
  queue: number
  /** null until two refreshes of the port's statistics were seen. */
  rxPps: number | null
  txPps: number | null
  /** null also where the port counts no bytes per queue. */
  rxMbps: number | null
  txMbps: number | null
}

export interface PmdRow {
  label: string
  busyPct: number | null
  pps: number | null
}

export interface LoadView {
  argv: string[]
  /** running, or exited with a code. */
  state: 'starting' | 'running' | 'exited'
  exitCode: number | null
  target: string | null
  /** The last per-interval line of iperf3 (or the whole test's rate from a recorded -J run). */
  bitsPerSecond: number | null
  retransmits: number | null
  /** Seconds into the test of that line, e.g. "11.00-12.00". */
  interval: string | null
  error: string | null
}

export interface FindingEntry {
  /** Seconds since the watch began when the finding first fired. */
  atS: number
  severity: Severity
  ruleId: string
  subject: string
  message: string
}

export interface WatchFrame {
  host: string | null
  netns: string | null
  ovsVersion: string | null
  dpdkVersion: string | null
  bridges: string[]
  /** Samples seen so far, and seconds since the first. */
  samples: number
  elapsedS: number
  /** Seconds one sparkline cell (PortRow.history) covers. */
  sparkCellS: number
  /** Seconds covered by the rolling window the verdict is judged on. */
  windowS: number
  path: PathLabel
  /** diagnose's verdict sentence for the rolling window (without its "limited by" part, see limits). */
  verdictText: string
  /** What limits the fast path (the verdict's second layer), e.g. "guest TSO off (host setting)". */
  limits: string[]
  ports: PortRow[]
  /** Per-queue rows of the vhost and DPDK ports (shown under their port on demand). */
  queues: QueueRow[]
  pmds: PmdRow[]
  mainThreadPps: number | null
  load: LoadView | null
  /** Every finding that fired so far, in the order it fired (the log). */
  findings: FindingEntry[]
  /** The fix, in words, for the findings of the rolling window. */
  fix: string[]
  /** One-line notes (saved a capture, sample ran late, a source failed). */
  notes: string[]
  /** The sampler's own cost: how long the last sample took. */
  lastSampleMs: number | null
}
