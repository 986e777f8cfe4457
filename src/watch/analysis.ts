/**
 * The dashboard's judgement of a rolling window: the same window, rules and verdict code as
 * `diagnose` (buildWindow -> runRules -> decideVerdict), only over the last few samples.
 */
import {runRules, sortedFindings} from '../engine/run.js'
import type {Finding, RuleResult} from '../engine/types.js'
import {fixLines} from '../diagnose/fix-text.js'
import {decideVerdict, unknownReason} from '../diagnose/verdict.js'
import type {Verdict} from '../diagnose/verdict.js'
import type {HostState} from '../model/host-state.js'
import {RULES} from '../../rules/index.js'
import {buildWindow} from '../window/build.js'
import type {LoadWindow} from '../window/types.js'
import type {PathLabel, PmdRow, PortRow} from './types.js'

/** Below this much VM traffic (1 Mbit/s) the datapath is idle: ARP and LLDP are not a verdict. */
export const IDLE_BYTES_PER_SEC = 125_000

export {isFullSample, overlayLive} from '../collect/sources.js'

export interface RollingAnalysis {
  window: LoadWindow
  verdict: Verdict
  findings: Finding[]
  fix: string[]
  snapshotResults: RuleResult[]
}

const SNAPSHOT_RULES = RULES.filter((r) => r.meta.kind !== 'window')
const WINDOW_RULES = RULES.filter((r) => r.meta.kind === 'window')

/**
 * Rules over the rolling window. Snapshot rules read the configuration, which live samples take
 * from the last full snapshot: their results are passed back in (`snapshotResults`) and reused
 * until the next full snapshot, so each second runs only the window rules.
 */
export function analyseRolling(states: HostState[], load: LoadWindow['load'], snapshotResults?: RuleResult[]): RollingAnalysis {
  const window = buildWindow(states, load)
  const snapshot = snapshotResults ?? runRules(SNAPSHOT_RULES, {state: window.during, window})
  const results = [...snapshot, ...runRules(WINDOW_RULES, {state: window.during, window})]
  const findings = sortedFindings(results)
  return {window, verdict: decideVerdict(window.during, window, results, findings), findings, fix: fixLines(findings), snapshotResults: snapshot}
}

export function pathLabel(analysis: RollingAnalysis | null): PathLabel {
  if (!analysis) return 'WAITING'
  const {window, verdict} = analysis
  if (unknownReason(window.during)) return 'UNKNOWN'
  if (verdict.kind === 'no-userspace-datapath') return 'NO USERSPACE DATAPATH'
  const a = window.attribution
  if (a.reference === 'none' || window.durationS <= 0 || a.referenceBytes / window.durationS < IDLE_BYTES_PER_SEC) return 'IDLE'
  switch (verdict.kind) {
    case 'kernel-bypass':
      return 'KERNEL PATH'
    case 'fast-path':
      return 'FAST PATH'
    case 'invalid-load':
      return 'NOT A DPDK TEST'
    case 'unknown':
      return 'UNKNOWN'
    default:
      return 'MIXED PATH'
  }
}

const CLASS_ORDER = ['dpdk', 'vhost', 'internal', 'kernel-nic', 'ovs-kernel-port']

/** Per-port rates of one interval (a two-sample window), in a stable order: class, then name. */
export function portRates(latest: LoadWindow): Omit<PortRow, 'history'>[] {
  const dt = latest.durationS > 0 ? latest.durationS : 1
  return [...latest.attribution.paths]
    .sort((a, b) => CLASS_ORDER.indexOf(a.class) - CLASS_ORDER.indexOf(b.class) || a.name.localeCompare(b.name))
    .map((p) => ({
      name: p.name,
      class: p.class,
      detail: p.detail,
      rxPps: p.rxPackets / dt,
      txPps: p.txPackets / dt,
      rxMbps: (p.rxBytes * 8) / dt / 1e6,
      txMbps: (p.txBytes * 8) / dt / 1e6,
      dropsPerSec: p.rxDropped === null && p.txDropped === null ? null : ((p.rxDropped ?? 0) + (p.txDropped ?? 0)) / dt,
    }))
}

export function pmdRows(latest: LoadWindow): PmdRow[] {
  const dt = latest.durationS > 0 ? latest.durationS : 1
  return latest.pmds.map((p) => ({
    label: `core ${p.coreId ?? '?'} numa ${p.numaId ?? '?'}`,
    busyPct: p.busyPct,
    pps: p.packets === null ? null : p.packets / dt,
  }))
}

export function mainThreadPps(latest: LoadWindow): number | null {
  return latest.mainThreadPackets === null || latest.durationS <= 0 ? null : latest.mainThreadPackets / latest.durationS
}
