/**
 * The diagnosis as Prometheus text exposition (format 0.0.4), for node_exporter's textfile
 * collector (docs/fleets.md). A pure function of the Diagnosis and of when/how long the run was.
 *
 * Every rule gets all four state series every run, one of them 1 (as kube-state-metrics does
 * conditions), so an alert on state="fail" resolves by itself and a rule that could not judge is
 * visible as state="unknown" rather than as a missing series.
 */
import type {Diagnosis, StatusWord, VerdictKind} from '../diagnose/types.js'
import type {RuleStatus, Severity} from '../engine/types.js'
import type {PathClass} from '../window/types.js'

export interface RunInfo {
  /** When the run ended (the textfile's freshness). */
  finishedAt: Date
  /** Wall time of the whole run, load window included. */
  durationS: number
  /** The dpdk-doctor version that produced it. */
  toolVersion: string
}

export const RULE_STATES: ReadonlyArray<{status: RuleStatus; label: string}> = [
  {status: 'fail', label: 'fail'},
  {status: 'pass', label: 'pass'},
  {status: 'unknown', label: 'unknown'},
  // Label values keep to [a-z_] like the rest of the exposition.
  {status: 'not-applicable', label: 'not_applicable'},
]

export const VERDICT_KINDS: readonly VerdictKind[] = ['kernel-bypass', 'fast-path', 'invalid-load', 'problems', 'healthy', 'no-userspace-datapath', 'unknown']
export const STATUS_WORDS: readonly StatusWord[] = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']
export const PATH_CLASSES: readonly PathClass[] = ['dpdk', 'vhost', 'internal', 'kernel-nic', 'ovs-kernel-port']
const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info']

/** A label value as the exposition format wants it: backslash, double quote and newline escaped. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/** HELP text escapes only backslash and newline. */
function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

/** A sample value: integers as such, floats without exponent noise, NaN for "could not measure". */
function value(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return 'NaN'
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12)))
}

type Labels = Record<string, string>

class Exposition {
  private readonly lines: string[] = []

  family(name: string, type: 'gauge' | 'counter', help: string, samples: Array<{labels?: Labels; value: number | null}>): void {
    if (samples.length === 0) return
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`)
    for (const s of samples) {
      const labels = Object.entries(s.labels ?? {})
      const body = labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`
      this.lines.push(`${name}${body} ${value(s.value)}`)
    }
  }

  text(): string {
    return this.lines.join('\n') + '\n'
  }
}

/** One series per (rule, subject): the subjects of its findings when it failed, else the host. */
function ruleSubjects(d: Diagnosis, ruleId: string, status: RuleStatus): string[] {
  if (status !== 'fail') return ['host']
  const subjects = [...new Set(d.findings.filter((f) => f.ruleId === ruleId).map((f) => f.subject))].sort()
  return subjects.length > 0 ? subjects : ['host']
}

