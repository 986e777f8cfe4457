/**
 * LoadWindow: the before snapshot, the during samples and the load, reduced to deltas, rates and
 * traffic attribution. Pure data; built by src/window/build.ts.
 */
import type {LoadRecord} from '../capture/types.js'
import type {HostState, PortClass} from '../model/host-state.js'
import type {LoadResult} from '../parsers/types.js'

/** Where a path element sits, for attribution. */
export type PathClass =
  | 'dpdk' // an OVS type=dpdk port: the fast path to the wire
  | 'vhost' // a vhost-user port: the VM side
  | 'internal' // a bridge internal port (kernel TAP on a netdev bridge)
  | 'kernel-nic' // the kernel netdev of a NIC: the DPDK port's twin or another physical NIC
  | 'ovs-kernel-port' // another kernel port on an OVS bridge (system/tap)

export interface Rate {
  /** Mean per-second rate over the window's intervals. */
  mean: number
  /** Standard deviation across the intervals (0 with fewer than two intervals). */
  stddev: number
  max: number
}

export interface PathDelta {
  name: string
  class: PathClass
  /** For OVS ports, the OVS type/class; for kernel interfaces, the driver. */
  detail: string | null
  rxPackets: number
  txPackets: number
  rxBytes: number
  txBytes: number
  rxDropped: number | null
  txDropped: number | null
  /** (rx + tx) bytes as a share of the load reference, 0-1; null without a reference. */
  byteShare: number | null
  packetShare: number | null
  /** Rates of rx+tx bytes/packets per second across the samples, null with one interval of data. */
  bytesPerSec: Rate | null
  packetsPerSec: Rate | null
  /** A counter went backwards (reset or wrap) and was handled. */
  counterReset: boolean
}

export interface PmdDelta {
  numaId: number | null
  coreId: number | null
  /** processing / (idle + processing) cycles in the window, times the share of it the PMD was awake (not sleeping), 0-100. */
  busyPct: number | null
  packets: number | null
  upcalls: number | null
  lostUpcalls: number | null
}

export interface Attribution {
  /** What the shares are relative to: the VM side (vhost ports), the load's own bytes, or the busiest path. */
  reference: 'vhost' | 'load' | 'busiest' | 'none'
  referenceBytes: number
  referencePackets: number
  paths: PathDelta[]
  /** Sums by class. */
  byClass: Record<PathClass, {bytes: number; packets: number; byteShare: number | null; packetShare: number | null}>
}

export interface LoadWindow {
  before: HostState
  /** The last during sample (a full snapshot). */
  during: HostState
  /** Every sample in time order, before first: the live counters the rates come from. */
  samples: HostState[]
  startedAt: string
  endedAt: string
  durationS: number
  load: {record: LoadRecord | null; result: LoadResult | null; parseError: string | null} | null
  /** The address the load talked to (iperf3 -c), from its output or its argv. */
  loadTarget: string | null
  /** Load bytes expected inside the window (iperf3 intervals that overlap it), null if unknown. */
  loadBytesInWindow: number | null
  attribution: Attribution
  pmds: PmdDelta[]
  mainThreadPackets: number | null
  datapathLostDelta: number | null
  /** Per OVS port, deltas of OVSDB statistics keys (drops, retries, errors), when both samples have them. */
  statisticsDeltas: Record<string, Record<string, number>>
  warnings: string[]
}

export type {PortClass}
