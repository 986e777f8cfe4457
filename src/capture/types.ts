/**
 * Capture bundle v1: the interchange format (docs/capture-format.md).
 * Raw outputs are the source of truth; everything else is derived from them.
 */

export const CAPTURE_FORMAT = 'dpdk-doctor-capture'
export const CAPTURE_VERSION = 1

export type SourceStatus = 'ok' | 'not-installed' | 'permission-denied' | 'timeout' | 'error' | 'skipped'

export const SOURCE_STATUSES: readonly SourceStatus[] = [
  'ok',
  'not-installed',
  'permission-denied',
  'timeout',
  'error',
  'skipped',
]

/** One entry of <sample>/sources.json. Either argv (a command) or path (a file read in-process). */
export interface SourceRecord {
  id: string
  argv?: string[]
  path?: string
  status: SourceStatus
  exitCode: number | null
  durationMs: number
  startedAt: string
  /** Why the source is not ok, in a few words (not part of the v1 minimum, always optional). */
  reason?: string
  /**
   * How the output was read when not by running argv (optional, watch only): 'unixctl', argv's
   * ovs-appctl request sent by dpdk-doctor itself on ovs-vswitchd's control socket (the same text);
   * 'resident', argv's reader program kept running in the namespace and asked once per sample.
   */
  via?: SourceVia
}

export type SourceVia = 'unixctl' | 'resident'
export const SOURCE_VIAS: readonly SourceVia[] = ['unixctl', 'resident']

/** A source record with its verbatim outputs. */
export interface SourceResult extends SourceRecord {
  stdout: string
  stderr: string
  /**
   * In memory only (overlayLive, never written): a live source a live sample did not read, carried
   * from the full sample for its configuration; its counters are not this sample's.
   */
  carried?: true
}

export interface Sample {
  name: string
  takenAt: string
  sources: Record<string, SourceResult>
}

export interface HostInfo {
  hostname: string | null
  machineId: string | null
  kernel: string | null
  /** Network namespace the kernel-side sources ran in (--netns), null for the caller's own. */
  netns: string | null
  /** OVS run directory the OVS tools were pointed at (--ovs-rundir / OVS_RUNDIR), null for the default. */
  ovsRundir: string | null
  /** Collected over ssh (diagnose --host): the destination, the remote user, the clock estimate. */
  remote?: RemoteHostInfo
}

export interface RemoteHostInfo {
  destination: string
  user: string | null
  sudo: boolean
  /** The host's clock minus this machine's, in ms, from the ssh round trip; null when not measured. */
  clockOffsetMs: number | null
  rttMs: number | null
}

export interface LoadRecord {
  argv: string[]
  exitCode: number | null
  startedAt: string
  endedAt: string
  /** Relative path of the load's stdout inside the bundle, e.g. "load/output.json". */
  output: string | null
}

export interface CaptureManifest {
  format: typeof CAPTURE_FORMAT
  version: typeof CAPTURE_VERSION
  host: HostInfo
  tool: {name: string; version: string}
  createdAt: string
  samples: Array<{name: string; takenAt: string}>
  load: LoadRecord | null
}

/** A file of a bundle the reader would not read, and why (bundle-reader.ts). */
export interface BundleRefusal {
  /** Relative to the bundle, e.g. "before/ip-addr.out". */
  path: string
  sample: string | null
  id: string | null
  reason: string
}

/** Where a capture read from something other than a bundle came from (in memory only, never written). */
export interface CaptureOrigin {
  kind: 'sosreport'
  /** The sos version the report says it was made by (version.txt, sos_reports/manifest.json), null when unsaid. */
  sosVersion: string | null
  /** Files a sosreport is expected to hold for a source that this one lacks, as "source-id: file". */
  absent: string[]
  /** The host's `uptime` line when the report has it (host plugin), to read its counters against. */
  uptime: string | null
}

/** A capture in memory: manifest, samples in time order, the load's output. */
export interface Capture {
  manifest: CaptureManifest
  samples: Sample[]
  loadOutput: string | null
  /** Read from a bundle: the files refused (absent when none was). */
  refusals?: BundleRefusal[]
  origin?: CaptureOrigin
}

/** Base id of a source: "fdb.ovsbr0" -> "fdb", "ethtool-i.eth0" -> "ethtool-i". */
export function baseSourceId(id: string): string {
  const dot = id.indexOf('.')
  return dot === -1 ? id : id.slice(0, dot)
}

/** The instance of a templated source id: "fdb.ovsbr0" -> "ovsbr0". */
export function sourceInstance(id: string): string | null {
  const dot = id.indexOf('.')
  return dot === -1 ? null : id.slice(dot + 1)
}
