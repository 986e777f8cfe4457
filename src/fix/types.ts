/**
 * The fix plan and the results of apply, confirm and rollback: what `fix --json` prints
 * (docs/json-output.md) and what `--plan-out` saves. Stable keys.
 */
import type {RawAddr, RawRoute} from './ip-state.js'

export const PLAN_SCHEMA = 'dpdk-doctor/fix-plan@1'
export const APPLY_SCHEMA = 'dpdk-doctor/fix-apply@1'
export const ROLLBACK_SCHEMA = 'dpdk-doctor/fix-rollback@1'
export const CONFIRM_SCHEMA = 'dpdk-doctor/fix-confirm@1'

/** fix's own exit codes: 10 and up, so a failed change never reads as a monitoring status. */
export const FIX_EXIT = {
  /** A step would cut the management session (or its impact is unknown); nothing changed. */
  REFUSED_LOCKOUT: 10,
  /** The saved plan no longer matches the host (or another host); nothing changed. */
  STALE_PLAN: 11,
  /** Another apply, confirm or rollback holds the lock (or a stale lock needs --force-unlock). */
  LOCKED: 12,
  /** A step or the verification failed; the applied steps were reverted. */
  ROLLED_BACK: 13,
  /** Reverting failed: the host is neither before nor after; the journal says what is left. */
  ROLLBACK_FAILED: 14,
  /** Needs explicit consent: --yes without a TTY, --allow-irreversible, --force for --no-revert-timer. */
  NEEDS_CONSENT: 15,
  /** confirm --load: the load still bypasses DPDK, so the change was not confirmed (the timer will revert it). */
  NOT_CONFIRMED: 16,
} as const

export type ManagementImpact = 'none' | 'breaks' | 'unknown'
export type Risk = 'low' | 'medium' | 'high'

/** What a step acts on, so apply can tell it is already done and verification can check it. */
export type StepTarget =
  | {kind: 'address'; dev: string; addr: RawAddr}
  | {kind: 'route'; route: RawRoute}
  | {kind: 'arp'; dev: string; on: boolean}
  | {kind: 'ovs'; table: string; record: string; column: string; value: string; previous: string | null}
  | {kind: 'fdb'; bridge: string}

export interface PlanStep {
  id: string
  /** ovs-fdb-flush: the bridge relearns where each MAC is (learned state: nothing to restore, so no inverse, yet reversible). */
  kind: 'remove-route' | 'remove-address' | 'set-arp-off' | 'ovs-set' | 'ovs-fdb-flush'
  what: string
  /** The findings it answers ("internal-port-has-ip ovsbr0"), or why the kernel would do it anyway. */
  why: string[]
  argv: string[]
  /** null when the prior value is unknown: the step is irreversible. */
  inverseArgv: string[] | null
  reversible: boolean
  risk: Risk
  managementImpact: ManagementImpact
  impactReason: string | null
  /** Routes the kernel removes together with this step (they come back with the address). */
  alsoRemoves: string[]
  target: StepTarget
  /** What the step takes away, for the management-impact check (recomputed at apply on the live host). */
  effect: {removesAddresses: string[]; removesRoutes: RawRoute[]; changesLinks: string[]}
}

export interface GuestPlan {
  port: string
  bridge: string
  mac: string | null
  address: string | null
  prefixlen: number | null
  subnet: string | null
  /** The cloud-init network-config v2 document. */
  networkConfig: string | null
  /** Where it was written (--guest-config-dir), else null. */
  file: string | null
  note: string
}

export interface PersistenceEdit {
  kind: 'netplan' | 'ifupdown' | 'networkmanager' | 'setup-script'
  file: string
  line: number
  text: string
  /** The line to put instead (a comment), or null to delete it. */
  replacement: string | null
  why: string
}

export interface Alternative {
  name: string
  how: string
  cost: string
}

export interface ProtectedSession {
  client: string
  clientPort: number | null
  server: string
  serverPort: number | null
  source: 'SSH_CONNECTION' | 'ss'
  /** The interface holding the server address in the target namespace (null: not in it). */
  serverDev: string | null
  egressDev: string | null
  prefsrc: string | null
}

export interface ProtectedSet {
  /** false when it could not be computed (e.g. `ss` missing): every step counts as unknown. */
  complete: boolean
  unknownReason: string | null
  sessions: ProtectedSession[]
  addresses: string[]
  devices: string[]
  defaultRoutes: string[]
  notes: string[]
}

