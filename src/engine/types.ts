/**
 * Rules: pure functions of a HostState (and a LoadWindow for window rules) that return findings.
 * One file per rule in rules/; the registry is rules/index.ts.
 */
import type {HostState} from '../model/host-state.js'
import type {LoadWindow} from '../window/types.js'

/** critical -> exit 2, warning -> exit 1, info -> exit 0. */
export type Severity = 'critical' | 'warning' | 'info'

export type RuleGroup =
  | 'kernel-bypass'
  | 'port-health'
  | 'drops'
  | 'pmd'
  | 'vhost'
  | 'host'
  | 'load-validity'

export interface RuleMeta {
  /** Stable, kebab-case, equal to the file name in rules/. Never rename one. */
  id: string
  title: string
  severity: Severity
  group: RuleGroup
  /** snapshot: judged on the latest sample; window: needs a before/during load window. */
  kind: 'snapshot' | 'window'
  /** Why it matters, for `rules explain`. */
  rationale: string
  /** Source ids the rule reads ("fdb" stands for any fdb.<bridge>). Missing -> unknown. */
  inputs: string[]
  /** Named thresholds with their defaults (documented in `rules explain`). */
  thresholds: Record<string, number>
  /** What to do about it, in words. */
  remediation: string
  /** The FIELD.md catalogue entry, e.g. "A1". */
  field: string
  /**
   * On which hosts the rule can judge, in words (docs/rules.md, `rules explain`). Every rule needs
   * an OVS userspace (netdev) datapath; the engine makes all of them not-applicable without one.
   */
  appliesTo: string
}

/** A concrete change a finding suggests; the planner (fix) turns these into steps. */
export type FixAction =
  | {kind: 'remove-address'; ifname: string; address: string; prefixlen: number; family: 'inet' | 'inet6'}
  | {kind: 'remove-route'; dst: string; dev: string | null; table: string; gateway: string | null}
  | {kind: 'set-arp-off'; ifname: string}
  | {kind: 'ovs-set'; table: 'Interface' | 'Open_vSwitch' | 'Bridge'; record: string; column: string; value: string}
  | {kind: 'guest-readdress'; port: string; subnet: string | null}
  | {kind: 'manual'; text: string}

export interface Finding {
  ruleId: string
  severity: Severity
  /** What the finding is about: an interface, port, bridge, PMD ("pmd core 2") or "host". */
  subject: string
  message: string
  /** Observed values and the thresholds they were compared with. */
  evidence: Record<string, unknown>
  fixes: FixAction[]
  /**
   * What limits the fast path, in a few words ("guest TSO off (host setting)"), for the verdict's
   * second layer ("DPDK fast path, limited by: ..."). Only findings that bound throughput set it.
   */
  limit?: string
}

export interface RuleContext {
  /** The latest full sample (the during sample when there is a window). */
  state: HostState
  window: LoadWindow | null
  thresholds: Record<string, number>
}

/** A finding as a check returns it: the engine adds the rule id and, unless set, the rule's severity. */
export type FindingDraft = Omit<Finding, 'ruleId' | 'severity'> & {severity?: Severity}

/** What a check returns: findings (empty = pass), or why it cannot decide. */
export type CheckOutcome =
  | {findings: FindingDraft[]}
  | {unknown: string}
  | {notApplicable: string}

export interface Rule {
  meta: RuleMeta
  check(ctx: RuleContext): CheckOutcome
}

export type RuleStatus = 'fail' | 'pass' | 'unknown' | 'not-applicable'

/**
 * Why a rule is unknown: it needs a load window and there is none (expected in a static
 * diagnosis), a source it reads is missing, its check could not decide, or it threw.
 */
export type UnknownCause = 'needs-window' | 'missing-input' | 'undecided' | 'rule-error'

export interface RuleResult {
  ruleId: string
  group: RuleGroup
  status: RuleStatus
  severity: Severity
  reason: string | null
  /** Set when status is unknown. */
  unknownCause: UnknownCause | null
  findings: Finding[]
}

export function defineRule(rule: Rule): Rule {
  return rule
}
