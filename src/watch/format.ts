/**
 * Text for the watch: numbers, sparklines, and the plain and JSON lines written one per interval
 * when nobody is watching a terminal (a pipe, CI). Pure functions of a WatchFrame.
 */
import {failedSideLine} from '../remote/diagnose.js'
import type {CrossView, HostView, MultiFrame, WireDirection} from './multi.js'
import type {FindingEntry, PathLabel, PortRow, WatchFrame} from './types.js'

const BARS = '▁▂▃▄▅▆▇█'

/** A rate that held from `from` to `to` (ms): one interval's (rx + tx) Mbit/s. */
export interface RatePoint {
  from: number
  to: number
  value: number
}

/**
 * The rates as `cells` cells of `cellMs` each, oldest first, the last one holding the instant
 * before `endT`: each cell the time-weighted mean of the rates that cover it (a 2 s cell at 1 s
 * samples is the mean of two; at 5 s samples it takes the rate of the interval around it), 0
 * where nothing covers it (before the watch began). Cells are aligned to multiples of `cellMs`
 * from `originT`, so a sample stays in its cell as time moves on: the bars shift, never regroup.
 */
export function rateCells(points: readonly RatePoint[], opts: {originT: number; endT: number; cellMs: number; cells: number}): number[] {
  const {originT, endT, cellMs, cells} = opts
  const lastCell = Math.ceil((endT - originT) / cellMs) - 1 // the cell of the instant before endT
  const out: number[] = []
  for (let k = lastCell - cells + 1; k <= lastCell; k++) {
    const a = originT + k * cellMs
    const b = Math.min(a + cellMs, endT)
    let weighted = 0
    let covered = 0
    for (const p of points) {
      const overlap = Math.min(b, p.to) - Math.max(a, p.from)
      if (overlap <= 0) continue
      weighted += p.value * overlap
      covered += overlap
    }
    out.push(covered > 0 ? weighted / covered : 0)
  }
  return out
}

/** The last `width` values as bars scaled to their own maximum; a zero is a blank. */
export function sparkline(values: readonly number[], width: number): string {
  const shown = values.slice(-width)
  const top = Math.max(0, ...shown)
  const bars = shown.map((v) => (v <= 0 || top <= 0 ? ' ' : BARS[Math.min(BARS.length - 1, Math.floor((v / top) * (BARS.length - 1) + 0.5))] ?? ' '))
  return bars.join('').padStart(width)
}

