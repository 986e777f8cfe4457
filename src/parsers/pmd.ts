/** dpif-netdev PMD commands: pmd-stats-show, pmd-perf-show, pmd-rxq-show (OVS 2.6 -> 4.0). */

import type {PmdPerf, PmdPerfThread, PmdRxq, PmdRxqShow, PmdRxqThread, PmdStats, PmdStatsThread, ParseResult} from './types.js'
import {fail, guard, isUnknownToken, leadingNumber, lines, normaliseLabel, ok, round2, toInt, toNumber, warningList} from './util.js'

interface ThreadHeader {
  kind: 'pmd' | 'main'
  numaId: number | null
  coreId: number | null
}

/**
 * "pmd thread numa_id 0 core_id 2:" / "main thread:" (numa_id and core_id are optional). An id that
 * is not a number (OVS's own tests print "<cleared>") is read as unknown, not as a missing block.
 */
function threadHeader(line: string): ThreadHeader | null {
  const m = /^\s*(pmd|main) thread(?:\s+numa_id\s+(\d+|<\w+>))?(?:\s+core_id\s+(\d+|<\w+>))?\s*:\s*$/i.exec(line)
  if (!m) return null
  return {kind: (m[1] ?? '').toLowerCase() === 'main' ? 'main' : 'pmd', numaId: toInt(m[2]), coreId: toInt(m[3])}
}

/** "  label: value" / "\tlabel:value" / "  - Label:   value (...)" -> [normalised label, value text]. */
function labelled(line: string): [string, string] | null {
  const m = /^\s*(?:-\s+)?([^:]+?)\s*:\s*(.*)$/.exec(line)
  if (!m) return null
  return [normaliseLabel(m[1] ?? ''), m[2] ?? '']
}

// ---------------------------------------------------------------- pmd-stats-show

type StatsField = Exclude<keyof PmdStatsThread, 'kind' | 'numaId' | 'coreId' | 'busyPct'>

const STATS_LABELS: Record<string, StatsField | 'miss'> = {
  'packets received': 'packetsReceived',
  'emc hits': 'emcHits',
  'smc hits': 'smcHits',
  'megaflow hits': 'megaflowHits',
  'miss with success upcall': 'missWithSuccessUpcall',
  'miss with failed upcall': 'missWithFailedUpcall',
  miss: 'miss',
  lost: 'lost',
  'avg. packets per output batch': 'avgPacketsPerOutputBatch',
  'idle cycles': 'idleCycles',
  'polling cycles': 'idleCycles', // OVS 2.6 name
  'processing cycles': 'processingCycles',
}

function emptyStatsThread(header: ThreadHeader): PmdStatsThread {
  return {
    ...header,
    packetsReceived: null,
    emcHits: null,
    smcHits: null,
    megaflowHits: null,
    missWithSuccessUpcall: null,
    missWithFailedUpcall: null,
    lost: null,
    avgPacketsPerOutputBatch: null,
    idleCycles: null,
    processingCycles: null,
    busyPct: null,
  }
}

export function parsePmdStats(text: string): ParseResult<PmdStats> {
  return guard('pmd-stats-show', () => {
    // OVS 4.0 kept pmd-stats-show as an alias printing pmd-perf-show output.
    if (/^\s*Measurement duration:/im.test(text)) return perfAsStats(text)
    const warnings = warningList()
    const threads: PmdStatsThread[] = []
    let thread: PmdStatsThread | null = null
    let miss: number | null = null
    const finish = (): void => {
      if (thread === null) return
      // OVS <= 2.8 "miss:" counts lost packets too (dpif-netdev.c: "Lost packets are already included").
      if (miss !== null) {
        thread.missWithSuccessUpcall = thread.lost === null ? miss : Math.max(0, miss - thread.lost)
        thread.missWithFailedUpcall = thread.lost
      }
      // OVS <= 2.8 prints no "packets received:": every received packet is an EMC hit, a megaflow
      // hit or a miss (lost ones included), so their sum is the count (dpif-netdev.c 2.6-2.8).
      const {emcHits, megaflowHits} = thread
      if (thread.packetsReceived === null && miss !== null && emcHits !== null && megaflowHits !== null) {
        thread.packetsReceived = emcHits + megaflowHits + miss
      }
      const {idleCycles: idle, processingCycles: busy} = thread
      if (idle !== null && busy !== null && idle + busy > 0) thread.busyPct = round2((busy / (idle + busy)) * 100)
    }
    for (const line of lines(text)) {
      if (line.trim() === '') continue
      const header = threadHeader(line)
      if (header) {
        finish()
        thread = emptyStatsThread(header)
        threads.push(thread)
        miss = null
        continue
      }
      const pair = labelled(line)
      const field = pair ? STATS_LABELS[pair[0]] : undefined
      if (thread === null || pair === null || field === undefined) {
        if (thread === null) warnings.push(`line before any thread ignored: ${line.trim().slice(0, 80)}`)
        continue
      }
      const value = isUnknownToken(pair[1]) ? null : leadingNumber(pair[1])
      if (field === 'miss') miss = value
      else thread[field] = value
    }
    finish()
    if (threads.length === 0) return fail('pmd-stats-show: no "pmd thread" / "main thread" block')
    return ok({format: 'pmd-stats', threads}, warnings)
  })
}

