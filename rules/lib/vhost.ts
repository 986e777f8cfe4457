/**
 * vhost-user facts shared by the "fast path, but limited by" rules: negotiated virtio features,
 * queue counts and per-queue counter deltas. Pure reads of the model.
 */
import type {OvsPortState} from '../../src/model/host-state.js'
import type {LoadWindow} from '../../src/window/types.js'

/** virtio-net feature bit numbers (virtio spec 5.1.3; the same numbers DPDK's vhost library uses). */
export const VIRTIO_NET_F = {
  CSUM: 0,
  GUEST_CSUM: 1,
  GUEST_TSO4: 7,
  GUEST_TSO6: 8,
  HOST_TSO4: 11,
  HOST_TSO6: 12,
  MRG_RXBUF: 15,
  MQ: 22,
} as const

export interface VirtioFeatures {
  /** As OVS printed it (status:features, "0x%016"PRIx64). */
  hex: string
  has(bit: number): boolean
}

/** The negotiated features of a connected vhost port, or null when OVS did not report them. */
export function virtioFeatures(port: OvsPortState): VirtioFeatures | null {
  const raw = port.status['features']
  if (raw === undefined || !/^0x[0-9a-f]{1,16}$/i.test(raw)) return null
  const value = BigInt(raw)
  return {hex: raw, has: (bit) => ((value >> BigInt(bit)) & 1n) === 1n}
}

export function isConnectedVhost(port: OvsPortState): boolean {
  return port.class === 'vhost' && port.status['status'] === 'connected'
}

function intOf(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null
  return Number(text)
}

/**
 * Queue pairs the guest brought: num_of_vrings / 2 (every OVS with vhost status), else n_rxq.
 * OVS sizes the port's n_rxq/n_txq to the guest's pairs when it connects (netdev-dpdk new_device).
 */
export function queuePairs(port: OvsPortState): number | null {
  const vrings = intOf(port.status['num_of_vrings'])
  if (vrings !== null && vrings >= 2) return Math.floor(vrings / 2)
  return intOf(port.status['n_rxq'])
}

/** The vhost port's Tx queues (OVS -> guest): status:n_txq where printed, else the queue pairs. */
export function vhostTxQueues(port: OvsPortState): number | null {
  return intOf(port.status['n_txq']) ?? queuePairs(port)
}

/** Per-queue packet counter names: vhost xstats say rx_qN_good_packets, DPDK NICs rx_qN_packets. */
const QUEUE_KEY = /^(rx|tx)_q(\d+)_(?:good_)?packets$/

export interface QueueCounts {
  rx: Map<number, number>
  tx: Map<number, number>
}

/** Per-queue packet counts from a statistics map (totals, or a window's deltas). */
export function queueCounts(statistics: Record<string, number>): QueueCounts {
  const out: QueueCounts = {rx: new Map(), tx: new Map()}
  for (const [key, value] of Object.entries(statistics)) {
    const m = QUEUE_KEY.exec(key)
    if (!m) continue
    out[m[1] as 'rx' | 'tx'].set(Number(m[2]), value)
  }
  return out
}

/** The window's per-queue deltas of a port (OVSDB statistics, refreshed every 5 s), or null without both samples. */
export function windowQueueDeltas(window: LoadWindow | null, port: string): QueueCounts | null {
  const deltas = window?.statisticsDeltas[port]
  if (!deltas) return null
  const counts = queueCounts(deltas)
  return counts.rx.size + counts.tx.size > 0 ? counts : null
}

/** Queue ids that moved (delta > 0), sorted. */
export function movingQueues(counts: Map<number, number>): number[] {
  return [...counts.entries()].filter(([, v]) => v > 0).map(([q]) => q).sort((a, b) => a - b)
}

/** "1.2.3" / "3.1.0" -> [3, 1]; null when it is no version. */
export function ovsMajorMinor(version: string | null): [number, number] | null {
  const m = version === null ? null : /(\d+)\.(\d+)/.exec(version)
  return m ? [Number(m[1]), Number(m[2])] : null
}

export function ovsAtLeast(version: string | null, major: number, minor: number): boolean | null {
  const v = ovsMajorMinor(version)
  if (v === null) return null
  return v[0] > major || (v[0] === major && v[1] >= minor)
}