export function renderPrometheus(d: Diagnosis, run: RunInfo): string {
  const x = new Exposition()
  x.family('dpdk_doctor_info', 'gauge', 'Versions of dpdk-doctor, Open vSwitch and DPDK on this host (value always 1).', [
    {
      labels: {
        version: run.toolVersion,
        ovs_version: d.versions.ovs ?? '',
        dpdk_version: d.versions.dpdk ?? '',
        kernel: d.host.kernel ?? '',
        hostname: d.host.hostname ?? '',
        input: d.input.mode,
        schema: d.schema,
      },
      value: 1,
    },
  ])
  x.family('dpdk_doctor_verdict', 'gauge', 'The verdict of the last run: 1 for its kind, 0 for the others.',
    VERDICT_KINDS.map((kind) => ({labels: {kind}, value: d.verdict.kind === kind ? 1 : 0})))
  x.family('dpdk_doctor_status', 'gauge', 'The monitoring status of the last run (OK, WARNING, CRITICAL, UNKNOWN): 1 for it, 0 for the others.',
    STATUS_WORDS.map((status) => ({labels: {status}, value: d.status === status ? 1 : 0})))
  x.family('dpdk_doctor_exit_code', 'gauge', 'Exit code of the last run: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.', [{value: d.exitCode}])
  x.family('dpdk_doctor_last_run_timestamp_seconds', 'gauge', 'When the last run ended, seconds since the Unix epoch.', [{value: run.finishedAt.getTime() / 1000}])
  x.family('dpdk_doctor_run_duration_seconds', 'gauge', 'Wall time of the last run, load window included.', [{value: run.durationS}])
  if (d.window) {
    x.family('dpdk_doctor_window_duration_seconds', 'gauge', 'Length of the load window the traffic figures cover.', [{value: d.window.durationS}])
    x.family('dpdk_doctor_window_end_timestamp_seconds', 'gauge', 'When the load window ended (for a saved bundle: when it was captured).', [{value: Date.parse(d.window.endedAt) / 1000}])
  }

  const ruleSamples: Array<{labels: Labels; value: number}> = []
  for (const r of d.rules) {
    for (const subject of ruleSubjects(d, r.ruleId, r.status)) {
      // A rule whose severity follows what it saw (a warning under load, info otherwise) is labelled
      // with its finding's, so an info never raises the warning alert.
      const severity = findingSeverity(d, r.ruleId, subject) ?? r.severity
      for (const s of RULE_STATES) ruleSamples.push({labels: {rule: r.ruleId, subject, severity, state: s.label}, value: r.status === s.status ? 1 : 0})
    }
  }
  x.family('dpdk_doctor_rule_state', 'gauge',
    'State of each rule in the last run (fail, pass, unknown, not_applicable): 1 for its state, 0 for the others; a failed rule has one set per subject.', ruleSamples)
  x.family('dpdk_doctor_findings', 'gauge', 'Findings of the last run by severity.',
    SEVERITIES.map((severity) => ({labels: {severity}, value: d.findings.filter((f) => f.severity === severity).length})))
  x.family('dpdk_doctor_sources_collected', 'gauge', 'Sources read without error in the last run.', [{value: d.coverage.collected}])
  x.family('dpdk_doctor_sources', 'gauge', 'Sources the last run tried to read.', [{value: d.coverage.total}])

  const a = d.attribution
  if (a) {
    const byClass = PATH_CLASSES.map((c) => ({c, v: a.byClass[c]}))
    // The reference is its own series: as a label on the shares it would split their history.
    x.family('dpdk_doctor_traffic_reference_bytes', 'gauge', 'Bytes the shares are relative to; the reference label says what they are (vhost: what the VMs moved, load: the load\'s own count, busiest path, none).',
      [{labels: {reference: a.reference}, value: a.referenceBytes}])
    x.family('dpdk_doctor_traffic_byte_share_ratio', 'gauge', 'Bytes each path class moved in the load window as a share (0-1) of the reference; NaN without one.',
      byClass.map(({c, v}) => ({labels: {class: c}, value: v?.byteShare ?? null})))
    x.family('dpdk_doctor_traffic_packet_share_ratio', 'gauge', 'Packets each path class moved in the load window as a share (0-1) of the reference; NaN without one.',
      byClass.map(({c, v}) => ({labels: {class: c}, value: v?.packetShare ?? null})))
    x.family('dpdk_doctor_traffic_bytes', 'gauge', 'Bytes (rx + tx) each path class moved in the load window.',
      byClass.map(({c, v}) => ({labels: {class: c}, value: v?.bytes ?? 0})))
  }
  if (d.pmds && d.pmds.length > 0) {
    const pmdLabels = (p: {coreId: number | null; numaId: number | null}) => ({core: p.coreId === null ? '' : String(p.coreId), numa: p.numaId === null ? '' : String(p.numaId)})
    x.family('dpdk_doctor_pmd_busy_ratio', 'gauge', 'Share (0-1) of its cycles each PMD thread spent processing packets in the load window.',
      d.pmds.map((p) => ({labels: pmdLabels(p), value: p.busyPct === null ? null : p.busyPct / 100})))
    x.family('dpdk_doctor_pmd_packets', 'gauge', 'Packets each PMD thread processed in the load window.',
      d.pmds.map((p) => ({labels: pmdLabels(p), value: p.packets})))
  }
  if (d.mainThreadPackets !== null) {
    x.family('dpdk_doctor_main_thread_packets', 'gauge', 'Packets the OVS main thread (not a PMD) handled in the load window: kernel ports on a netdev bridge.', [{value: d.mainThreadPackets}])
  }
  return x.text()
}

/** The most severe finding of a rule for one subject, or null when it has none. */
function findingSeverity(d: Diagnosis, ruleId: string, subject: string): Severity | null {
  const found = d.findings.filter((f) => f.ruleId === ruleId && f.subject === subject).map((f) => f.severity)
  for (const level of ['critical', 'warning', 'info'] as const) if (found.includes(level)) return level
  return null
}