function perfAsStats(text: string): ParseResult<PmdStats> {
  const perf = parsePmdPerf(text)
  if (!perf.ok) return perf
  const threads = perf.value.threads.map((t): PmdStatsThread => ({
    kind: t.kind,
    numaId: t.numaId,
    coreId: t.coreId,
    packetsReceived: t.rxPackets,
    emcHits: t.emcHits,
    smcHits: t.smcHits,
    megaflowHits: t.megaflowHits,
    missWithSuccessUpcall: t.upcalls,
    missWithFailedUpcall: t.lostUpcalls,
    lost: null,
    avgPacketsPerOutputBatch: t.pktsPerBatch,
    // OVS 4.0 prints no idle / processing cycle lines; the same counters come from the perf
    // figures, so the window's busy % (a delta of cycles) works as on older versions.
    idleCycles: t.idleCycles,
    processingCycles: t.busyCycles,
    busyPct: t.busyPct,
  }))
  return ok({format: 'pmd-perf-alias', threads}, perf.warnings)
}

// ---------------------------------------------------------------- pmd-perf-show

type PerfCountField = Exclude<keyof PmdPerfThread, 'kind' | 'numaId' | 'coreId' | 'busyPct' | 'pktsPerBatch'>

const PERF_LABELS: Record<string, PerfCountField> = {
  iterations: 'iterations',
  'used tsc cycles': 'usedTscCycles',
  'idle iterations': 'idleIterations',
  'busy iterations': 'busyIterations',
  'sleep iterations': 'sleepIterations',
  'sleep time (us)': 'sleepTimeUs',
  'rx packets': 'rxPackets',
  'datapath passes': 'datapathPasses',
  'emc hits': 'emcHits',
  'smc hits': 'smcHits',
  'megaflow hits': 'megaflowHits',
  upcalls: 'upcalls',
  'lost upcalls': 'lostUpcalls',
  'tx packets': 'txPackets',
  'tx batches': 'txBatches',
}

function emptyPerfThread(header: ThreadHeader): PmdPerfThread {
  return {
    ...header,
    iterations: null,
    usedTscCycles: null,
    idleIterations: null,
    busyIterations: null,
    busyPct: null,
    sleepIterations: null,
    sleepTimeUs: null,
    rxPackets: null,
    datapathPasses: null,
    emcHits: null,
    smcHits: null,
    megaflowHits: null,
    upcalls: null,
    lostUpcalls: null,
    txPackets: null,
    txBatches: null,
    pktsPerBatch: null,
    busyCycles: null,
    idleCycles: null,
  }
}

/** Busy / idle cycles of a pmd-perf-show thread (see PmdPerfThread.busyCycles). */
function deriveCycles(thread: PmdPerfThread, cyclesPerRxPacket: number | null): void {
  const used = thread.usedTscCycles
  if (used === null) return
  let busy: number | null = null
  if (thread.rxPackets !== null && thread.rxPackets > 0 && cyclesPerRxPacket !== null) busy = thread.rxPackets * cyclesPerRxPacket
  else if (thread.rxPackets === 0) busy = 0
  else if (thread.busyPct !== null) busy = (used * thread.busyPct) / 100
  if (busy === null) return
  thread.busyCycles = Math.round(Math.min(used, busy))
  thread.idleCycles = used - thread.busyCycles
}

