import {defineRule} from '../src/engine/types.js'
import type {PmdThreadState} from '../src/model/host-state.js'
import {formatBitRate} from './lib/format.js'
import {pmdLabel} from './lib/pmd.js'
import {threshold} from './lib/thresholds.js'

/** The frame the ceiling is quoted at: a full 1500-byte MTU Ethernet frame without FCS. */
const FRAME_BYTES = 1514

const sameCore = (a: {numaId: number | null; coreId: number | null}, b: {numaId: number | null; coreId: number | null}) =>
  a.numaId === b.numaId && a.coreId === b.coreId

/**
 * The TSC rate of a PMD thread: its cycles since the last pmd-stats-clear over pmd-perf-show's
 * measurement duration (the same clear resets both). A PMD that sleeps counts fewer cycles than
 * the clock gave, so then it is unknown.
 */
export function tscHz(pmd: PmdThreadState): number | null {
  if (pmd.perfDurationS === null || pmd.perfDurationS <= 0) return null
  if ((pmd.sleepIterations ?? 0) > 0 || (pmd.sleepTimeUs ?? 0) > 0) return null
  if (pmd.idleCycles === null || pmd.processingCycles === null) return null
  const hz = (pmd.idleCycles + pmd.processingCycles) / pmd.perfDurationS
  // A clock outside 0.5-6 GHz is a reading error (counters cleared apart), not a CPU.
  return hz >= 5e8 && hz <= 6e9 ? hz : null
}

const mpps = (pps: number) => `${(pps / 1e6).toFixed(pps >= 1e7 ? 0 : 2)} Mpps`

export default defineRule({
  meta: {
    id: 'pmd-cycle-ceiling',
    title: 'Packet-rate ceiling of the busiest PMD',
    severity: 'info',
    group: 'pmd',
    kind: 'window',
    rationale:
      'A PMD forwards at most TSC rate / (processing cycles per packet) packets per second. The window gives both ' +
      'factors: processing cycles over packets of pmd-stats-show, diffed over the window (never the lifetime ' +
      'averages, which mix in idle hours), and the clock from the PMD\'s cycles over pmd-perf-show\'s measurement ' +
      'duration. With the busiest PMD\'s busy share this says how far the current configuration can go before ' +
      'that PMD saturates, and what that is at 1514-byte frames. It names a limit once the busiest PMD is above ' +
      'limitBusyPct; otherwise it is headroom.',
    inputs: ['pmd-stats', 'pmd-perf'],
    thresholds: {limitBusyPct: 70, minPackets: 10000},
    remediation: 'Fewer cycles per packet (EMC/SMC hits, TSO so fewer and larger packets, no upcalls) or more PMDs with the queues spread over them.',
    field: 'D1',
    appliesTo: 'Userspace-datapath hosts with PMD threads, under load.',
  },
  check({window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const minPackets = threshold(thresholds, 'minPackets')
    const limitPct = threshold(thresholds, 'limitBusyPct')
    const measured = window.pmds.filter((p) => p.busyPct !== null && (p.packets ?? 0) >= minPackets)
    if (window.pmds.length === 0) return {notApplicable: 'no PMD threads'}
    if (measured.length === 0) return {unknown: `no PMD handled ${minPackets} packets with cycle counters in the window`}
    const busiest = [...measured].sort((a, b) => b.busyPct! - a.busyPct!)[0]!
    const before = window.before.pmds.find((p) => sameCore(p, busiest))
    const during = window.during.pmds.find((p) => sameCore(p, busiest))
    if (!before || !during || before.processingCycles === null || during.processingCycles === null) {
      return {unknown: `${pmdLabel(busiest)}: processing cycles not read at both ends of the window`}
    }
    const cycles = during.processingCycles - before.processingCycles
    const packets = busiest.packets!
    if (cycles <= 0) return {unknown: `${pmdLabel(busiest)}: processing cycles did not grow in the window (counters cleared?)`}
    const cyclesPerPacket = cycles / packets
    const hz = tscHz(during) ?? tscHz(before)
    if (hz === null) return {unknown: 'TSC rate unknown: pmd-perf-show gave no measurement duration, or the PMD sleeps'}
    const ceilingPps = hz / cyclesPerPacket
    const ceilingBps = ceilingPps * FRAME_BYTES * 8
    const currentPps = packets / window.durationS
    const cpp = cyclesPerPacket >= 1000 ? `${(cyclesPerPacket / 1000).toFixed(1)}k` : cyclesPerPacket.toFixed(0)
    const nearLimit = busiest.busyPct! >= limitPct
    return {
      findings: [{
        subject: pmdLabel(busiest),
        message:
          `at ${cpp} cycles/pkt ${pmdLabel(busiest)} tops out near ${mpps(ceilingPps)} = ${formatBitRate(ceilingBps)} at ${FRAME_BYTES}-byte frames ` +
          `(${(hz / 1e9).toFixed(2)} GHz TSC, ${mpps(currentPps)} at ${busiest.busyPct!.toFixed(0)} % busy in the window)`,
        evidence: {
          cyclesPerPacket: Math.round(cyclesPerPacket),
          tscHz: Math.round(hz),
          ceilingPps: Math.round(ceilingPps),
          ceilingBitsPerSecond: Math.round(ceilingBps),
          frameBytes: FRAME_BYTES,
          windowPps: Math.round(currentPps),
          busyPct: busiest.busyPct,
          limitBusyPct: limitPct,
          figures: 'window',
        },
        ...(nearLimit ? {limit: `${pmdLabel(busiest)} near its ${mpps(ceilingPps)} ceiling (${busiest.busyPct!.toFixed(0)} % busy)`} : {}),
        fixes: [],
      }],
    }
  },
})
