/**
 * The human report of a diagnosis, short enough to read in one screen: the verdict, the story in
 * causal order (root cause, what the traffic shows, what follows, other problems, info), where the
 * traffic went, and the fix (`dpdk-doctor fix`'s plan). `--verbose` adds the evidence, rendered for
 * people. Plain text when not a TTY; everything fits the given width.
 */
import type {Diagnosis} from '../diagnose/types.js'
import type {Finding, Severity} from '../engine/types.js'
import {findingOf} from '../diagnose/story.js'
import type {StoryEntry, StoryRole} from '../diagnose/story.js'
import {evidenceLines} from './evidence.js'
import {bits, bytes, int, percent} from './format.js'
import {columns, wrap} from './layout.js'
import type {Style} from './style.js'
import {printableDeep} from '../util/printable.js'

export interface ReportOptions {
  verbose?: boolean
  width?: number
}

/** Columns a report is laid out for when the output is not a terminal. */
export const DEFAULT_WIDTH = 100

const REFERENCE_WORDS = {vhost: "of the VMs' bytes", load: "of the load's own bytes", busiest: 'of the busiest path', none: ''}

const ROLE_TITLES: Record<StoryRole, string> = {
  'root-cause': 'Root cause',
  symptom: 'What the traffic shows (explained by the root cause)',
  consequence: 'What follows from it',
  unrelated: 'Other problems',
  limit: 'Limits of the fast path',
  info: 'Info',
}

function severityLabel(s: Severity, style: Style): string {
  return s === 'critical' ? style.red('CRITICAL') : s === 'warning' ? style.yellow('WARNING') : style.cyan('info')
}

/** The observation of a message, without its interpretation (the part after the first ": "). */
export function observation(message: string): string {
  const cut = [message.indexOf(': '), message.indexOf('; ')].filter((i) => i > 20)
  return cut.length > 0 ? message.slice(0, Math.min(...cut)) : message
}

function header(d: Diagnosis, style: Style, width: number): string[] {
  const color = d.exitCode === 2 ? style.red : d.exitCode === 0 ? style.green : style.yellow
  const where = [d.host.hostname, d.host.netns ? `netns ${d.host.netns}` : null, d.versions.ovs ? `OVS ${d.versions.ovs}` : null, d.versions.dpdk]
    .filter(Boolean)
    .join(', ')
  // The status word stands here, by the verdict, so the coverage line never reads as if it were critical.
  const from = `${d.status} (exit ${d.exitCode}), ${d.input.mode === 'bundle' ? `from ${d.input.bundle}` : 'live'}${where ? `: ${where}` : ''}`
  const out = [...wrap(d.verdict.text, width).map((l) => color(style.bold(l))), ...wrap(from, width, '', '  ').map(style.dim)]
  const sos = d.input.sosreport
  if (sos) {
    const counted = sos.lifetimeCounters.map((c) => `${c.name}${c.side === 'kernel' ? ' (kernel)' : ''} rx ${c.rxPackets ?? '?'} tx ${c.txPackets ?? '?'}`)
    const lines = [
      `input is a sosreport (sos ${sos.sosVersion ?? 'version unknown'}): one snapshot, no load window`,
      ...(sos.absent.length > 0 ? [`absent from the sosreport: ${sos.absent.join('; ')}`] : []),
      ...(counted.length > 0 ? [`packets since boot/OVS start (evidence, not a window${sos.uptime ? `; ${sos.uptime}` : ''}): ${counted.join(', ')}`] : []),
    ]
    for (const line of lines) out.push(...wrap(line, width, '', '  ').map(style.dim))
  }
  return out
}

/** Thresholds in parentheses ("(warn > 1 %, fail > 10 %)") belong to the evidence, not the story. */
export function withoutThresholds(message: string): string {
  return message.replace(/\s*\((?:warn|fail|expected)\b[^)]*\)/g, '').replace(/\s*\([^)]*ACKs[^)]*\)/g, '')
}

/** The root cause in full, with the rules that say the same of its subject. */
function rootLines(f: Finding, alsoBy: string[], style: Style, width: number): string[] {
  const tag = style.dim(`(${[f.ruleId, ...alsoBy].join(', ')})`)
  return wrap(`${severityLabel(f.severity, style)} ${f.message} ${tag}`, width, '  ', '    ')
}

