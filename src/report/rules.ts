/** Rendering of the rule catalogue: `rules`, `rules explain`, and docs/rules.md. */
import Table from 'cli-table3'
import type {RuleMeta} from '../engine/types.js'
import {possibleSeverities} from '../../rules/lib/severities.js'
import type {Style} from './style.js'

/**
 * A rationale as a user reads it: without the project's internal references (the FIELD catalogue
 * and its sections, LAB.md, "the seed case"), which name documents a user does not have.
 */
export function userFacingText(text: string): string {
  return text
    .replace(/FIELD's proposed/g, 'a proposed')
    .replace(/;?\s*FIELD\s+(?:[A-G]\d+)?(?:,?\s*§[\d.\-]+)*/g, '')
    .replace(/;?\s*§[\d.\-]+/g, '')
    .replace(/\s*\(LAB\.md section \d+\)/g, '')
    .replace(/LAB\.md section \d+;\s*/g, '')
    .replace(/\bthe seed case\b/g, 'a reported case')
    .replace(/\bIn the seed case\b/g, 'In a reported case')
    .replace(/\bin the seed case\b/g, 'in a reported case')
    .replace(/\bIn the seed lab\b/g, "In the project's lab reproduction")
    .replace(/\(\s*[;,]\s*/g, '(')
    .replace(/\s*[;,]\s*\)/g, ')')
    .replace(/\s*\(\s*\)/g, '')
    .replace(/ {2,}/g, ' ')
    .trim()
}

const severitiesOf = (r: RuleMeta) => possibleSeverities(r.id, r.severity).join(', ')

export function renderRuleList(rules: RuleMeta[], style: Style): string {
  const t = new Table({head: ['Rule', 'Severities', 'Group', 'Kind', 'Title'].map((h) => style.bold(h)), style: {head: [], border: []}})
  for (const r of rules) t.push([r.id, severitiesOf(r), r.group, r.kind, r.title])
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
    `severity ${severitiesOf(meta)}${possibleSeverities(meta.id, meta.severity).length > 1 ? ` (by what was observed; default ${meta.severity})` : ''}, ${meta.kind === 'window' ? 'needs a load window (--load or --during)' : 'judged on a snapshot'}, group ${meta.group}`,
    '',
    style.bold('Applies to'),
    `  ${meta.appliesTo} ${NO_USERSPACE_NOTE}`,
    '',
    style.bold('Why it matters'),
    `  ${userFacingText(meta.rationale)}`,
    '',
    style.bold('Reads'),
    `  ${meta.inputs.join(', ') || '(no source)'}  (missing any of them makes the rule unknown, never passed)`,
    '',
    style.bold('Thresholds'),
    ...thresholdLines(meta),
    '',
    style.bold('Fix'),
    `  ${userFacingText(meta.remediation)}`,
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
    '| Rule | Severities | Group | Kind | Title |',
    '|---|---|---|---|---|',
    ...rules.map((r) => `| [\`${r.id}\`](#${r.id}) | ${severitiesOf(r)} | ${r.group} | ${r.kind} | ${r.title} |`),
    '',
  ]
  for (const r of rules) {
    lines.push(
      `## ${r.id}`,
      '',
      `**${r.title}** (${severitiesOf(r)}, ${r.kind})`,
      '',
      userFacingText(r.rationale),
      '',
      `- Applies to: ${r.appliesTo}`,
      `- Reads: ${r.inputs.map((i) => `\`${i}\``).join(', ') || 'nothing'}`,
      `- Thresholds: ${Object.entries(r.thresholds).map(([k, v]) => `\`${k}\` = ${v}`).join(', ') || 'none'}`,
      `- Fix: ${userFacingText(r.remediation)}`,
      '',
    )
  }
  return lines.join('\n')
}