export function parsePmdPerf(text: string): ParseResult<PmdPerf> {
  return guard('pmd-perf-show', () => {
    const warnings = warningList()
    const threads: PmdPerfThread[] = []
    let measurementDurationS: number | null = null
    let thread: PmdPerfThread | null = null
    const cyclesPerRxPacket = new Map<PmdPerfThread, number>()
    for (const line of lines(text)) {
      if (line.trim() === '') continue
      const header = threadHeader(line)
      if (header) {
        thread = emptyPerfThread(header)
        threads.push(thread)
        continue
      }
      const duration = /^\s*Measurement duration:\s*([\d.]+)/i.exec(line)
      if (duration) {
        // Repeated per thread in some versions; the first one is the window of the whole reply.
        measurementDurationS ??= toNumber(duration[1]) // "1.2.3" is no number: null, not NaN
        thread = null
        continue
      }
      // Histograms (no -nh), iteration/ms histories and the "Time:" header end a thread's counters.
      if (!/^\s/.test(line)) {
        thread = null
        continue
      }
      if (thread === null) continue
      const pair = labelled(line)
      if (pair === null) continue
      const [label, value] = pair
      const field = PERF_LABELS[label]
      if (field === undefined) continue
      thread[field] = isUnknownToken(value) ? null : leadingNumber(value)
      if (field === 'busyIterations') {
        const pct = /\(\s*([\d.]+)\s*%/.exec(value)
        thread.busyPct = pct ? leadingNumber(pct[1] ?? '') : null
      }
      if (field === 'rxPackets') {
        const perPacket = /,\s*([\d.]+)\s*cycles\/pkt/i.exec(value)
        if (perPacket) cyclesPerRxPacket.set(thread, Number(perPacket[1]))
      }
      if (field === 'txBatches') {
        const perBatch = /\(\s*([\d.]+)\s*pkts\/batch/i.exec(value)
        thread.pktsPerBatch = perBatch ? leadingNumber(perBatch[1] ?? '') : null
      }
    }
    for (const t of threads) deriveCycles(t, cyclesPerRxPacket.get(t) ?? null)
    if (threads.length === 0) {
      if (measurementDurationS !== null) warnings.push('no PMD thread in the reply')
      else return fail('pmd-perf-show: no thread block and no "Measurement duration:" line')
    }
    return ok({measurementDurationS, threads}, warnings)
  })
}

// ---------------------------------------------------------------- pmd-rxq-show

/** "NOT AVAIL" -> null, "37 %" -> 37. */
function percent(value: string): number | null {
  return isUnknownToken(value.replace('%', '')) ? null : leadingNumber(value)
}

/**
 * One port line, parsed by tokens because names longer than 16 characters push the columns:
 * "port: <name>  queue-id: <id...> [(enabled)|(disabled)] [pmd usage: <N %|NOT AVAIL>]".
 * OVS 2.6-2.8 list every queue id of the port on one line.
 */
function rxqLine(line: string): PmdRxq[] | null {
  const m = /^\s*port:\s*(\S+)\s+queue-id:\s*([\d\s]+?)\s*(\((?:enabled|disabled)\))?\s*(?:pmd usage:\s*(.*?))?\s*$/i.exec(line)
  if (!m) return null
  const state = m[3]?.toLowerCase()
  const enabled = state === undefined ? null : state === '(enabled)'
  const usagePct = m[4] === undefined ? null : percent(m[4])
  return (m[2] ?? '')
    .trim()
    .split(/\s+/)
    .map((id) => ({port: m[1] ?? '', queueId: Number(id), enabled, usagePct}))
}

export function parsePmdRxq(text: string): ParseResult<PmdRxqShow> {
  return guard('pmd-rxq-show', () => {
    const warnings = warningList()
    const pmds: PmdRxqThread[] = []
    let windowSeconds: number | null = null
    let pmd: PmdRxqThread | null = null
    for (const line of lines(text)) {
      if (line.trim() === '') continue
      const window = /^\s*Displaying last\s+(\d+)\s+seconds/i.exec(line)
      if (window) {
        windowSeconds = toInt(window[1])
        continue
      }
      const header = threadHeader(line)
      if (header) {
        pmd = {numaId: header.numaId, coreId: header.coreId, isolated: null, overheadPct: null, rxqs: []}
        pmds.push(pmd)
        continue
      }
      if (pmd === null) {
        warnings.push(`line before any pmd thread ignored: ${line.trim().slice(0, 80)}`)
        continue
      }
      const rxqs = rxqLine(line)
      if (rxqs) {
        pmd.rxqs.push(...rxqs)
        continue
      }
      const pair = labelled(line)
      if (pair?.[0] === 'isolated') {
        const v = pair[1].trim().toLowerCase()
        pmd.isolated = v === 'true' ? true : v === 'false' ? false : null
      } else if (pair?.[0] === 'overhead') {
        pmd.overheadPct = percent(pair[1])
      } else {
        warnings.push(`ignored line: ${line.trim().slice(0, 80)}`)
      }
    }
    if (pmds.length === 0) {
      // OVS replies with an error text when there is no PMD at all; nothing to read.
      return fail('pmd-rxq-show: no "pmd thread" block')
    }
    return ok({windowSeconds, pmds}, warnings)
  })
}
