/**
 * Builds the LoadWindow from the samples of a capture: deltas of live counters between the before
 * sample and the last during sample, their rates across every sample, PMD busy % from cycle
 * deltas, and the traffic attribution (which path carried the load).
 */
import type {LoadRecord} from '../capture/types.js'
import type {HostState, KernelInterface, OvsPortState, PortCounters} from '../model/host-state.js'
import type {LinkCounters, LoadResult} from '../parsers/types.js'
import {rateOf, seriesDelta} from './counters.js'
import type {Point} from './counters.js'
import type {Attribution, LoadWindow, PathClass, PathDelta, PmdDelta} from './types.js'

const PATH_CLASSES: PathClass[] = ['dpdk', 'vhost', 'internal', 'kernel-nic', 'ovs-kernel-port']

type Counters = PortCounters | LinkCounters
type CounterKey = keyof PortCounters

function ms(iso: string): number {
  return new Date(iso).getTime()
}

function pathClassOfPort(p: OvsPortState): PathClass | null {
  if (p.class === 'dpdk') return 'dpdk'
  if (p.class === 'vhost') return 'vhost'
  if (p.class === 'internal') return 'internal'
  if (p.class === 'system' || p.class === 'tap') return 'ovs-kernel-port'
  return null
}

function pathClassOfInterface(i: KernelInterface): PathClass | null {
  return i.role === 'physical' || i.role === 'dpdk-twin' ? 'kernel-nic' : null
}

interface Candidate {
  name: string
  class: PathClass
  detail: string | null
  counters: (s: HostState) => Counters | null
}

/** First element per key, like the `find` it replaces, in one pass. */
function firstBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T> {
  const map = new Map<string, T>()
  for (const item of items) {
    const k = key(item)
    if (!map.has(k)) map.set(k, item)
  }
  return map
}

const portKey = (p: OvsPortState) => `${p.bridge}\u0000${p.name}`

/**
 * Per-sample indexes of ports and interfaces, built on first use: every candidate looks itself
 * up in every sample several times, and a scan per lookup was O(ports^2) on a large host.
 */
function indexes() {
  const ports = new WeakMap<HostState, Map<string, OvsPortState>>()
  const ifaces = new WeakMap<HostState, Map<string, KernelInterface>>()
  return {
    port(s: HostState, key: string): OvsPortState | undefined {
      let m = ports.get(s)
      if (!m) ports.set(s, (m = firstBy(s.ports, portKey)))
      return m.get(key)
    },
    iface(s: HostState, ifname: string): KernelInterface | undefined {
      let m = ifaces.get(s)
      if (!m) ifaces.set(s, (m = firstBy(s.interfaces, (i) => i.ifname)))
      return m.get(ifname)
    },
  }
}

function candidates(last: HostState): Candidate[] {
  const index = indexes()
  const fromPorts: Candidate[] = last.ports.flatMap((p) => {
    const cls = pathClassOfPort(p)
    if (!cls) return []
    const key = portKey(p)
    return [{name: p.name, class: cls, detail: p.type || 'system', counters: (s: HostState) => index.port(s, key)?.counters ?? null}]
  })
  const fromKernel: Candidate[] = last.interfaces.flatMap((i) => {
    const cls = pathClassOfInterface(i)
    if (!cls) return []
    return [{name: i.ifname, class: cls, detail: i.driver, counters: (s: HostState) => index.iface(s, i.ifname)?.counters ?? null}]
  })
  return [...fromPorts, ...fromKernel]
}

