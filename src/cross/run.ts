/** Runs the cross-host rules on two sides; a missing side makes each unknown with the reason. */
import {CROSS_RULES} from '../../rules/cross/index.js'
import type {Finding} from '../engine/types.js'
import type {CrossResult, CrossRule, CrossSide} from './types.js'

const ORDER = {critical: 0, warning: 1, info: 2} as const

export function runCrossRules(a: CrossSide | null, b: CrossSide | null, missing: string | null, rules: readonly CrossRule[] = CROSS_RULES): {results: CrossResult[]; findings: Finding[]} {
  const results = rules.map((rule): CrossResult => {
    const base = {ruleId: rule.meta.id, severity: rule.meta.severity, findings: [] as Finding[]}
    if (!a || !b) return {...base, status: 'unknown', reason: missing ?? 'needs two hosts'}
    if (rule.meta.kind === 'window' && (!a.window || !b.window)) return {...base, status: 'unknown', reason: 'needs a load window on both hosts (--load or --during)'}
    let outcome
    try {
      outcome = rule.check({a, b, thresholds: rule.meta.thresholds})
    } catch (error) {
      return {...base, status: 'unknown', reason: `rule failed: ${(error as Error).message}`}
    }
    if ('unknown' in outcome) return {...base, status: 'unknown', reason: outcome.unknown}
    if ('notApplicable' in outcome) return {...base, status: 'not-applicable', reason: outcome.notApplicable}
    const findings = outcome.findings.map((f) => ({ruleId: rule.meta.id, severity: f.severity ?? rule.meta.severity, subject: f.subject, message: f.message, evidence: f.evidence, fixes: f.fixes}))
    return {...base, status: findings.length > 0 ? 'fail' : 'pass', reason: null, findings}
  })
  const findings = results.flatMap((r) => r.findings).sort((x, y) => ORDER[x.severity] - ORDER[y.severity] || x.ruleId.localeCompare(y.ruleId) || x.subject.localeCompare(y.subject))
  return {results, findings}
}
