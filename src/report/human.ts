/**
 * The human report of a diagnosis: verdict first, findings, evidence, traffic attribution, the fix,
 * and coverage. Plain text when not a TTY.
 */
import Table from 'cli-table3'
import type {Diagnosis} from '../diagnose/types.js'
import type {Severity} from '../engine/types.js'
import {bits, bytes, evidenceValue, int, percent} from './format.js'
import type {Style} from './style.js'

function table(head: string[], style: Style, colWidths?: number[]): Table.Table {
  // cli-table3 colours headers red by default; keep it plain unless colour is wanted.
  return new Table({head: head.map((h) => style.bold(h)), style: {head: [], border: [], compact: false}, wordWrap: true, ...(colWidths ? {colWidths} : {})})
}

/** Column widths that fit the terminal: fixed columns as wide as their content, the last takes the rest. */
function fit(width: number, fixed: Array<{min: number; max: number; content: string[]}>): number[] {
  const widths = fixed.map((c) => Math.min(c.max, Math.max(c.min, ...c.content.map((x) => x.length + 2))))
  const used = widths.reduce((a, b) => a + b, 0) + fixed.length + 2
  return [...widths, Math.max(30, width - used)]
}

function severityLabel(s: Severity, style: Style): string {
  return s === 'critical' ? style.red('CRITICAL') : s === 'warning' ? style.yellow('WARNING') : style.cyan('info')
}

const REFERENCE_WORDS = {vhost: 'what the VMs sent and received (vhost ports)', load: "the load's own byte count", busiest: 'the busiest path', none: 'nothing (no traffic)'}