/** 812, 45.6k, 1.23M */
export function formatRate(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '-'
  const abs = Math.abs(n)
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`
  return abs >= 100 || n === 0 ? n.toFixed(0) : n.toFixed(1)
}

export function formatMbps(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '-'
  return n >= 10_000 ? `${(n / 1000).toFixed(1)}G` : n.toFixed(1)
}

export function formatBits(bps: number | null): string {
  if (bps === null) return '-'
  return bps >= 1e9 ? `${(bps / 1e9).toFixed(2)} Gbit/s` : `${(bps / 1e6).toFixed(1)} Mbit/s`
}

export function formatPct(n: number | null): string {
  return n === null ? '-' : `${n.toFixed(n < 10 ? 1 : 0)} %`
}

/** Shortens a name to `width`, keeping its end (port numbers and suffixes tell ports apart). */
export function fit(text: string, width: number): string {
  if (text.length <= width) return text.padEnd(width)
  const tail = Math.min(3, Math.max(0, width - 3))
  return `${text.slice(0, width - tail - 1)}~${text.slice(text.length - tail)}`
}

export const PATH_COLOUR: Record<PathLabel, 'green' | 'red' | 'gray' | 'yellow'> = {
  'FAST PATH': 'green',
  'KERNEL PATH': 'red',
  IDLE: 'gray',
  'MIXED PATH': 'yellow',
  'NOT A DPDK TEST': 'yellow',
  'NO USERSPACE DATAPATH': 'gray',
  UNKNOWN: 'gray',
  WAITING: 'gray',
}

function loadText(frame: WatchFrame): string | null {
  const load = frame.load
  if (!load) return null
  if (load.error) return `load: ${load.error}`
  if (load.bitsPerSecond === null) return load.state === 'exited' ? `load exited ${load.exitCode ?? '?'}` : 'load running'
  const retr = load.retransmits === null ? '' : ` retr ${load.retransmits}`
  return `iperf3 ${formatBits(load.bitsPerSecond)}${retr}`
}

const portText = (p: PortRow) => `${p.name} ${formatMbps(p.rxMbps + p.txMbps)} Mb/s ${formatRate(p.rxPps + p.txPps)} pps`

/** One plain line per interval: no escape codes, greppable. */
export function plainLine(frame: WatchFrame): string {
  const parts = [`[${frame.elapsedS.toFixed(0)}s] ${frame.path}`]
  if (frame.ports.length > 0) parts.push(frame.ports.map(portText).join(', '))
  const busy = frame.pmds.map((p) => p.busyPct).filter((b): b is number => b !== null)
  if (busy.length > 0) parts.push(`pmd busy ${busy.map((b) => formatPct(b)).join('/')}`)
  if (frame.mainThreadPps !== null) parts.push(`main thread ${formatRate(frame.mainThreadPps)} pps`)
  const load = loadText(frame)
  if (load) parts.push(load)
  parts.push(`${frame.findings.length} finding${frame.findings.length === 1 ? '' : 's'}`)
  return parts.join(' | ')
}

export function findingLine(f: FindingEntry): string {
  return `[${f.atS.toFixed(0)}s] ${f.severity} ${f.ruleId} ${f.subject}: ${f.message}`
}

const round = (n: number | null, digits = 1) => (n === null ? null : Number(n.toFixed(digits)))

/** One JSON object per interval; findings that fired since the previous line ride along. */
export function jsonLine(frame: WatchFrame, newFindings: FindingEntry[]): string {
  return JSON.stringify(jsonSample(frame, newFindings))
}

/** The interval's object of jsonLine (a multi-host tick holds one per host). */
export function jsonSample(frame: WatchFrame, newFindings: FindingEntry[]) {
  return {
    type: 'sample' as const,
    elapsedS: round(frame.elapsedS, 3),
    samples: frame.samples,
    path: frame.path,
    verdict: frame.verdictText,
    limitedBy: frame.limits,
    ports: frame.ports.map((p) => ({
      name: p.name, class: p.class, rxPps: round(p.rxPps), txPps: round(p.txPps), rxMbps: round(p.rxMbps, 3), txMbps: round(p.txMbps, 3), dropsPerSec: round(p.dropsPerSec),
    })),
    // Per-queue rates of vhost/DPDK ports (OVSDB statistics, refreshed every >= 5 s; null until two refreshes).
    queues: frame.queues.map((q) => ({port: q.port, queue: q.queue, rxPps: round(q.rxPps), txPps: round(q.txPps), rxMbps: round(q.rxMbps, 3), txMbps: round(q.txMbps, 3)})),
    pmds: frame.pmds.map((p) => ({label: p.label, busyPct: round(p.busyPct), pps: round(p.pps)})),
    mainThreadPps: round(frame.mainThreadPps),
    load: frame.load ? {state: frame.load.state, target: frame.load.target, bitsPerSecond: frame.load.bitsPerSecond, retransmits: frame.load.retransmits, interval: frame.load.interval, error: frame.load.error} : null,
    newFindings,
  }
}

/** "lab-host0 dpdk0 tx 93.1k pkt/s 1127.5 Mbit/s -> lab-host1 dpdk0 rx 93.0k pkt/s 1127.0 Mbit/s (gap 0.1 %)" */
export function wireText(d: WireDirection): string {
  const gap = d.gapPct === null ? 'sender idle' : `gap ${d.gapPct.toFixed(1)} %`
  return `${d.from} ${d.fromPorts.join('+')} tx ${formatRate(d.txPps)} pkt/s ${formatMbps(d.txMbps)} Mbit/s -> ${d.to} ${d.toPorts.join('+')} rx ${formatRate(d.rxPps)} pkt/s ${formatMbps(d.rxMbps)} Mbit/s (${gap})`
}

/** A cross-host rule's state in one line: "cross-wire-accounting: CRITICAL <message>", "...: unknown (why)". */
export function crossText(c: CrossView): string {
  if (c.status === 'fail') return `${c.ruleId}: ${c.severity.toUpperCase()} ${c.text ?? ''}`
  return `${c.ruleId}: ${c.status}${c.text ? ` (${c.text})` : ''}`
}

/** A host's part of a plain multi-host line: its own plain line, or its status when it does not answer. */
export function hostPlainLine(h: HostView): string {
  if (h.status !== 'ok') return `${failedSideLine(h.name, h.status, h.reason)}${h.failedAtS !== null ? ` since ${h.failedAtS.toFixed(0)}s` : ''}`
  return `${h.name}: ${plainLine(h.frame)}`
}

/** The plain lines of one multi-host tick: the sides, the wire, the failing cross-host rules, then each host. */
export function multiPlainLines(frame: MultiFrame): string[] {
  const at = `[${frame.elapsedS.toFixed(0)}s]`
  const lines = [`${at} ${frame.sides.join('; ')}`]
  if (frame.wire.length > 0) lines.push(`${at} wire: ${frame.wire.map(wireText).join('; ')}`)
  for (const c of frame.cross.filter((x) => x.status === 'fail')) lines.push(`${at} cross: ${crossText(c)}`)
  for (const h of frame.hosts) lines.push(hostPlainLine(h))
  return lines
}

/** One JSON object per multi-host tick: each host's sample (with its host and status), the wire and the cross-host rules. */
export function multiJsonLine(frame: MultiFrame, newFindings: Record<string, FindingEntry[]>): string {
  return JSON.stringify({
    type: 'tick',
    tick: frame.ticks,
    elapsedS: round(frame.elapsedS, 3),
    sides: frame.sides,
    wire: frame.wire.map((d) => ({from: d.from, to: d.to, fromPorts: d.fromPorts, toPorts: d.toPorts, txPps: round(d.txPps), txMbps: round(d.txMbps, 3), rxPps: round(d.rxPps), rxMbps: round(d.rxMbps, 3), gapPct: round(d.gapPct)})),
    cross: frame.cross,
    hosts: frame.hosts.map((h) => ({host: h.name, status: h.status, reason: h.reason, failedAtS: h.failedAtS === null ? null : round(h.failedAtS), ...jsonSample(h.frame, newFindings[h.name] ?? [])})),
  })
}
