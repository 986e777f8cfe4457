/** The multi-host report: one line per side, the cross-host findings, each host's own report, the failed hosts. */
import {renderDiagnosis} from '../report/human.js'
import {printable} from '../util/printable.js'
import type {MultiDiagnosis} from './diagnose.js'

type Style = Parameters<typeof renderDiagnosis>[1]

/** "CRITICAL: lab-host0: FAST PATH; lab-host1: KERNEL PATH via ovsbr0 -> enp65s0f0np0" */
export function sidesLine(md: MultiDiagnosis): string {
  return `${md.status}: ${md.sides.map(printable).join('; ')}`
}

/** The cross-host part: "Cross-host:" then the findings and each rule that was unknown, with why. */
export function crossLines(md: MultiDiagnosis): string[] {
  const lines = ['Cross-host:']
  if (md.cross.rules.length === 0) lines.push('  (one host: no cross-host rules)')
  for (const f of md.cross.findings) lines.push(`  ${f.severity.toUpperCase()} ${f.ruleId}: ${printable(f.message)}`)
  for (const r of md.cross.rules.filter((x) => x.status === 'unknown')) lines.push(`  unknown ${r.ruleId}: ${printable(r.reason ?? '')}`)
  if (md.cross.rules.length > 0 && md.cross.findings.length === 0 && md.cross.rules.every((r) => r.status !== 'unknown')) lines.push('  both sides agree (no cross-host finding)')
  return lines
}

/** The last line: the failed hosts and why, or that every host was collected. */
export function failedHostsLine(md: MultiDiagnosis): string {
  return md.failed.length === 0 ? `all ${md.hosts.length} hosts collected` : `failed hosts: ${md.failed.map((f) => `${printable(f.name)} ${f.status}${f.reason ? ` (${printable(f.reason)})` : ''}`).join('; ')}`
}

export function renderMulti(md: MultiDiagnosis, style: Style, opts: {verbose: boolean; width?: number}): string {
  const lines: string[] = []
  lines.push(sidesLine(md))
  lines.push('')
  lines.push(...crossLines(md))
  for (const h of md.hosts) {
    lines.push('')
    lines.push(`== ${printable(h.name)} (${h.status}${h.clock?.offsetMs != null ? `, clock ${h.clock.offsetMs >= 0 ? '+' : ''}${h.clock.offsetMs} ms ±${((h.clock.rttMs ?? 0) / 2).toFixed(1)}` : ''}) ==`)
    if (h.diagnosis) lines.push(renderDiagnosis(h.diagnosis, style, opts).replace(/\n+$/, ''))
    else lines.push(`not collected: ${printable(h.reason ?? h.status)}${h.fix ? `\nto fix: ${printable(h.fix)}` : ''}`)
  }
  lines.push('')
  lines.push(failedHostsLine(md))
  return lines.join('\n')
}