/** A symptom, consequence or unrelated finding by what was observed; same-subject ones of one role on one line. */
function itemLines(group: Finding[], role: StoryRole, style: Style, width: number): string[] {
  const [f, ...more] = group
  const labelled = role === 'unrelated' || role === 'limit'
  const label = labelled ? `${severityLabel(f!.severity, style)} ` : ''
  const text = labelled ? f!.message : withoutThresholds(observation(f!.message))
  const also = more.length > 0 ? style.dim(` (+${more.length})`) : ''
  return wrap(`${label}${text}${also}${labelled || role === 'info' ? ` ${style.dim(`(${f!.ruleId})`)}` : ''}`, width, '  - ', '    ')
}

function storySection(d: Diagnosis, style: Style, width: number, verbose: boolean): string[] {
  const out: string[] = []
  const entries = d.story.entries
  for (const role of ['root-cause', 'symptom', 'consequence', 'unrelated', 'limit', 'info'] as StoryRole[]) {
    const mine = entries.filter((e) => e.role === role)
    if (mine.length === 0) continue
    // Behind a root cause the fast path's limits are for after the fix: told under --verbose (their
    // advice is among the Fix section's "more for the consequences").
    if (role === 'limit' && !verbose && mine.every((e) => e.explainedBy !== null)) continue
    // One blank line before the story; its parts follow each other under their titles.
    out.push(...(out.length === 0 ? [''] : []), style.bold(ROLE_TITLES[role]))
    if (role === 'root-cause') {
      for (const e of mine.filter((x) => x.explainedBy === null)) {
        const f = findingOf(d.findings, e)
        if (!f) continue
        const same = mine.filter((x) => x.explainedBy?.ruleId === e.ruleId && x.explainedBy.subject === e.subject)
        out.push(...rootLines(f, verbose ? same.map((x) => x.ruleId) : [], style, width))
        if (verbose) for (const x of same) out.push(...wrap(findingOf(d.findings, x)?.message ?? '', width, '    with it: ', '      '))
      }
      continue
    }
    // Consequences and symptoms of one subject read as one line unless --verbose.
    const groups: Finding[][] = []
    for (const e of mine) {
      const f = findingOf(d.findings, e)
      if (!f) continue
      const g = !verbose && role === 'consequence' ? groups.find((x) => x[0]!.subject === f.subject) : undefined
      if (g) g.push(f)
      else groups.push([f])
    }
    for (const g of groups) out.push(...(verbose ? wrap(`${g[0]!.message} ${style.dim(`(${g[0]!.ruleId})`)}`, width, '  - ', '    ') : itemLines(g, role, style, width)))
  }
  return out
}

function evidenceSection(d: Diagnosis, style: Style, width: number): string[] {
  const out: string[] = ['', style.bold('Evidence')]
  for (const entry of d.story.entries) {
    const f = findingOf(d.findings, entry)
    if (!f) continue
    out.push(`  ${f.ruleId} (${f.subject})`)
    for (const line of evidenceLines(f.evidence)) out.push(...wrap(line, width, '    ', '      '))
  }
  return out
}

/** A share for the table; above 100 % it is marked, and explained under the table. */
function shareCell(share: number | null): string {
  if (share === null) return '-'
  return share > 1.005 ? `${percent(share)}*` : percent(Math.min(share, 1))
}

function trafficSection(d: Diagnosis, style: Style, width: number, verbose: boolean): string[] {
  const a = d.attribution
  const w = d.window
  // With OVS unreachable there is nothing to attribute; the verdict already says why.
  if (!a || !w || (d.verdict.kind === 'unknown' && a.reference === 'none')) return []
  const rate = (p: (typeof a.paths)[number]) => {
    if (p.bytesPerSec) return verbose ? `${bits(p.bytesPerSec.mean * 8)} ±${bits(p.bytesPerSec.stddev * 8)}` : bits(p.bytesPerSec.mean * 8)
    return w.durationS > 0 ? bits(((p.rxBytes + p.txBytes) * 8) / w.durationS) : '-'
  }
  const rows = a.paths.map((p) => [
    p.name, verbose && p.detail ? `${p.class} (${p.detail})` : p.class, `${int(p.rxPackets)} / ${int(p.txPackets)}`,
    bytes(p.rxBytes + p.txBytes), shareCell(p.byteShare), shareCell(p.packetShare), rate(p),
  ])
  const cols = [
    {head: 'Path', flexible: true}, {head: 'Class', flexible: true, drop: 1}, {head: 'Packets rx / tx', right: true, drop: 3}, {head: 'Bytes', right: true},
    {head: '% bytes', right: true}, {head: '% pkts', right: true, drop: 2}, {head: 'Rate', right: true},
  ]
  const over = a.paths.some((p) => (p.byteShare ?? 0) > 1.005 || (p.packetShare ?? 0) > 1.005)
  // Over 100 %: the kernel path carries its own ACKs and ARP, which the VMs' ports never count.
  const star = over ? "; * with the kernel's own ACKs and ARP" : ''
  const samples = verbose ? `${w.samples} samples; ` : ''
  const out = ['', ...wrap(style.bold(`Traffic in the ${w.durationS.toFixed(1)} s window`) + ` (${samples}shares ${REFERENCE_WORDS[a.reference]}${star})`, width, '', '  ')]
  out.push(...columns(cols, rows, width, style.bold))
  return out
}

