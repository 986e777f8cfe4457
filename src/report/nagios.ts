/**
 * The diagnosis as a Nagios / Icinga / monitoring-plugins check result (Monitoring Plugins
 * Development Guidelines): one status line `DPDK-DOCTOR <STATUS> - <verdict> | <perfdata>`, the
 * findings and the fix as long output, more perfdata after a `|` on the last long-output line.
 * The exit code is the diagnosis's own (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). Pure.
 */
import {findRule} from '../../rules/index.js'
import type {Diagnosis} from '../diagnose/types.js'
import type {PathClass} from '../window/types.js'

export const NAGIOS_SERVICE = 'DPDK-DOCTOR'

/** A `|` in text would start the perfdata; a newline would end the line. */
function text(s: string): string {
  return s.replace(/\|/g, '/').replace(/[\r\n]+/g, ' ').trim()
}

/** A perfdata label: quoted when it holds a space, '=' or a quote (quotes doubled inside). */
export function perfLabel(label: string): string {
  return /[\s='|]/.test(label) ? `'${label.replace(/'/g, "''").replace(/\|/g, '/')}'` : label
}

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)))
}

interface Perf {
  label: string
  /** null: the value could not be determined ("U"). */
  value: number | null
  uom?: '' | 's' | '%' | 'B' | 'c'
  warn?: string
  crit?: string
  min?: number
  max?: number
}

export function perfItem(p: Perf): string {
  const v = p.value === null || !Number.isFinite(p.value) ? 'U' : `${num(p.value)}${p.uom ?? ''}`
  const fields = [v, p.warn ?? '', p.crit ?? '', p.min === undefined ? '' : num(p.min), p.max === undefined ? '' : num(p.max)]
  while (fields.length > 1 && fields.at(-1) === '') fields.pop()
  return `${perfLabel(p.label)}=${fields.join(';')}`
}

function threshold(ruleId: string, name: string): number | undefined {
  return findRule(ruleId)?.meta.thresholds[name]
}

/** Threshold ranges of the guidelines: "x:" alerts below x, "x" alerts outside 0..x. */
const below = (x: number | undefined) => (x === undefined ? '' : `${num(x)}:`)
const above = (x: number | undefined) => (x === undefined ? '' : num(x))

const SHARE_RANGES: Record<PathClass, {warn: string; crit: string}> = {
  dpdk: {warn: '', crit: below(threshold('dpdk-port-idle-under-load', 'failShare'))},
  vhost: {warn: '', crit: ''},
  internal: {warn: '', crit: above(threshold('internal-port-carries-load', 'failShare'))},
  'kernel-nic': {warn: above(threshold('kernel-nic-carries-load', 'warnShare')), crit: above(threshold('kernel-nic-carries-load', 'failShare'))},
  'ovs-kernel-port': {warn: '', crit: ''},
}
const SHARE_LABELS: Record<PathClass, string> = {dpdk: 'dpdk_share', vhost: 'vhost_share', internal: 'internal_share', 'kernel-nic': 'kernel_nic_share', 'ovs-kernel-port': 'ovs_kernel_port_share'}

/** The status line's perfdata: what a graph of the fast path wants. */
function mainPerf(d: Diagnosis): Perf[] {
  const perf: Perf[] = (Object.keys(SHARE_LABELS) as PathClass[]).map((c) => ({
    label: SHARE_LABELS[c],
    value: d.attribution?.byClass[c]?.byteShare ?? null,
    ...SHARE_RANGES[c],
    min: 0,
    max: 1,
  }))
  perf.push({label: 'window', value: d.window?.durationS ?? null, uom: 's', min: 0})
  return perf
}

/** The rest: per-PMD busy, findings and rule states, sources. */
function extraPerf(d: Diagnosis): Perf[] {
  const perf: Perf[] = []
  const warnBusy = threshold('pmd-saturated', 'warnBusyPct')
  const failBusy = threshold('pmd-saturated', 'failBusyPct')
  for (const p of d.pmds ?? []) {
    const name = `pmd_core${p.coreId ?? 'unknown'}${p.numaId === null ? '' : `_numa${p.numaId}`}_busy`
    perf.push({label: name, value: p.busyPct, uom: '%', warn: above(warnBusy), crit: above(failBusy), min: 0, max: 100})
  }
  if (d.load?.bitsPerSecond !== undefined && d.load?.bitsPerSecond !== null) perf.push({label: 'load_bits_per_second', value: d.load.bitsPerSecond, min: 0})
  for (const s of ['critical', 'warning', 'info'] as const) perf.push({label: `findings_${s}`, value: d.findings.filter((f) => f.severity === s).length, min: 0})
  const total = d.rules.length
  for (const s of ['fail', 'unknown'] as const) perf.push({label: `rules_${s}`, value: d.rules.filter((r) => r.status === s).length, min: 0, max: total})
  perf.push({label: 'sources_collected', value: d.coverage.collected, min: 0, max: d.coverage.total})
  return perf
}

export function renderNagios(d: Diagnosis): string {
  const lines = [`${NAGIOS_SERVICE} ${d.status} - ${text(d.verdict.text)} | ${mainPerf(d).map(perfItem).join(' ')}`]
  const order = {critical: 0, warning: 1, info: 2} as const
  for (const f of [...d.findings].sort((a, b) => order[a.severity] - order[b.severity])) {
    lines.push(text(`${f.severity.toUpperCase()} ${f.ruleId} (${f.subject}): ${f.message}`))
  }
  for (const step of d.fix) lines.push(text(`Fix: ${step}`))
  for (const c of d.coverage.notOk) lines.push(text(`Source ${c.id} ${c.status}${c.reason ? `: ${c.reason}` : ''}`))
  const count = (s: string) => d.rules.filter((r) => r.status === s).length
  const where = [d.host.hostname, d.versions.ovs ? `OVS ${d.versions.ovs}` : null, d.versions.dpdk].filter(Boolean).join(', ')
  const summary = `Rules: ${count('fail')} fail, ${count('pass')} pass, ${count('unknown')} unknown, ${count('not-applicable')} not applicable; ` +
    `sources ${d.coverage.collected}/${d.coverage.total}${where ? `; ${where}` : ''}`
  lines.push(`${text(summary)} | ${extraPerf(d).map(perfItem).join(' ')}`)
  return lines.join('\n')
}

/** An error (usage, unreadable bundle) as a check result: UNKNOWN, exit 3. */
export function renderNagiosError(message: string): string {
  return `${NAGIOS_SERVICE} UNKNOWN - ${text(message)}`
}
