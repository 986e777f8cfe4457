/**
 * Registry parity (ESLint's checkRuleFiles): every file in rules/ is registered once, sorted, named
 * after its id, fully described, tested, and in docs/rules.md and the README.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {renderRulesMarkdown} from '../../src/report/rules.js'
import {BYPASS_RULES} from '../../src/diagnose/verdict.js'
import {RULES} from '../../rules/index.js'

const files = readdirSync('rules').filter((f) => f.endsWith('.ts') && f !== 'index.ts').map((f) => f.slice(0, -3))
const ids = RULES.map((r) => r.meta.id)

describe('rule registry', () => {
  it('registers every rule file exactly once, and nothing else', () => {
    expect([...ids].sort()).toEqual([...files].sort())
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('is sorted by id', () => {
    expect(ids).toEqual([...ids].sort())
  })

  it('has the kernel-bypass family with the contract ids, and at least 25 rules', () => {
    for (const id of BYPASS_RULES) expect(ids).toContain(id)
    expect(ids.length).toBeGreaterThanOrEqual(25)
  })

  it.each(RULES.map((r) => [r.meta.id, r] as const))('%s: complete metadata, a test file, docs', (id, rule) => {
    const m = rule.meta
    expect(m.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
    expect(m.title.length).toBeGreaterThan(5)
    expect(m.rationale.length).toBeGreaterThan(40)
    expect(m.remediation.length).toBeGreaterThan(10)
    expect(['critical', 'warning', 'info']).toContain(m.severity)
    expect(['snapshot', 'window']).toContain(m.kind)
    expect(m.field).toMatch(/^[A-G]\d+/)
    for (const [k, v] of Object.entries(m.thresholds)) expect(Number.isFinite(v), k).toBe(true)
    expect(existsSync(`test/rules/${id}.test.ts`), `test/rules/${id}.test.ts`).toBe(true)
  })

  it('docs/rules.md is generated from the registry and fresh (npm run docs:rules)', () => {
    expect(readFileSync('docs/rules.md', 'utf8')).toBe(renderRulesMarkdown(RULES.map((r) => r.meta)))
  })

  it('the README lists every rule', () => {
    const readme = readFileSync('README.md', 'utf8')
    const listed = [...readme.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1])
    expect(listed.sort()).toEqual([...ids].sort())
  })
})
