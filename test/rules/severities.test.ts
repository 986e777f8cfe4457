/**
 * `rules` shows each rule's possible severities: the table in rules/lib/severities.ts must match the
 * severity literals each rule's check can emit (read from its source), and explain must cite only
 * documents a user has.
 */
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {RULES} from '../../rules/index.js'
import {possibleSeverities} from '../../rules/lib/severities.js'
import {renderRuleExplain, renderRuleList, renderRulesMarkdown} from '../../src/report/rules.js'
import {makeStyle} from '../../src/report/style.js'

const ORDER = ['critical', 'warning', 'info']

describe('possible severities', () => {
  it.each(RULES.map((r) => [r.meta.id, r.meta.severity] as const))('%s: the table lists what the check can emit', (id, severity) => {
    const source = readFileSync(`rules/${id}.ts`, 'utf8')
    const check = source.slice(Math.max(0, source.indexOf('check(')))
    const emitted = new Set([severity, ...[...check.matchAll(/'(critical|warning|info)'/g)].map((m) => m[1]!)])
    expect(possibleSeverities(id, severity)).toEqual([...emitted].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b)))
  })
  it('rules lists them', () => {
    const text = renderRuleList(RULES.map((r) => r.meta), makeStyle(false))
    expect(text).toMatch(/kernel-nic-carries-load\s+│\s+critical, warning/)
  })
})

describe('explain cites only what a user has', () => {
  it.each(RULES.map((r) => [r.meta.id, r.meta] as const))('%s', (_id, meta) => {
    const text = renderRuleExplain(meta, makeStyle(false))
    expect(text).not.toMatch(/LAB\.md|FIELD|field catalogue|\bseed\b|§|\(\s*\)/)
  })
  it('and so does docs/rules.md', () => {
    expect(renderRulesMarkdown(RULES.map((r) => r.meta))).not.toMatch(/LAB\.md|FIELD|\bseed\b|§/)
  })
})
