/**
 * Human output of fix: the plan as a table with the exact argv, the guest files, the persistence
 * edits and the alternatives; the results of apply, confirm and rollback; the before/after table.
 */
import Table from 'cli-table3'
import {bits, int} from '../report/format.js'
import type {Style} from '../report/style.js'
import type {ApplyResult, BeforeAfter, ConfirmResult, FixPlan, RollbackResult} from './types.js'
import {printableDeep} from '../util/printable.js'

/** The guest documents are ours and multi-line; every other string is escaped on one line. */
const MULTILINE = new Set(['networkConfig'])

function table(head: string[], style: Style, colWidths?: number[]): Table.Table {
  return new Table({head: head.map((h) => style.bold(h)), style: {head: [], border: [], compact: false}, wordWrap: true, ...(colWidths ? {colWidths} : {})})
}

const argvText = (argv: string[] | null) => (argv ? argv.join(' ') : '(none: irreversible)')

export function renderPlan(raw: FixPlan, style: Style, width = 120): string {
  // Names, routes and messages in a plan come from the host or a bundle: escaped for the terminal.
  const plan = printableDeep(raw, MULTILINE)
  const out: string[] = []
  const where = plan.host.netns ? `namespace ${plan.host.netns} on ${plan.host.hostname ?? 'this host'}` : (plan.host.hostname ?? 'this host')
  out.push(style.bold(`Fix plan ${plan.id} for ${where}`) + (plan.source.mode === 'bundle' ? ` (from bundle ${plan.source.bundle})` : ''))
  out.push(plan.verdict.text)
  if (plan.steps.length === 0 && plan.verdict.kind === 'unknown') {
    out.push('', style.yellow('Could not judge the host, so nothing is planned (exit 3): run dpdk-doctor diagnose to see which sources failed.'))
  } else if (plan.steps.length === 0) {
    out.push('', style.green('Nothing to change on the host.'))
  } else {
    const w = Math.max(100, width)
    const t = table(['step', 'what and why', 'command', 'undo', 'risk / management'], style, [6, Math.floor(w * 0.26), Math.floor(w * 0.26), Math.floor(w * 0.22), Math.floor(w * 0.16)])
    for (const s of plan.steps) {
      const impact = s.managementImpact === 'none' ? 'none' : s.managementImpact === 'breaks' ? style.red(`BREAKS: ${s.impactReason}`) : style.yellow('unknown (see the management path below)')
      const also = s.alsoRemoves.length > 0 ? `\nthe kernel also removes: ${s.alsoRemoves.join('; ')}` : ''
      t.push([s.id, `${s.what}\nwhy: ${s.why.join('; ')}${also}`, argvText(s.argv), argvText(s.inverseArgv), `${s.risk}${s.reversible ? '' : ', irreversible'}\n${impact}`])
    }
    out.push('', style.bold('Host steps (one at a time; never `ip addr flush`):'), t.toString())
    out.push('', style.bold('Before -> after:'))
    for (const d of plan.diff) {
      out.push(`  ${d.ifname}: addresses ${d.before.addresses.join(', ') || 'none'} -> ${d.after.addresses.join(', ') || 'none'}`)
      const gone = d.before.routes.filter((r) => !d.after.routes.includes(r))
      if (gone.length > 0) out.push(`    routes that go: ${gone.join('; ')}`)
    }
  }
  if (plan.guest.length > 0) {
    out.push('', style.bold('Guest side (the host cannot apply it; cloud-init network-config v2):'))
    for (const g of plan.guest) {
      out.push(`  ${g.port}: ${g.note}${g.file ? `\n    written to ${g.file}` : ''}`)
      if (g.networkConfig && !g.file) out.push(g.networkConfig.split('\n').filter(Boolean).map((l) => `      ${l}`).join('\n'))
    }
  }
  if (plan.persistence.length > 0) {
    out.push('', style.bold('Persistence: these would put the addresses back at boot (apply edits them only with --persist):'))
    for (const e of plan.persistence) {
      out.push(`  ${e.file}:${e.line} (${e.kind}) ${e.why}`, `    - ${e.text.trim()}`, e.replacement === null ? '    (delete the line)' : `    + ${e.replacement.trim()}`)
    }
  }
  if (plan.manual.length > 0) out.push('', style.bold('Also (by hand):'), ...plan.manual.map((m) => `  - ${m}`))
  if (plan.alternatives.length > 0) {
    out.push('', style.bold('Alternatives, and what they cost:'))
    for (const a of plan.alternatives) out.push(`  - ${a.name}: ${a.how}.`, `    Cost: ${a.cost}`)
  }
  const p = plan.protected
  out.push('', style.bold('Management path:') + ` ${p.sessions.length} SSH session(s)${p.sessions.length ? ` (${p.sessions.map((s) => `${s.client} -> ${s.server} via ${s.serverDev ?? 'another namespace'}`).join(', ')})` : ''}; default routes: ${p.defaultRoutes.join('; ') || 'none'}${p.complete ? '' : `; incomplete: ${p.unknownReason}`}`)
  for (const w of plan.warnings) out.push(style.yellow(`warning: ${w}`))
  if (plan.steps.length > 0) out.push('', `Apply: dpdk-doctor fix --apply${plan.host.netns ? ` --netns ${plan.host.netns}` : ''}  (journaled; reverted after --confirm-timeout unless confirmed)`)
  return out.join('\n')
}