/** `times` are the samples' takenAt in ms, parsed once for every candidate. */
function pathDelta(c: Candidate, samples: HostState[], times: number[]): PathDelta | null {
  const counters = samples.map((s) => c.counters(s))
  const series = (key: CounterKey) => seriesDelta(counters.map((cs, i): Point => ({t: times[i]!, value: cs?.[key] ?? null})))
  const rxP = series('rxPackets'), txP = series('txPackets'), rxB = series('rxBytes'), txB = series('txBytes')
  const known = counters.filter((cs) => cs !== null).length
  if (known < 2) return null
  const rxD = series('rxDropped'), txD = series('txDropped')
  const sumRates = (a: number[], b: number[]) => a.map((v, i) => v + (b[i] ?? 0))
  return {
    name: c.name,
    class: c.class,
    detail: c.detail,
    rxPackets: rxP.delta,
    txPackets: txP.delta,
    rxBytes: rxB.delta,
    txBytes: txB.delta,
    rxDropped: counters.some((cs) => cs?.rxDropped != null) ? rxD.delta : null,
    txDropped: counters.some((cs) => cs?.txDropped != null) ? txD.delta : null,
    byteShare: null,
    packetShare: null,
    bytesPerSec: known > 2 ? rateOf(sumRates(rxB.rates, txB.rates)) : null,
    packetsPerSec: known > 2 ? rateOf(sumRates(rxP.rates, txP.rates)) : null,
    counterReset: rxP.reset || txP.reset || rxB.reset || txB.reset,
  }
}

const total = (p: PathDelta) => p.rxBytes + p.txBytes
const totalPackets = (p: PathDelta) => p.rxPackets + p.txPackets

/**
 * Shares are relative to what the VMs sent and received (vhost ports: every packet of a VM load
 * crosses one), else to the load's own byte count, else to the busiest path.
 */
export function attribute(paths: PathDelta[], loadBytesInWindow: number | null): Attribution {
  const vhost = paths.filter((p) => p.class === 'vhost')
  const vhostBytes = vhost.reduce((s, p) => s + total(p), 0)
  let reference: Attribution['reference'] = 'none'
  let refBytes = 0
  let refPackets = 0
  if (vhostBytes > 0) {
    reference = 'vhost'
    refBytes = vhostBytes
    refPackets = vhost.reduce((s, p) => s + totalPackets(p), 0)
  } else if (loadBytesInWindow && loadBytesInWindow > 0) {
    reference = 'load'
    refBytes = loadBytesInWindow
    refPackets = Math.max(0, ...paths.map(totalPackets))
  } else if (paths.some((p) => total(p) > 0)) {
    reference = 'busiest'
    refBytes = Math.max(...paths.map(total))
    refPackets = Math.max(...paths.map(totalPackets))
  }
  const share = (v: number, ref: number) => (ref > 0 ? v / ref : null)
  const withShares = paths
    .map((p) => ({...p, byteShare: share(total(p), refBytes), packetShare: share(totalPackets(p), refPackets)}))
    .sort((a, b) => PATH_CLASSES.indexOf(a.class) - PATH_CLASSES.indexOf(b.class) || total(b) - total(a) || a.name.localeCompare(b.name))
  const byClass = {} as Attribution['byClass']
  for (const cls of PATH_CLASSES) {
    const ps = withShares.filter((p) => p.class === cls)
    const bytes = ps.reduce((s, p) => s + total(p), 0)
    const packets = ps.reduce((s, p) => s + totalPackets(p), 0)
    byClass[cls] = {bytes, packets, byteShare: share(bytes, refBytes), packetShare: share(packets, refPackets)}
  }
  return {reference, referenceBytes: refBytes, referencePackets: refPackets, paths: withShares, byClass}
}

function pmdDeltas(before: HostState, last: HostState): PmdDelta[] {
  return last.pmds.map((p) => {
    const b = before.pmds.find((x) => x.numaId === p.numaId && x.coreId === p.coreId)
    const d = (cur: number | null, prev: number | null | undefined) => {
      if (cur === null || prev === null || prev === undefined) return null
      return cur >= prev ? cur - prev : cur // cleared in between: counted from zero
    }
    const idle = d(p.idleCycles, b?.idleCycles)
    const busy = d(p.processingCycles, b?.processingCycles)
    // With PMD sleep (pmd-sleep-max) idle + processing cycles cover only the time the PMD was awake:
    // scale by the awake share of the window, or a PMD that slept half of it reads as saturated.
    const sleptUs = d(p.sleepTimeUs, b?.sleepTimeUs)
    const spanS = d(p.perfDurationS, b?.perfDurationS)
    const awake = sleptUs !== null && spanS !== null && spanS > 0 ? Math.min(1, Math.max(0, 1 - sleptUs / 1e6 / spanS)) : 1
    return {
      numaId: p.numaId,
      coreId: p.coreId,
      busyPct: idle !== null && busy !== null && idle + busy > 0 ? (busy / (idle + busy)) * awake * 100 : null,
      packets: d(p.packets, b?.packets),
      upcalls: d(p.upcalls, b?.upcalls),
      lostUpcalls: d(p.lostUpcalls, b?.lostUpcalls),
    }
  })
}

