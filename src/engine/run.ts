/**
 * The rule engine: decides whether a rule can run (its inputs were read), runs it, and orders the
 * results. A rule whose inputs are missing is unknown, never passed.
 */
import {userspaceDatapath} from '../model/datapath.js'
import type {UserspaceDatapath} from '../model/datapath.js'
import {hasSource} from '../model/host-state.js'
import type {HostState} from '../model/host-state.js'
import type {LoadWindow} from '../window/types.js'
import type {Finding, Rule, RuleResult, Severity, UnknownCause} from './types.js'

export interface EngineInput {
  state: HostState
  window: LoadWindow | null
  /** Per-rule threshold overrides: {"kernel-nic-carries-load": {"failShare": 0.2}}. */
  thresholds?: Record<string, Record<string, number>>
}

const SEVERITY_ORDER: Record<Severity, number> = {critical: 0, warning: 1, info: 2}

/** Inputs a rule needs that are missing, looked up in the samples the rule reads. */
export function missingInputs(rule: Rule, input: EngineInput): string[] {
  const samples = rule.meta.kind === 'window' && input.window ? [input.window.before, input.window.during] : [input.state]
  return rule.meta.inputs.filter((id) => samples.some((s) => !hasSource(s, id)))
}

export function runRule(rule: Rule, input: EngineInput, datapath: UserspaceDatapath = userspaceDatapath(input.state)): RuleResult {
  const {meta} = rule
  const base = {ruleId: meta.id, group: meta.group, severity: meta.severity, findings: []}
  const unknown = (unknownCause: UnknownCause, reason: string): RuleResult => ({...base, status: 'unknown', reason, unknownCause})
  // Every rule judges the userspace datapath: on a host without one there is nothing to judge.
  if (datapath.present === false) {
    return {...base, status: 'not-applicable', reason: `no OVS userspace datapath on this host (${datapath.reason})`, unknownCause: null}
  }
  if (meta.kind === 'window' && !input.window) return unknown('needs-window', 'needs a load window (diagnose --load or --during)')
  const missing = missingInputs(rule, input)
  if (missing.length > 0) return unknown('missing-input', `missing input: ${missing.join(', ')}`)
  const thresholds = {...meta.thresholds, ...input.thresholds?.[meta.id]}
  let outcome
  try {
    outcome = rule.check({state: input.state, window: input.window, thresholds})
  } catch (error) {
    // A rule bug must not sink the diagnosis: report it as unknown with the reason.
    return unknown('rule-error', `rule failed: ${(error as Error).message}`)
  }
  if ('unknown' in outcome) return unknown('undecided', outcome.unknown)
  if ('notApplicable' in outcome) return {...base, status: 'not-applicable', reason: outcome.notApplicable, unknownCause: null}
  const findings: Finding[] = outcome.findings.map((f) => ({
    ruleId: meta.id,
    severity: f.severity ?? meta.severity,
    subject: f.subject,
    message: f.message,
    evidence: f.evidence,
    fixes: f.fixes,
    ...(f.limit ? {limit: f.limit} : {}),
  }))
  return {...base, status: findings.length > 0 ? 'fail' : 'pass', reason: null, unknownCause: null, findings}
}

export function runRules(rules: readonly Rule[], input: EngineInput): RuleResult[] {
  const datapath = userspaceDatapath(input.state)
  return rules.map((rule) => runRule(rule, input, datapath))
}

/** Findings of all results, most severe first, then by rule id and subject (stable output). */
export function sortedFindings(results: RuleResult[]): Finding[] {
  return results
    .flatMap((r) => r.findings)
    .sort(
      (a, b) =>
        SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
        a.ruleId.localeCompare(b.ruleId) ||
        a.subject.localeCompare(b.subject),
    )
}