/** PMD threads and the load's own result: one line by default, the details under --verbose. */
function pmdAndLoadLines(d: Diagnosis, width: number, verbose: boolean): string[] {
  const parts: string[] = []
  if (d.pmds && d.pmds.length > 0 && d.window) {
    const pmds = d.pmds.map((p) => `core ${p.coreId ?? '?'} ${p.busyPct === null ? '?' : p.busyPct.toFixed(0)} % busy${verbose ? `, ${int(p.packets)} packets` : ''}`)
    // Window deltas, never the counters since the last clear (a "99 % idle" from a week of idling).
    parts.push(`PMD ${pmds.join('; ')} (window counters)`)
    if (d.mainThreadPackets) parts.push(`main thread ${int(d.mainThreadPackets)} packets`)
  }
  if (d.load) {
    const l = d.load
    const tool = l.argv.find((x) => /iperf3$/.test(x)) ?? l.argv[0] ?? 'load'
    const result = l.bitsPerSecond !== null ? `${bits(l.bitsPerSecond)}${verbose ? `, ${bytes(l.bytes)}` : ''}` : 'no iperf3 result'
    const extra = `${l.retransmits !== null ? `, ${int(l.retransmits)} retransmits` : ''}${l.exitCode !== 0 ? `, exit ${l.exitCode ?? '?'}` : ''}`
    parts.push(verbose ? `load ${result}${extra} (${l.argv.join(' ')})` : `${tool}: ${result}${extra}`)
  }
  return parts.length > 0 ? wrap(parts.join('; '), width, '  ', '    ') : []
}

/** A step as the report shows it: its action without the parenthetical the plan adds. */
const shortWhat = (what: string) => what.replace(/\s*\(.*\)$/, '')

/** A plan step on one line when it fits, else its command under it. */
function stepLines(s: Diagnosis['fixPlan']['steps'][number], whatWidth: number, width: number, style: Style): string[] {
  const what = shortWhat(s.what)
  for (const w of [whatWidth, what.length]) {
    const line = `  ${s.id.padEnd(4)}${what.padEnd(w)}  ${s.command}`
    if (line.length <= width) return [`  ${s.id.padEnd(4)}${what.padEnd(w)}  ${style.bold(s.command)}`]
  }
  return [...wrap(what, width, `  ${s.id.padEnd(4)}`, '      '), ...wrap(style.bold(s.command), width, '      $ ', '        ')]
}

/** Advice for findings the root cause explains waits until after the fix: it may not be needed then. */
function adviceLines(d: Diagnosis, style: Style, width: number, verbose: boolean): string[] {
  const explained = new Set(d.story.entries.filter((e) => e.explainedBy !== null).map((e) => `${e.ruleId} ${e.subject}`))
  const deferred = new Set(
    d.findings.filter((f) => explained.has(`${f.ruleId} ${f.subject}`)).flatMap((f) => f.fixes.flatMap((a) => (a.kind === 'manual' ? [a.text] : []))),
  )
  const now = d.fixPlan.advice.filter((a) => !deferred.has(a))
  const later = d.fixPlan.advice.filter((a) => deferred.has(a))
  const out = now.flatMap((a) => wrap(a, width, '  - ', '    '))
  if (later.length > 0 && verbose) out.push('  If the consequences remain after the fix:', ...later.flatMap((a) => wrap(a, width, '    - ', '      ')))
  else if (later.length > 0) out.push(...wrap(`(${later.length} more for the consequences, if they remain after the fix: --verbose)`, width, '  ', '   ').map(style.dim))
  return out
}

