/**
 * Diagnosis of a capture (live or from a bundle): build the host states, the load window, run the
 * rules, decide the verdict. Pure with respect to the capture: the same bundle gives the same result.
 */
import {SOS_WINDOW_REASON} from '../capture/sos.js'
import type {Capture, Sample} from '../capture/types.js'
import {isFullSample, overlayLive} from '../collect/sources.js'
import {runRules, sortedFindings} from '../engine/run.js'
import type {Rule} from '../engine/types.js'
import {buildHostState} from '../model/build.js'
import type {HostState} from '../model/host-state.js'
import {parseIperf3} from '../parsers/iperf3.js'
import type {LoadResult} from '../parsers/types.js'
import {RULES} from '../../rules/index.js'
import {buildWindow} from '../window/build.js'
import type {LoadWindow} from '../window/types.js'
import {fixLinesOf, fixSection, reportPlan} from './fix-plan.js'
import {buildStory} from './story.js'
import {DIAGNOSIS_SCHEMA} from './types.js'
import type {CoverageEntry, Diagnosis} from './types.js'
import {decideVerdict} from './verdict.js'

export interface AnalyseOptions {
  input: Diagnosis['input']
  rules?: readonly Rule[]
  thresholds?: Record<string, Record<string, number>>
}

const isDuring = (s: Sample) => s.name === 'during' || s.name.startsWith('during-')


/**
 * Coverage of the samples that hold full snapshots (before, and the last during): each source id
 * counted once, collected when every full sample read it; what failed is listed per sample.
 */
function coverage(states: HostState[]): Diagnosis['coverage'] {
  const notOk: CoverageEntry[] = []
  const failedIds = new Set<string>()
  const ids = new Set<string>()
  for (const state of states) {
    for (const [id, c] of Object.entries(state.sources).sort(([a], [b]) => a.localeCompare(b))) {
      ids.add(id)
      if (c.status === 'ok' && c.parseError === null) continue
      failedIds.add(id)
      notOk.push({sample: state.sample, id, status: c.status, reason: c.reason, parseError: c.parseError})
    }
  }
  return {collected: ids.size - failedIds.size, total: ids.size, notOk}
}

/** A sosreport's counters as evidence: each OVS port and the kernel interface that is one or its twin. */
function lifetimeCounters(state: HostState): NonNullable<Diagnosis['input']['sosreport']>['lifetimeCounters'] {
  const ovs = state.ports
    .filter((p) => p.counters !== null)
    .map((p) => ({name: p.name, side: 'ovs' as const, rxPackets: p.counters!.rxPackets, txPackets: p.counters!.txPackets}))
  const kernel = state.interfaces
    .filter((i) => i.ovsPort !== null && i.counters !== null)
    .map((i) => ({name: i.ifname, side: 'kernel' as const, rxPackets: i.counters!.rxPackets, txPackets: i.counters!.txPackets}))
  return [...ovs, ...kernel]
}

/** A capture's host model: every sample's state, the before state, the load window, the latest state. */
export function captureModel(capture: Capture): {states: HostState[]; before: HostState; window: LoadWindow | null; state: HostState; load: LoadWindow['load']; loadParseError: string | null; loadResult: LoadResult | null} {
  const host = capture.manifest.host
  // Live samples hold only counters: joined to the ports through the first (full) sample.
  const first = capture.samples[0]!
  const states = capture.samples.map((s) => buildHostState(isFullSample(s) ? s : overlayLive(first, s), host))
  const before = states.find((s) => s.sample === 'before') ?? states[0]!
  const duringStates = states.filter((_, i) => isDuring(capture.samples[i]!))

  let loadResult: LoadResult | null = null
  let loadParseError: string | null = null
  if (capture.loadOutput !== null && capture.loadOutput.trim() !== '') {
    const parsed = parseIperf3(capture.loadOutput)
    if (parsed.ok) loadResult = parsed.value
    else loadParseError = parsed.error
  }
  const load = capture.manifest.load ? {record: capture.manifest.load, result: loadResult, parseError: loadParseError} : null

  let window: LoadWindow | null = null
  if (duringStates.length > 0) window = buildWindow([before, ...duringStates], load)
  const state = window ? window.during : before
  return {states, before, window, state, load, loadParseError, loadResult}
}

