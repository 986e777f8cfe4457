/** Rendering of the rule catalogue: `rules`, `rules explain`, and docs/rules.md. */
import Table from 'cli-table3'
import type {RuleMeta} from '../engine/types.js'
import type {Style} from './style.js'

export function renderRuleList(rules: RuleMeta[], style: Style): string {
  const t = new Table({head: ['Rule', 'Severity', 'Group', 'Kind', 'Title'].map((h) => style.bold(h)), style: {head: [], border: []}})
  for (const r of rules) t.push([r.id, r.severity, r.group, r.kind, r.title])
  return `${t.toString()}\n${rules.length} rules; \`dpdk-doctor rules explain <id>\` explains one.`
}

function thresholdLines(meta: RuleMeta): string[] {
  const entries = Object.entries(meta.thresholds)
  return entries.length === 0 ? ['  (none)'] : entries.map(([k, v]) => `  ${k} = ${v}`)
}

const NO_USERSPACE_NOTE = 'On a host without an OVS userspace datapath (no netdev bridge, no DPDK or vhost-user port, dpdk-init not requested) it is not applicable.'

export function renderRuleExplain(meta: RuleMeta, style: Style): string {
  return [
    `${style.bold(meta.id)}: ${meta.title}`,
    `severity ${meta.severity}, ${meta.kind === 'window' ? 'needs a load window (--load or --during)' : 'judged on a snapshot'}, group ${meta.group}, field catalogue ${meta.field}`,
    '',
    style.bold('Applies to'),
    `  ${meta.appliesTo} ${NO_USERSPACE_NOTE}`,
    '',
    style.bold('Why it matters'),
    `  ${meta.rationale}`,
    '',
    style.bold('Reads'),
    `  ${meta.inputs.join(', ') || '(no source)'}  (missing any of them makes the rule unknown, never passed)`,
    '',
    style.bold('Thresholds'),
    ...thresholdLines(meta),
    '',
    style.bold('Fix'),
    `  ${meta.remediation}`,
  ].join('\n')
}

/** docs/rules.md, generated from the registry (a test checks it is fresh). */
export function renderRulesMarkdown(rules: RuleMeta[]): string {
  const lines = [
    '# Rules',
    '',
    'Generated from the registry (`rules/index.ts`) by `npm run docs:rules`; a test fails when it is stale.',
    'Each rule reports `fail` (with findings), `pass`, `not-applicable`, or `unknown` when an input it reads is missing.',
    'Every rule judges the OVS userspace (netdev) datapath. On a host without one (no netdev bridge, no DPDK or vhost-user port, dpdk-init not requested: a kernel-datapath host) every rule is `not-applicable` and the verdict is `no-userspace-datapath` (exit 0). "Applies to" says where each rule can judge.',
    '',
    '| Rule | Severity | Group | Kind | Title |',
    '|---|---|---|---|---|',
    ...rules.map((r) => `| [\`${r.id}\`](#${r.id}) | ${r.severity} | ${r.group} | ${r.kind} | ${r.title} |`),
    '',
  ]
  for (const r of rules) {
    lines.push(
      `## ${r.id}`,
      '',
      `**${r.title}** (${r.severity}, ${r.kind}, FIELD ${r.field})`,
      '',
      r.rationale,
      '',
      `- Applies to: ${r.appliesTo}`,
      `- Reads: ${r.inputs.map((i) => `\`${i}\``).join(', ') || 'nothing'}`,
      `- Thresholds: ${Object.entries(r.thresholds).map(([k, v]) => `\`${k}\` = ${v}`).join(', ') || 'none'}`,
      `- Fix: ${r.remediation}`,
      '',
    )
  }
  return lines.join('\n')
}
