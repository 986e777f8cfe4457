/**
 * Cross-host rules: pure functions of two hosts' states (and load windows), one file each in
 * rules/cross/. A side that could not be collected makes every cross-host rule unknown.
 */
import type {HostInfo} from '../capture/types.js'
import type {CheckOutcome, RuleStatus, Severity} from '../engine/types.js'
import type {Finding} from '../engine/types.js'
import type {HostState} from '../model/host-state.js'
import type {LoadWindow} from '../window/types.js'

export interface CrossSide {
  /** The --host name (or the bundle's directory name). */
  name: string
  host: HostInfo
  /** The latest full state (the during snapshot with a window). */
  state: HostState
  window: LoadWindow | null
}

export interface CrossContext {
  a: CrossSide
  b: CrossSide
  thresholds: Record<string, number>
}

export interface CrossRuleMeta {
  id: string
  title: string
  severity: Severity
  kind: 'snapshot' | 'window'
  rationale: string
  thresholds: Record<string, number>
  remediation: string
}

export interface CrossRule {
  meta: CrossRuleMeta
  check(ctx: CrossContext): CheckOutcome
}

export interface CrossResult {
  ruleId: string
  status: RuleStatus
  severity: Severity
  reason: string | null
  findings: Finding[]
}

export function defineCrossRule(rule: CrossRule): CrossRule {
  return rule
}