export function renderDiagnosis(d: Diagnosis, style: Style, opts: {verbose?: boolean; width?: number} = {}): string {
  const out: string[] = []
  const color = d.exitCode === 2 ? style.red : d.exitCode === 1 ? style.yellow : d.exitCode === 0 ? style.green : style.yellow
  out.push(color(style.bold(d.verdict.text)))
  const where = [d.host.hostname, d.host.netns ? `netns ${d.host.netns}` : null, d.versions.ovs ? `OVS ${d.versions.ovs}` : null, d.versions.dpdk]
    .filter(Boolean)
    .join(', ')
  out.push(style.dim(`${d.input.mode === 'bundle' ? `from ${d.input.bundle}` : 'live'}${where ? `: ${where}` : ''}`))
  const sos = d.input.sosreport
  if (sos) {
    out.push(style.dim(`input is a sosreport (sos ${sos.sosVersion ?? 'version unknown'}): one snapshot, no load window`))
    if (sos.absent.length > 0) out.push(style.dim(`absent from the sosreport: ${sos.absent.join('; ')}`))
    const counted = sos.lifetimeCounters.map((c) => `${c.name}${c.side === 'kernel' ? ' (kernel)' : ''} rx ${c.rxPackets ?? '?'} tx ${c.txPackets ?? '?'}`)
    if (counted.length > 0) out.push(style.dim(`packets since boot/OVS start (evidence, not a window${sos.uptime ? `; ${sos.uptime}` : ''}): ${counted.join(', ')}`))
  }

  if (d.findings.length > 0) {
    out.push('', style.bold('Findings'))
    const widths = fit(opts.width ?? 120, [
      {min: 10, max: 10, content: []},
      {min: 6, max: 34, content: d.findings.map((f) => f.ruleId)},
      {min: 9, max: 20, content: d.findings.map((f) => f.subject)},
    ])
    const t = table(['Severity', 'Rule', 'Subject', 'Finding'], style, widths)
    for (const f of d.findings) t.push([severityLabel(f.severity, style), f.ruleId, f.subject, f.message])
    out.push(t.toString())
    out.push('', style.bold('Evidence'))
    for (const f of d.findings) {
      const ev = Object.entries(f.evidence).map(([k, v]) => `${k}: ${evidenceValue(v)}`)
      out.push(`  ${f.ruleId} (${f.subject})`, ...ev.map((e) => `    ${e}`))
    }
  }

  // With OVS unreachable there is nothing to attribute; the verdict already says why.
  if (d.attribution && d.window && !(d.verdict.kind === 'unknown' && d.attribution.reference === 'none')) {
    const a = d.attribution
    out.push('', style.bold(`Traffic during the window (${d.window.durationS.toFixed(1)} s, ${d.window.samples} samples; shares of ${REFERENCE_WORDS[a.reference]})`))
    const t = table(['Path', 'Class', 'Packets rx/tx', 'Bytes', 'Share of bytes', 'Share of packets', 'Rate'], style)
    for (const p of a.paths) {
      const rate = p.bytesPerSec ? `${bits(p.bytesPerSec.mean * 8)} ±${bits(p.bytesPerSec.stddev * 8)}` : d.window.durationS > 0 ? bits(((p.rxBytes + p.txBytes) * 8) / d.window.durationS) : '-'
      t.push([p.name, p.class + (p.detail ? ` (${p.detail})` : ''), `${int(p.rxPackets)} / ${int(p.txPackets)}`, bytes(p.rxBytes + p.txBytes), percent(p.byteShare), percent(p.packetShare), rate])
    }
    out.push(t.toString())
    if (d.pmds && d.pmds.length > 0) {
      const pmds = d.pmds.map((p) => `core ${p.coreId ?? '?'} (numa ${p.numaId ?? '?'}): ${p.busyPct === null ? '?' : p.busyPct.toFixed(1)} % busy, ${int(p.packets)} packets`)
      out.push(`PMD threads: ${pmds.join('; ')}${d.mainThreadPackets !== null ? `; main thread: ${int(d.mainThreadPackets)} packets (internal ports)` : ''}`)
    }
  }
  if (d.load) {
    const l = d.load
    const rate = l.bitsPerSecond !== null ? `${bits(l.bitsPerSecond)}, ${bytes(l.bytes)}` : 'no iperf3 result'
    out.push(`Load: ${l.argv.join(' ')} -> ${rate}${l.retransmits !== null ? `, ${int(l.retransmits)} retransmits` : ''}${l.exitCode !== 0 ? `, exit ${l.exitCode ?? '?'}` : ''}`)
  }

  if (d.fix.length > 0) {
    out.push('', style.bold('Fix'))
    if (d.verdict.kind === 'kernel-bypass') {
      out.push('  Make the bridge pure L2: no IP on its internal port, VMs addressed on the wire\'s subnet, so OVS switches vhost-user <-> the DPDK port in the PMD threads.')
    }
    d.fix.forEach((line, i) => out.push(`  ${i + 1}. ${line}`))
    out.push(style.dim('  `dpdk-doctor fix` shows these as a plan; the changes persist only if the network configuration (netplan, ifupdown, NetworkManager) is edited too.'))
  }

  const unknown = d.rules.filter((r) => r.status === 'unknown')
  if (unknown.length > 0) {
    const reasons = [...new Set(unknown.map((r) => r.reason ?? 'unknown'))]
    out.push('', `${unknown.length} rule(s) could not decide: ${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? '; ...' : ''}`)
    if (opts.verbose) for (const r of unknown) out.push(style.dim(`  ${r.ruleId}: ${r.reason}`))
  }
  for (const w of opts.verbose ? d.warnings : d.warnings.slice(0, 5)) out.push(style.yellow(`warning: ${w}`))
  if (!opts.verbose && d.warnings.length > 5) out.push(style.dim(`(${d.warnings.length - 5} more warnings with --verbose)`))

  const c = d.coverage
  const missing = [...new Set(c.notOk.map((n) => `${n.id} (${n.parseError ? 'unparseable' : n.status})`))]
  const notOk = missing.length > 0 ? `; not collected: ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? `, and ${missing.length - 4} more` : ''}` : ''
  out.push('', `Sources: collected ${c.collected}/${c.total}${notOk}`, `Status: ${d.status} (exit ${d.exitCode})`)
  return out.join('\n')
}