export function analyse(capture: Capture, opts: AnalyseOptions): Diagnosis {
  const host = capture.manifest.host
  const {before, window, state, load, loadParseError, loadResult} = captureModel(capture)

  const rules = opts.rules ?? RULES
  const sos = capture.origin?.kind === 'sosreport' ? capture.origin : null
  // A sosreport is one snapshot: a window rule is unknown for that reason, not for a missing --load.
  const results = runRules(rules, {state, window, thresholds: opts.thresholds}).map((r) =>
    sos && r.unknownCause === 'needs-window' ? {...r, reason: SOS_WINDOW_REASON} : r,
  )
  const findings = sortedFindings(results)
  const verdict = decideVerdict(state, window, results, findings)

  // Parse warnings of the full snapshots only: live samples re-read the borrowed configuration.
  const full = window ? [before, window.during] : [before]
  // Refused bundle files first: they say why sources are missing that the bundle lists.
  const refused = (capture.refusals ?? []).map((r) => `bundle file ${r.path} refused: it ${r.reason}`)
  const warnings = [...new Set([...refused, ...full.flatMap((s) => s.warnings), ...(window?.warnings ?? [])])]
  if (loadParseError) warnings.push(`load output is not iperf3 JSON (${loadParseError}); attribution uses the port counters only`)
  if (load?.record && load.record.exitCode !== 0) warnings.push(`the load command exited ${load.record.exitCode ?? 'abnormally'}`)
  if (loadResult?.error) warnings.push(`iperf3 reported an error: ${loadResult.error}`)

  const diagnosis: Diagnosis = {
    schema: DIAGNOSIS_SCHEMA,
    verdict: {kind: verdict.kind, text: verdict.text},
    limitedBy: verdict.limitedBy,
    pmdFigures: window && window.pmds.length > 0 ? 'window' : 'none',
    status: verdict.status,
    exitCode: verdict.exitCode,
    host,
    versions: {ovs: state.versions.ovs, dpdk: state.versions.dpdk},
    input: sos ? {...opts.input, sosreport: {sosVersion: sos.sosVersion, absent: sos.absent, uptime: sos.uptime, lifetimeCounters: lifetimeCounters(state)}} : opts.input,
    window: window ? {startedAt: window.startedAt, endedAt: window.endedAt, durationS: window.durationS, samples: window.samples.length} : null,
    load: load?.record
      ? {
          argv: load.record.argv,
          exitCode: load.record.exitCode,
          target: window?.loadTarget ?? loadResult?.target ?? null,
          bitsPerSecond: loadResult?.bitsPerSecond ?? null,
          bytes: loadResult?.bytes ?? null,
          retransmits: loadResult?.retransmits ?? null,
          error: loadResult?.error ?? loadParseError,
        }
      : null,
    findings,
    rules: results.map((r) => ({ruleId: r.ruleId, status: r.status, severity: r.severity, reason: r.reason})),
    attribution: window?.attribution ?? null,
    pmds: window?.pmds ?? null,
    mainThreadPackets: window?.mainThreadPackets ?? null,
    story: buildStory(findings, window?.attribution ?? null),
    fix: [],
    fixPlan: fixSection(null, findings),
    coverage: coverage(full),
    warnings,
  }
  // The planner reads the diagnosis (findings, load target), so the fix comes last.
  diagnosis.fixPlan = fixSection(reportPlan(capture, diagnosis), findings)
  diagnosis.fix = fixLinesOf(diagnosis.fixPlan)
  return diagnosis
}
