/**
 * Table-driven rule tests: each case must fire (with the given subjects) or stay quiet.
 * Runs through the engine, so a missing input yields unknown exactly as in production.
 */
import {expect} from 'vitest'
import {runRule} from '../../src/engine/run.js'
import type {Rule, RuleResult} from '../../src/engine/types.js'
import type {HostState} from '../../src/model/host-state.js'
import type {LoadWindow} from '../../src/window/types.js'

export interface Case {
  state?: HostState
  window?: LoadWindow | null
  thresholds?: Record<string, number>
}

export function run(rule: Rule, c: Case): RuleResult {
  const state = c.state ?? c.window?.during
  if (!state) throw new Error('a case needs a state or a window')
  return runRule(rule, {state, window: c.window ?? null, thresholds: c.thresholds ? {[rule.meta.id]: c.thresholds} : undefined})
}

/** Asserts the rule fails with findings about exactly these subjects; returns the result. */
export function expectFires(rule: Rule, c: Case, subjects: string[]): RuleResult {
  const result = run(rule, c)
  expect(result.status, result.reason ?? '').toBe('fail')
  expect(result.findings.map((f) => f.subject).sort()).toEqual([...subjects].sort())
  for (const f of result.findings) {
    expect(f.message.length).toBeGreaterThan(0)
    expect(Object.keys(f.evidence).length).toBeGreaterThan(0)
  }
  return result
}

/** Asserts the rule passes (or is not applicable) without findings. */
export function expectQuiet(rule: Rule, c: Case, status: 'pass' | 'not-applicable' = 'pass'): RuleResult {
  const result = run(rule, c)
  expect(result.findings).toEqual([])
  expect(result.status, result.reason ?? '').toBe(status)
  return result
}

export function expectUnknown(rule: Rule, c: Case): RuleResult {
  const result = run(rule, c)
  expect(result.status).toBe('unknown')
  expect(result.findings).toEqual([])
  return result
}