function fixSection(d: Diagnosis, style: Style, width: number, verbose: boolean): string[] {
  const f = d.fixPlan
  const fixSteps = f.steps.filter((s) => !s.tuning)
  const tuningSteps = f.steps.filter((s) => s.tuning)
  if (fixSteps.length + f.advice.length + f.guest.length + tuningSteps.length + f.tuning.length === 0) return []
  const out: string[] = []
  const from = d.input.mode === 'bundle' ? ` --from ${d.input.bundle}` : d.host.netns ? ` --netns ${d.host.netns}` : ''
  // The widest action that still leaves its command on the same line sets the column.
  const oneLiners = f.steps.filter((s) => 8 + shortWhat(s.what).length + s.command.length <= width)
  const whatWidth = Math.max(0, ...oneLiners.map((s) => shortWhat(s.what).length))
  if (fixSteps.length > 0 || f.guest.length > 0 || f.advice.length > 0) {
    out.push('', ...wrap(style.bold('Fix') + style.dim(` (the plan \`dpdk-doctor fix${from}\` shows)`), width, '', '  '))
    for (const s of fixSteps) out.push(...stepLines(s, whatWidth, width, style))
    // The plan's reasoning (which subnet, which MAC) is --verbose; the action is the fix.
    for (const g of f.guest) out.push(...wrap(verbose ? g : g.replace(/;\s.*$/, '').replace(/\s*\([^)]*\)/g, ''), width, '  - ', '    '))
    out.push(...adviceLines(d, style, width, verbose))
    if (f.ipChangesAreRuntime) out.push(...wrap('The ip changes last until reboot unless the network config is edited too (see `fix` on the host).', width, '  ', '  ').map(style.dim))
  }
  if (tuningSteps.length + f.tuning.length > 0) {
    out.push('', style.bold('Tuning') + style.dim(' (info, optional, apart from the fix)'))
    for (const s of tuningSteps) out.push(...stepLines(s, whatWidth, width, style))
    for (const t of f.tuning) out.push(...wrap(t, width, '  - ', '    '))
  }
  return out
}

/** Rules that could not decide and the warnings: why, under --verbose. */
function verboseTail(d: Diagnosis, style: Style, width: number): string[] {
  const out: string[] = []
  for (const r of d.rules.filter((x) => x.status === 'unknown')) out.push(...wrap(`could not decide ${r.ruleId}: ${r.reason}`, width, '', '  ').map(style.dim))
  for (const w of d.warnings) out.push(...wrap(`warning: ${w}`, width, '', '  ').map(style.yellow))
  return out
}

/** The status word, what was collected, and what could not be decided. */
function coverageLines(d: Diagnosis, style: Style, width: number, verbose: boolean): string[] {
  const c = d.coverage
  const missing = [...new Set(c.notOk.map((n) => `${n.id} (${n.parseError ? 'unparseable' : n.status})`))]
  const notOk = missing.length > 0 ? `; not collected: ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? `, and ${missing.length - 4} more` : ''}` : ''
  const unknown = d.rules.filter((r) => r.status === 'unknown').length
  const untold = [unknown > 0 ? `${unknown} rule(s) could not decide` : null, d.warnings.length > 0 ? `${d.warnings.length} warning(s)` : null].filter(Boolean)
  const more = untold.length > 0 && !verbose ? style.dim(`; ${untold.join(', ')} (--verbose says why)`) : ''
  return wrap(`Sources: collected ${c.collected}/${c.total}${notOk}${more}`, width, '', '  ')
}

export function renderDiagnosis(raw: Diagnosis, style: Style, opts: ReportOptions = {}): string {
  // Every string of the diagnosis may come from the host or a bundle: escaped before it reaches a terminal.
  const d = printableDeep(raw)
  const width = Math.max(40, opts.width ?? DEFAULT_WIDTH)
  const verbose = opts.verbose ?? false
  const out = [...header(d, style, width), ...storySection(d, style, width, verbose)]
  if (verbose && d.findings.length > 0) out.push(...evidenceSection(d, style, width))
  out.push(...trafficSection(d, style, width, verbose), ...pmdAndLoadLines(d, width, verbose))
  out.push(...fixSection(d, style, width, verbose))
  out.push(...(verbose ? ['', ...verboseTail(d, style, width)] : []), ...coverageLines(d, style, width, verbose))
  return out.join('\n')
}