export function renderLoads(raw: BeforeAfter, style: Style): string {
  const loads = printableDeep(raw)
  const t = table(['', 'before', 'after'], style)
  const cell = (f: BeforeAfter['before'], pick: (x: NonNullable<BeforeAfter['before']>) => string) => (f ? pick(f) : '-')
  t.push(['throughput', cell(loads.before, (f) => bits(f.bitsPerSecond)), cell(loads.after, (f) => bits(f.bitsPerSecond))])
  t.push(['dpdk0 packets', cell(loads.before, (f) => int(f.dpdkPackets)), cell(loads.after, (f) => int(f.dpdkPackets))])
  t.push(['kernel NIC packets', cell(loads.before, (f) => int(f.kernelNicPackets)), cell(loads.after, (f) => int(f.kernelNicPackets))])
  t.push(['PMD busy %', cell(loads.before, (f) => (f.pmdBusyPct === null ? '-' : `${f.pmdBusyPct.toFixed(1)} %`)), cell(loads.after, (f) => (f.pmdBusyPct === null ? '-' : `${f.pmdBusyPct.toFixed(1)} %`))])
  t.push(['verdict', cell(loads.before, (f) => f.verdict), cell(loads.after, (f) => f.verdict)])
  return t.toString()
}

export function renderApply(raw: ApplyResult, style: Style): string {
  const r = printableDeep(raw, MULTILINE)
  const out: string[] = []
  const head = r.status === 'applied' ? style.green(r.message) : r.status === 'no-changes' ? r.message : style.red(r.message)
  out.push(head)
  if (r.status !== 'no-changes') {
    const t = table(['step', 'status', 'command'], style)
    for (const s of r.steps) t.push([s.id, s.status + (s.stderr ? `: ${s.stderr}` : ''), s.argv.join(' ')])
    out.push(t.toString())
  }
  if (r.loads) out.push('', style.bold('Under load, before and after:'), renderLoads(r.loads, style))
  const files = r.guest.filter((g) => g.file)
  if (r.status === 'applied' && r.guest.length > 0) {
    out.push('', style.bold('Now the guest side:'), ...r.guest.map((g) => `  ${g.port}: ${g.note}${g.file ? ` (${g.file})` : ''}`))
    if (files.length === 0) out.push('  (write the files with --guest-config-dir DIR)')
  }
  if (r.persisted.length > 0) out.push('', `persisted: edited ${r.persisted.join(', ')} (a rollback restores them)`)
  if (r.confirmed) out.push(style.green(`confirmed: ${r.id} stays`))
  for (const w of r.warnings) out.push(style.yellow(`warning: ${w}`))
  return out.join('\n')
}

export function renderRollback(raw: RollbackResult, style: Style): string {
  const r = printableDeep(raw)
  const out = [r.status === 'rollback-failed' ? style.red(r.message) : r.status === 'rolled-back' ? style.green(r.message) : r.message]
  for (const c of r.commands) out.push(`  ${c.status}: ${c.argv.join(' ')}${c.stderr ? ` (${c.stderr})` : ''}`)
  return out.join('\n')
}

export function renderConfirm(raw: ConfirmResult, style: Style): string {
  const r = printableDeep(raw)
  const out = [style.green(r.message)]
  if (r.loads) out.push('', style.bold('Under load, before and after:'), renderLoads(r.loads, style))
  return out.join('\n')
}
