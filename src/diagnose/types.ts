/**
 * The diagnosis document: what `diagnose --json` prints (docs/json-output.md). Stable keys.
 */
import type {HostInfo, SourceStatus} from '../capture/types.js'
import type {Finding, RuleStatus, Severity} from '../engine/types.js'
import type {Attribution, PmdDelta} from '../window/types.js'
import type {Story} from './story.js'

export const DIAGNOSIS_SCHEMA = 'dpdk-doctor/diagnosis@1'

export type VerdictKind =
  | 'kernel-bypass' // traffic (or the configuration) sends VM traffic through the kernel
  | 'fast-path' // the load went through the DPDK port
  | 'invalid-load' // the load test does not exercise the DPDK path (host target, same-host VMs)
  | 'problems' // no bypass, but other findings
  | 'healthy' // nothing found
  | 'no-userspace-datapath' // OVS runs no netdev datapath here (kernel datapath only): nothing to diagnose for DPDK
  | 'unknown' // not enough data to decide

export type StatusWord = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN'

export interface CoverageEntry {
  sample: string
  id: string
  status: SourceStatus
  reason: string | null
  parseError: string | null
}

export interface Diagnosis {
  schema: typeof DIAGNOSIS_SCHEMA
  verdict: {kind: VerdictKind; text: string}
  /** The verdict's second layer: what limits the fast path (empty unless the verdict is fast-path). */
  limitedBy: Array<{ruleId: string; subject: string; severity: Severity; text: string}>
  /** Where the PMD figures (busy %, packets) come from: the load window's deltas, never lifetime counters. */
  pmdFigures: 'window' | 'none'
  status: StatusWord
  exitCode: number
  host: HostInfo
  versions: {ovs: string | null; dpdk: string | null}
  input: {
    mode: 'live' | 'bundle'
    bundle: string | null
    savedTo: string | null
    /** Present when --from was a sosreport: its sos version and the expected files it lacked. */
    sosreport?: {
      sosVersion: string | null
      absent: string[]
      uptime: string | null
      /** Counters since boot / OVS start of the OVS ports and their kernel interfaces: evidence, never a window. */
      lifetimeCounters: Array<{name: string; side: 'ovs' | 'kernel'; rxPackets: number | null; txPackets: number | null}>
    }
  }
  window: {startedAt: string; endedAt: string; durationS: number; samples: number} | null
  load: {
    argv: string[]
    exitCode: number | null
    target: string | null
    bitsPerSecond: number | null
    bytes: number | null
    retransmits: number | null
    error: string | null
  } | null
  findings: Finding[]
  rules: Array<{ruleId: string; status: RuleStatus; severity: Severity; reason: string | null}>
  attribution: Attribution | null
  pmds: PmdDelta[] | null
  mainThreadPackets: number | null
  /** The findings in causal order, and which finding explains which. */
  story: Story
  /** The fix in words: the plan's steps (`what: command`), the guest side, the advice, then `Tuning: ...` lines. */
  fix: string[]
  /** The Fix section: `dpdk-doctor fix`'s plan for this capture, with advice and tuning apart. */
  fixPlan: DiagnosisFix
  coverage: {collected: number; total: number; notOk: CoverageEntry[]}
  warnings: string[]
}

export interface DiagnosisFix {
  /** The plan's steps in its order; `tuning` marks steps only info findings ask for. */
  steps: Array<{id: string; what: string; command: string; why: string[]; tuning: boolean}>
  /** What the findings ask for that fix does not run. */
  advice: string[]
  /** The VMs' side of the fix, per vhost port. */
  guest: string[]
  /** What info findings suggest (optional tuning). */
  tuning: string[]
  /** The steps change kernel state that is back after a reboot unless the network configuration is edited. */
  ipChangesAreRuntime: boolean
}