function statisticsDeltas(before: HostState, last: HostState): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {}
  const beforeByName = firstBy(before.ports, (x) => x.name)
  for (const p of last.ports) {
    const b = beforeByName.get(p.name)
    if (!b) continue
    const deltas: Record<string, number> = {}
    for (const [key, value] of Object.entries(p.statistics)) {
      const prev = b.statistics[key]
      if (prev === undefined) continue
      deltas[key] = value >= prev ? value - prev : value
    }
    if (Object.keys(deltas).length > 0) out[p.name] = deltas
  }
  return out
}

/** Load bytes that fall inside the window, from iperf3's per-interval sums. */
export function loadBytesInWindow(result: LoadResult | null, startMs: number, endMs: number): number | null {
  if (!result) return null
  if (result.startedAtSecs === null || result.intervals.length === 0) return result.bytes
  let bytes = 0
  for (const iv of result.intervals) {
    const s = result.startedAtSecs * 1000 + iv.start * 1000
    const e = result.startedAtSecs * 1000 + iv.end * 1000
    const overlap = Math.max(0, Math.min(e, endMs) - Math.max(s, startMs))
    if (e > s) bytes += iv.bytes * (overlap / (e - s))
  }
  return Math.round(bytes)
}

/** The address a load command talked to: iperf3's own report, else the argument of -c. */
export function loadTargetOf(record: LoadRecord | null, result: LoadResult | null): string | null {
  if (result?.target) return result.target
  const argv = record?.argv ?? []
  const i = argv.findIndex((a) => a === '-c' || a === '--client')
  return i >= 0 ? (argv[i + 1] ?? null) : null
}

export function buildWindow(
  samples: HostState[],
  load: {record: LoadRecord | null; result: LoadResult | null; parseError: string | null} | null,
): LoadWindow {
  if (samples.length < 2) throw new Error('a load window needs a before sample and at least one during sample')
  const before = samples[0]!
  const during = samples[samples.length - 1]!
  const startMs = ms(before.takenAt)
  const endMs = ms(during.takenAt)
  const warnings: string[] = []
  const times = samples.map((s) => ms(s.takenAt))
  const paths = candidates(during).map((c) => pathDelta(c, samples, times)).filter((p): p is PathDelta => p !== null)
  for (const p of paths) if (p.counterReset) warnings.push(`${p.name}: a counter went backwards during the window (reset or wrap); counted from zero after it`)
  const inWindow = loadBytesInWindow(load?.result ?? null, startMs, endMs)
  const mainBefore = before.mainThreadPackets
  const mainAfter = during.mainThreadPackets
  const lostBefore = before.datapathLookups?.lost ?? null
  const lostAfter = during.datapathLookups?.lost ?? null
  return {
    before,
    during,
    samples,
    startedAt: before.takenAt,
    endedAt: during.takenAt,
    durationS: (endMs - startMs) / 1000,
    load,
    loadTarget: loadTargetOf(load?.record ?? null, load?.result ?? null),
    loadBytesInWindow: inWindow,
    attribution: attribute(paths, inWindow),
    pmds: pmdDeltas(before, during),
    mainThreadPackets: mainBefore !== null && mainAfter !== null ? (mainAfter >= mainBefore ? mainAfter - mainBefore : mainAfter) : null,
    datapathLostDelta: lostBefore !== null && lostAfter !== null ? Math.max(0, lostAfter - lostBefore) : null,
    statisticsDeltas: statisticsDeltas(before, during),
    warnings,
  }
}
