/**
 * Per-queue rates of vhost and DPDK ports for the watch dashboard, from the per-queue counters in
 * OVSDB Interface:statistics (vhost xstats rx_qN_good_packets/_bytes, DPDK NICs rx_qN_packets/_bytes).
 *
 * ovs-vswitchd refreshes those statistics only every stats-update-interval (5 s by default, never
 * less), so deltas between one-second ticks read 0, 0, 0, 0, then five seconds' worth. A rate is
 * taken between the two last readings in which a port's counters changed (when the refresh landed),
 * and reads 0 once they have not changed for twice that span.
 */
import type {OvsPortState} from '../model/host-state.js'
import {seriesDelta} from '../window/counters.js'
import type {QueueRow} from './types.js'

/** Packet and byte counters of one queue (bytes null where the port has none). */
export interface QueueCounter {
  rxPackets: number | null
  txPackets: number | null
  rxBytes: number | null
  txBytes: number | null
}

export type PortQueueClass = 'vhost' | 'dpdk'

export interface PortQueues {
  class: PortQueueClass
  queues: Map<number, QueueCounter>
}

/** One reading of every vhost/DPDK port's queue counters, at t (ms since the epoch). */
export interface QueueReading {
  t: number
  ports: Map<string, PortQueues>
}


const QUEUE_COUNTER = /^(rx|tx)_q(\d+)_(?:good_)?(packets|bytes)$/

/** vhost-user and DPDK interface types (the only ones with per-queue counters). */
export function queueClassOf(type: string): PortQueueClass | null {
  if (type === 'dpdk') return 'dpdk'
  if (type === 'dpdkvhostuser' || type === 'dpdkvhostuserclient') return 'vhost'
  return null
}

/** The per-queue counters in one Interface:statistics map. */
export function queueCountersOf(statistics: Record<string, number>): Map<number, QueueCounter> {
  const queues = new Map<number, QueueCounter>()
  for (const [key, value] of Object.entries(statistics)) {
    const m = QUEUE_COUNTER.exec(key)
    if (!m || !Number.isFinite(value)) continue
    const queue = Number(m[2])
    let counter = queues.get(queue)
    if (!counter) queues.set(queue, (counter = {rxPackets: null, txPackets: null, rxBytes: null, txBytes: null}))
    const field = `${m[1]}${m[3] === 'packets' ? 'Packets' : 'Bytes'}` as keyof QueueCounter
    counter[field] = value
  }
  return queues
}

/** A reading from a full snapshot's ports (OVSDB statistics as the model parsed them). */
export function queueReadingOfPorts(t: number, ports: readonly Pick<OvsPortState, 'name' | 'type' | 'statistics'>[]): QueueReading {
  const out = new Map<string, PortQueues>()
  for (const port of ports) {
    const cls = queueClassOf(port.type)
    if (!cls) continue
    const queues = queueCountersOf(port.statistics)
    if (queues.size > 0) out.set(port.name, {class: cls, queues})
  }
  return {t, ports: out}
}

/** A statistics cell in OVSDB's JSON: ["map", [[key, value], ...]]; numbers only are kept. */
function statisticsOfCell(cell: unknown): Record<string, number> {
  const out: Record<string, number> = {}
  if (!Array.isArray(cell) || cell[0] !== 'map' || !Array.isArray(cell[1])) return out
  for (const pair of cell[1] as unknown[]) {
    if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'number') out[pair[0]] = pair[1]
  }
  return out
}

/**
 * A reading from rows of OVSDB's JSON (an ovsdb-server `select` result's rows, or
 * `ovs-vsctl --format=json --columns=name,type,statistics list Interface` turned into rows):
 * each {name, type, statistics} with statistics as ["map", ...].
 */
export function queueReadingOfRows(t: number, rows: readonly Record<string, unknown>[]): QueueReading {
  const ports = rows.flatMap((row) => {
    const name = row['name']
    const type = row['type']
    return typeof name === 'string' && typeof type === 'string' ? [{name, type, statistics: statisticsOfCell(row['statistics'])}] : []
  })
  return queueReadingOfPorts(t, ports)
}

/** `ovs-vsctl --format=json list Interface` output (its headings and data) as rows for queueReadingOfRows. */
export function rowsOfVsctlJson(text: string): Record<string, unknown>[] {
  const table = JSON.parse(text) as {headings?: unknown; data?: unknown}
  if (!Array.isArray(table.headings) || !Array.isArray(table.data)) throw new Error('expected {"headings": [...], "data": [...]}')
  const headings = table.headings as unknown[]
  return (table.data as unknown[]).filter(Array.isArray).map((cells) => Object.fromEntries(headings.map((h, i) => [String(h), (cells as unknown[])[i]])))
}

/** A port's readings at the last two refreshes seen (its counters changed). */
interface RefreshPoints {
  class: PortQueueClass
  /** When this reading's values were first seen, and its counters. */
  last: {t: number; queues: Map<number, QueueCounter>; key: string}
  prev: {t: number; queues: Map<number, QueueCounter>} | null
  /** The latest reading's time (changed or not). */
  seenT: number
}

const keyOf = (queues: Map<number, QueueCounter>) => JSON.stringify([...queues.entries()].sort((a, b) => a[0] - b[0]))

/** Tracks per-port refreshes across readings and gives the per-queue rows. */
export class QueueRates {
  private readonly ports = new Map<string, RefreshPoints>()

  add(reading: QueueReading): void {
    for (const [name, port] of reading.ports) {
      const key = keyOf(port.queues)
      const known = this.ports.get(name)
      if (!known) {
        this.ports.set(name, {class: port.class, last: {t: reading.t, queues: port.queues, key}, prev: null, seenT: reading.t})
        continue
      }
      known.seenT = Math.max(known.seenT, reading.t)
      if (key === known.last.key || reading.t <= known.last.t) continue
      known.prev = {t: known.last.t, queues: known.last.queues}
      known.last = {t: reading.t, queues: port.queues, key}
    }
    // A port gone from OVSDB (deleted) is no longer shown.
    for (const name of [...this.ports.keys()]) if (!reading.ports.has(name)) this.ports.delete(name)
  }

  /** Rows for every queue of every port, ports by name, queues in order. */
  rows(): QueueRow[] {
    const out: QueueRow[] = []
    for (const [name, p] of [...this.ports.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const span = p.prev ? p.last.t - p.prev.t : null
      // No refresh for twice the span between the last two: the counters stand still (no traffic).
      const still = span !== null && p.seenT - p.last.t > 2 * span
      for (const queue of [...p.last.queues.keys()].sort((a, b) => a - b)) {
        const cur = p.last.queues.get(queue)!
        const before = p.prev?.queues.get(queue)
        const rate = (field: keyof QueueCounter): number | null => {
          if (!p.prev || !before || still) return p.prev && still && cur[field] !== null ? 0 : null
          const rates = seriesDelta([{t: p.prev.t, value: before[field]}, {t: p.last.t, value: cur[field]}]).rates
          return rates.length > 0 ? rates[0]! : null
        }
        const mbps = (field: 'rxBytes' | 'txBytes') => {
          const r = rate(field)
          return r === null ? null : (r * 8) / 1e6
        }
        out.push({port: name, queue, rxPps: rate('rxPackets'), txPps: rate('txPackets'), rxMbps: mbps('rxBytes'), txMbps: mbps('txBytes')})
      }
    }
    return out
  }
}