export interface PlanDeviceDiff {
  ifname: string
  before: {addresses: string[]; routes: string[]}
  after: {addresses: string[]; routes: string[]}
}

export interface FixPlan {
  schema: typeof PLAN_SCHEMA
  id: string
  createdAt: string
  tool: {name: string; version: string}
  host: {hostname: string | null; machineId: string | null; netns: string | null; ovsRundir: string | null}
  source: {mode: 'live' | 'bundle'; bundle: string | null}
  verdict: {kind: string; text: string}
  /** sha256 over the normalised pre-state of every touched device and route. */
  fingerprint: string
  devices: string[]
  diff: PlanDeviceDiff[]
  steps: PlanStep[]
  guest: GuestPlan[]
  persistence: PersistenceEdit[]
  manual: string[]
  alternatives: Alternative[]
  protected: ProtectedSet
  warnings: string[]
}

export type StepStatus = 'pending' | 'applied' | 'already-done' | 'failed' | 'reverted' | 'revert-failed' | 'not-run'

export interface StepOutcome {
  id: string
  argv: string[]
  status: StepStatus
  exitCode: number | null
  stderr: string | null
}

export interface LoadFigures {
  argv: string[]
  bitsPerSecond: number | null
  dpdkPackets: number | null
  kernelNicPackets: number | null
  pmdBusyPct: number | null
  verdict: string
  exitCode: number
}

export interface BeforeAfter {
  before: LoadFigures | null
  after: LoadFigures | null
}

export type JournalStatus = 'in-progress' | 'applied' | 'confirmed' | 'rolled-back' | 'rollback-failed' | 'reverted-after-failure'

export interface Journal {
  schema: 'dpdk-doctor/fix-journal@1'
  id: string
  planId: string
  createdAt: string
  updatedAt: string
  status: JournalStatus
  tool: {name: string; version: string}
  host: FixPlan['host']
  user: AuditUser
  fingerprintBefore: string
  /** The complete prior state of everything touched, raw from `ip -j`. */
  prior: {
    devices: Array<{ifname: string; flags: string[]; mtu: number | null; operstate: string | null; addresses: RawAddr[]}>
    /** Routes through the devices or with their addresses as source, in every table (default routes included). */
    routes: RawRoute[]
    /** --persist: the config files edited, whole, with their mode. */
    files?: Array<{path: string; mode: number; content: string}>
  }
  /** --persist: the edits made (file:line). */
  persisted?: string[]
  /** Each step with its status and when it last changed (ISO time). */
  steps: Array<PlanStep & {status: StepStatus; at?: string}>
  timer: {pid: number | null; deadline: string | null; armedAt: string | null}
  loadBefore: LoadFigures | null
  /** Set when read back: the revert timer already rolled the change back (a remote host's sh timer records it next to the journal). */
  revertedByTimer?: {status: 'reverted' | 'revert-failed'; at: string | null; commands: Array<{exitCode: number; argv: string; stderr: string | null}>}
}

export interface AuditUser {
  uid: number | null
  user: string | null
  sudoUser: string | null
  sshConnection: string | null
}

export interface ApplyResult {
  /** fix --host X: the host the change is on (absent for this machine). */
  host?: string
  schema: typeof APPLY_SCHEMA
  id: string | null
  planId: string
  status: 'applied' | 'no-changes' | 'reverted' | 'rollback-failed'
  changed: boolean
  message: string
  steps: StepOutcome[]
  verification: {ok: boolean; problems: string[]}
  timer: {armed: boolean; pid: number | null; deadline: string | null}
  confirmed: boolean
  journal: string | null
  loads: BeforeAfter | null
  guest: GuestPlan[]
  /** --persist: the config lines edited (file:line). */
  persisted: string[]
  warnings: string[]
}

export interface RollbackResult {
  /** fix --host X: the host the change is on (absent for this machine). */
  host?: string
  schema: typeof ROLLBACK_SCHEMA
  id: string
  status: 'rolled-back' | 'no-changes' | 'rollback-failed'
  changed: boolean
  message: string
  commands: StepOutcome[]
  problems: string[]
}

export interface ConfirmResult {
  /** fix --host X: the host the change is on (absent for this machine). */
  host?: string
  schema: typeof CONFIRM_SCHEMA
  id: string
  status: 'confirmed' | 'already-confirmed'
  timerStopped: boolean
  loads: BeforeAfter | null
  message: string
}
