/**
 * What `fix` does apart from flags and printing: plan (live or from a bundle), apply, confirm and
 * roll back. Every command goes through a Runner; the live one is the HostRunner.
 */
import {existsSync, readFileSync} from 'node:fs'
import {resolve} from 'node:path'
import {readCaptureFrom} from '../capture/sos-archive.js'
import type {Capture} from '../capture/types.js'
import {analyse} from '../diagnose/analyse.js'
import {hostInfo} from '../diagnose/live.js'
import {captureHost, diagnoseLive} from '../diagnose/service.js'
import type {Diagnosis} from '../diagnose/types.js'
import {DoctorError, EXIT} from '../errors.js'
import {HostRunner} from '../exec/runner.js'
import type {Runner} from '../exec/runner.js'
import {buildHostState} from '../model/build.js'
import {assertNetns} from '../util/names.js'
import {applyPlan} from './apply.js'
import type {GuestOptions} from './guest.js'
import {ipStateOf} from './plan-source.js'
import {ReadOnlyRunner} from './read-only.js'
import type {Rule} from '../engine/types.js'
import {findPersistence} from './persistence.js'
import {buildPlan} from './planner.js'
import {bundleProtectedSet, computeProtectedSet} from './protected.js'
import {detachedTimer} from './revert-timer.js'
import type {RevertTimer} from './revert-timer.js'
import {runRollback} from './rollback.js'
import {localSite} from './site.js'
import type {FixSite} from './site.js'
import {statePaths, writeDurably} from './state-files.js'
import {CONFIRM_SCHEMA, FIX_EXIT, PLAN_SCHEMA, ROLLBACK_SCHEMA} from './types.js'
import type {ApplyResult, BeforeAfter, ConfirmResult, FixPlan, LoadFigures, RollbackResult} from './types.js'

export interface PlanRequest {
  from: string | null
  netns: string | null
  ovsRundir: string | null
  guest: GuestOptions
  onlyDevices: string[]
  setupScript: string | null
  /** Root for the persistence files (DPDK_DOCTOR_CONFIG_ROOT; "/" on a host). */
  configRoot: string
  planOut: string | null
  /** A load to measure before the change (apply --load). */
  load?: string[] | null
  loadTimeoutMs?: number
  intervalMs?: number
  runner?: Runner
  env?: NodeJS.ProcessEnv
  signal?: AbortSignal
  progress?: (line: string) => void
  /** The rules to run (tests); default: the registry. */
  rules?: readonly Rule[]
  /** A capture already taken (fix --host: over ssh); planned as a bundle is (this machine's session and files are not that host's). */
  capture?: Capture | null
}

export function loadFigures(d: Diagnosis): LoadFigures {
  const byClass = d.attribution?.byClass
  const busy = (d.pmds ?? []).map((p) => p.busyPct).filter((n): n is number => n !== null)
  return {
    argv: d.load?.argv ?? [],
    bitsPerSecond: d.load?.bitsPerSecond ?? null,
    dpdkPackets: byClass ? byClass.dpdk.packets : null,
    kernelNicPackets: byClass ? byClass['kernel-nic'].packets : null,
    pmdBusyPct: busy.length > 0 ? Math.max(...busy) : null,
    verdict: d.verdict.kind,
    exitCode: d.exitCode,
  }
}

export async function makePlan(req: PlanRequest): Promise<{plan: FixPlan; diagnosis: Diagnosis}> {
  // Planning only reads: anything outside the allow-list is refused before it runs.
  const runner = new ReadOnlyRunner(req.runner ?? new HostRunner(), req.load ?? null)
  const env = req.env ?? process.env
  let capture: Capture
  const offline = Boolean(req.from) || Boolean(req.capture)
  if (req.capture) {
    capture = req.capture
  } else if (req.from) {
    capture = await readCaptureFrom(req.from)
  } else {
    capture = await captureHost({
      netns: req.netns, ovsRundir: req.ovsRundir, load: req.load ?? null, duringMs: null, intervalMs: req.intervalMs ?? 1000,
      loadTimeoutMs: req.loadTimeoutMs ?? 120_000, runner, signal: req.signal, progress: req.progress,
    })
  }
  const diagnosis = analyse(capture, {input: {mode: req.from ? 'bundle' : 'live', bundle: req.from, savedTo: null}, rules: req.rules})
  const {sample, ip} = ipStateOf(capture)
  const host = capture.manifest.host
  const state = buildHostState(sample, host)
  const protectedSet = offline ? bundleProtectedSet(ip) : await computeProtectedSet({runner, netns: host.netns, state: ip, env})
  const plan = buildPlan({
    diagnosis, state, ip, protectedSet, guest: req.guest, onlyDevices: req.onlyDevices,
    host: {hostname: host.hostname, machineId: host.machineId, netns: host.netns, ovsRundir: host.ovsRundir},
    source: {mode: req.from ? 'bundle' : 'live', bundle: req.from ? resolve(req.from) : null},
  })
  const removals: Record<string, string[]> = {}
  for (const s of plan.steps) if (s.target.kind === 'address') (removals[s.target.dev] ??= []).push(`${s.target.addr.local}/${s.target.addr.prefixlen}`)
  // The config files of a bundle's host are not on this machine; a named setup script is.
  plan.persistence = findPersistence({root: offline ? '/nonexistent-bundle-root' : req.configRoot, removals, setupScript: req.setupScript})
  if (req.planOut) writeDurably(req.planOut, JSON.stringify(plan, null, 2) + '\n')
  return {plan, diagnosis}
}

/**
 * A plan with no steps is "nothing to change" only if the host could be judged: when the diagnosis
 * could not decide (OVS unreachable, a core table missing) the empty plan is UNKNOWN, as diagnose says.
 */
export function planIsUnjudged(plan: FixPlan): boolean {
  return plan.steps.length === 0 && plan.verdict.kind === 'unknown'
}

export function planExitCode(plan: FixPlan): number {
  return planIsUnjudged(plan) ? EXIT.UNKNOWN : EXIT.OK
}

export function readPlanFile(path: string): FixPlan {
  let plan: FixPlan
  try {
    plan = JSON.parse(readFileSync(path, 'utf8')) as FixPlan
  } catch (error) {
    throw new DoctorError('E_BAD_PLAN', `cannot read the plan ${path}: ${(error as Error).message}`)
  }
  if (plan?.schema !== PLAN_SCHEMA || !Array.isArray(plan.steps)) throw new DoctorError('E_BAD_PLAN', `${path} is not a dpdk-doctor fix plan (${PLAN_SCHEMA})`)
  if (plan.host.netns !== null) assertNetns(plan.host.netns)
  return plan
}

export interface ApplyRequest extends PlanRequest {
  planFile: string | null
  yes: boolean
  /** stdin is a terminal: a person can answer the prompts. */
  interactive: boolean
  force: boolean
  noRevertTimer: boolean
  allowIrreversible: boolean
  confirmTimeoutMs: number
  forceUnlock: string | null
  loadAfter?: string[] | null
  /** Also make the persistence edits (netplan, ifupdown, NetworkManager, the setup script). */
  persist?: boolean
  timer?: RevertTimer
  machineId?: string | null
  /** Asks a yes/no question on the terminal; false on timeout. */
  ask?: (question: string, timeoutMs: number) => Promise<boolean>
  /** Shows the plan before the consent prompt (human mode). */
  showPlan?: (plan: FixPlan) => void
  /** Where the lock, journal and timer live (fix --host X: on X); default this machine. */
  site?: FixSite
}

export async function applyFix(req: ApplyRequest): Promise<ApplyResult & {exitCode: number; plan: FixPlan}> {
  if (!req.yes && !req.interactive) {
    throw new DoctorError('E_NEEDS_YES', 'fix --apply changes the host and stdin is not a terminal, so nobody can confirm it: pass --yes', {
      exit: FIX_EXIT.NEEDS_CONSENT, suggestions: ['Review the plan first (dpdk-doctor fix), then run dpdk-doctor fix --apply --yes.'],
    })
  }
  if (req.noRevertTimer && !req.force) {
    throw new DoctorError('E_NEEDS_FORCE', '--no-revert-timer needs --force: without the timer nothing reverts a change that cuts you off', {
      exit: FIX_EXIT.NEEDS_CONSENT, suggestions: ['Keep the timer and confirm with dpdk-doctor fix --confirm <id>.'],
    })
  }
  const runner = req.runner ?? new HostRunner()
  const env = req.env ?? process.env
  let plan: FixPlan
  let before: LoadFigures | null = null
  if (req.planFile) {
    plan = readPlanFile(req.planFile)
    if (req.netns !== null && req.netns !== plan.host.netns) throw new DoctorError('E_USAGE', `the plan is for namespace ${plan.host.netns ?? '(none)'}, not ${req.netns}`)
  } else {
    const made = await makePlan({...req, runner})
    plan = made.plan
    if (req.load) before = loadFigures(made.diagnosis)
  }
  if (planIsUnjudged(plan)) {
    throw new DoctorError('E_UNJUDGED', `could not judge the host, so there is nothing to apply: ${plan.verdict.text}`, {
      exit: EXIT.UNKNOWN, suggestions: ['Run dpdk-doctor diagnose to see which sources failed, fix that, then run fix again.'],
    })
  }
  if (!req.yes && plan.steps.length > 0) {
    req.showPlan?.(plan)
    const ns = plan.host.netns ? `namespace ${plan.host.netns}` : null
    const remote = req.site?.host
    const where = remote ? (ns ? `${ns} on ${remote}` : `host ${remote}`) : (ns ?? 'this host')
    const ok = await (req.ask ?? (async () => false))(`Apply these ${plan.steps.length} step(s) to ${where}? [y/N] `, 300_000)
    if (!ok) throw new DoctorError('E_NOT_APPROVED', 'not applied: the plan was not approved', {exit: FIX_EXIT.NEEDS_CONSENT})
  }
  const site = req.site ?? localSite(statePaths(env), req.timer ?? detachedTimer, env)
  const result = await applyPlan({
    runner, plan, paths: site.paths, timer: req.timer ?? detachedTimer, env, site,
    machineId: req.machineId !== undefined ? req.machineId : hostInfo({netns: null, ovsRundir: null}).machineId,
    checkFingerprint: req.planFile !== null, force: req.force, noRevertTimer: req.noRevertTimer, allowIrreversible: req.allowIrreversible,
    confirmTimeoutMs: req.confirmTimeoutMs, forceUnlock: req.forceUnlock, progress: req.progress,
    stepPauseMs: Number(env.DPDK_DOCTOR_STEP_PAUSE_MS ?? 0) || 0, persist: req.persist ?? false,
  })
  if (result.status === 'applied' && result.id && (req.load || req.loadAfter)) {
    const journal = await site.readJournal(result.id)
    journal.loadBefore = before
    await site.writeJournal(journal)
    // While the VMs still wait for their new addresses, a load now would only measure a half-done fix.
    const guestPending = plan.guest.some((g) => g.address !== null) && !req.loadAfter
    if (guestPending) {
      result.loads = {before, after: null}
      result.warnings.push(`the after measurement waits for the guest step: apply the network-config file(s), then measure and confirm: dpdk-doctor fix ${site.hostArgs}--confirm ${result.id} --load "<the load>"`)
    } else {
      const after = await measure({...req, runner, load: req.loadAfter ?? req.load ?? null, netns: plan.host.netns, ovsRundir: plan.host.ovsRundir})
      result.loads = {before, after}
    }
  }
  if (result.status === 'applied' && result.id && req.interactive && !req.yes && result.timer.deadline) {
    const left = Math.max(0, new Date(result.timer.deadline).getTime() - Date.now())
    if (await (req.ask ?? (async () => false))(`Keep the change? Answer y within ${Math.round(left / 1000)} s, or it is rolled back: `, left)) {
      await confirmChange({changeId: result.id, env, site})
      result.confirmed = true
    }
  }
  return {...result, plan}
}

async function measure(req: {netns: string | null; ovsRundir: string | null; load: string[] | null; loadTimeoutMs?: number; intervalMs?: number; runner?: Runner; signal?: AbortSignal; progress?: (l: string) => void}): Promise<LoadFigures | null> {
  if (!req.load) return null
  const d = await diagnoseLive({
    netns: req.netns, ovsRundir: req.ovsRundir, load: req.load, duringMs: null, intervalMs: req.intervalMs ?? 1000, loadTimeoutMs: req.loadTimeoutMs ?? 120_000,
    runner: req.runner, save: null, signal: req.signal, progress: req.progress,
  })
  return loadFigures(d)
}

export interface ConfirmRequest {
  changeId: string
  load?: string[] | null
  loadTimeoutMs?: number
  intervalMs?: number
  env?: NodeJS.ProcessEnv
  runner?: Runner
  timer?: RevertTimer
  progress?: (line: string) => void
  /** Where the change lives (default: this machine). */
  site?: FixSite
}

export async function confirmChange(req: ConfirmRequest): Promise<ConfirmResult & {exitCode: number}> {
  const env = req.env ?? process.env
  const site = req.site ?? localSite(statePaths(env), req.timer ?? detachedTimer, env)
  let loads: BeforeAfter | null = null
  if (req.load) {
    const pre = await site.readJournal(req.changeId)
    const after = await measure({netns: pre.host.netns, ovsRundir: pre.host.ovsRundir, load: req.load, loadTimeoutMs: req.loadTimeoutMs, intervalMs: req.intervalMs, runner: req.runner, progress: req.progress})
    loads = {before: pre.loadBefore, after}
    if (after && (after.verdict === 'kernel-bypass' || after.exitCode >= 2)) {
      throw new DoctorError('E_NOT_CONFIRMED', `not confirmed: under the load the host still says "${after.verdict}" (exit ${after.exitCode})${pre.timer.deadline ? `; the change is rolled back at ${pre.timer.deadline}` : ''}`, {
        exit: FIX_EXIT.NOT_CONFIRMED, suggestions: [`Apply the guest step (network-config files) first, or roll back now: dpdk-doctor fix ${site.hostArgs}--rollback ` + req.changeId],
      })
    }
  }
  const lock = await site.lock({command: 'fix --confirm', changeId: req.changeId, waitMs: 15_000})
  try {
    const journal = await site.readJournal(req.changeId)
    await site.audit({kind: 'intent', action: 'confirm', changeId: journal.id, planId: journal.planId})
    if (journal.status === 'rolled-back' || journal.status === 'reverted-after-failure' || journal.status === 'rollback-failed') {
      await site.audit({kind: 'result', action: 'confirm', changeId: journal.id, outcome: `too-late-${journal.status}`, exitCode: FIX_EXIT.ROLLED_BACK})
      const by = journal.revertedByTimer ? ` (by its revert timer${site.host ? ` on ${site.host}` : ''}, at ${journal.revertedByTimer.at ?? 'an unknown time'})` : ''
      throw new DoctorError('E_ALREADY_ROLLED_BACK', `change ${journal.id} cannot be confirmed: it is ${journal.status}${by}`, {exit: FIX_EXIT.ROLLED_BACK, suggestions: [`Apply it again: dpdk-doctor fix ${site.hostArgs}--apply`]})
    }
    const already = journal.status === 'confirmed'
    await site.writeConfirmMarker(journal.id)
    journal.status = 'confirmed'
    await site.writeJournal(journal)
    const timerStopped = journal.timer.pid !== null ? await site.stopTimer(journal.timer.pid, journal.id) : false
    await site.audit({kind: 'result', action: 'confirm', changeId: journal.id, outcome: already ? 'already-confirmed' : 'confirmed', exitCode: 0, detail: {timerStopped}})
    return {
      schema: CONFIRM_SCHEMA, id: journal.id, status: already ? 'already-confirmed' : 'confirmed', timerStopped, loads,
      message: already ? `change ${journal.id} was already confirmed` : `change ${journal.id} confirmed; it stays (undo it with dpdk-doctor fix ${site.hostArgs}--rollback ${journal.id})`,
      exitCode: 0,
    }
  } finally {
    await lock.release()
  }
}

export interface RollbackRequest {
  changeId: string | null
  by: 'user' | 'revert-timer'
  forceUnlock?: string | null
  env?: NodeJS.ProcessEnv
  runner?: Runner
  timer?: RevertTimer
  /** Where the change lives (default: this machine). */
  site?: FixSite
}

export async function rollbackChange(req: RollbackRequest): Promise<RollbackResult & {exitCode: number}> {
  const env = req.env ?? process.env
  const site = req.site ?? localSite(statePaths(env), req.timer ?? detachedTimer, env)
  const runner = req.runner ?? new HostRunner()
  const byTimer = req.by === 'revert-timer'
  // The timer waits for a running apply and takes over the lock of a CLI that died (its purpose).
  const lock = await site.lock({command: byTimer ? 'revert-timer' : 'fix --rollback', changeId: req.changeId, waitMs: byTimer ? 3_600_000 : 0, takeOverStale: byTimer, forceUnlock: req.forceUnlock ?? null})
  try {
    // Without an id: the newest change not rolled back yet, else the newest (rolling it back again changes nothing).
    const journal = req.changeId ? await site.readJournal(req.changeId) : ((await site.latestJournal()) ?? (await site.latestJournal(true)))
    if (!journal) throw new DoctorError('E_NO_JOURNAL', `no change to roll back in ${site.host ? `${site.host}:` : ''}${site.paths.journalDir}`)
    if (byTimer && (journal.status === 'confirmed' || (await site.isConfirmed(journal.id)))) {
      return {schema: ROLLBACK_SCHEMA, id: journal.id, status: 'no-changes', changed: false, message: 'confirmed: the timer leaves it', commands: [], problems: [], exitCode: 0}
    }
    const timerDone = journal.revertedByTimer ?? null
    await site.audit({kind: 'intent', action: 'rollback', changeId: journal.id, planId: journal.planId, detail: {by: req.by, journalStatus: journal.status, tookOverLock: lock.tookOver, ...(timerDone ? {revertedByTimer: timerDone} : {})}})
    const run = await runRollback(runner, journal)
    const ok = run.problems.length === 0
    journal.status = ok ? 'rolled-back' : 'rollback-failed'
    await site.writeJournal(journal)
    if (!byTimer && journal.timer.pid !== null && !timerDone) await site.stopTimer(journal.timer.pid, journal.id)
    const exitCode = ok ? 0 : FIX_EXIT.ROLLBACK_FAILED
    await site.audit({kind: 'result', action: 'rollback', changeId: journal.id, planId: journal.planId, argv: run.commands.map((c) => c.argv), outcome: journal.status, exitCode, detail: {by: req.by, problems: run.problems}})
    const byTimerNote = timerDone ? `its revert timer${site.host ? ` on ${site.host}` : ''} already rolled it back at ${timerDone.at ?? 'an unknown time'} (${timerDone.status}); ` : ''
    const message = !ok
      ? `rollback of ${journal.id} did not restore everything: ${byTimerNote}${run.problems.join('; ')}`
      : run.changed
        ? `rolled back ${journal.id}: ${byTimerNote}${run.commands.length} command(s); addresses and routes are as journaled`
        : `no changes: ${byTimerNote}${journal.id} is already rolled back (addresses and routes are as journaled)`
    return {schema: ROLLBACK_SCHEMA, id: journal.id, status: !ok ? 'rollback-failed' : run.changed ? 'rolled-back' : 'no-changes', changed: run.changed, message, commands: run.commands, problems: run.problems, exitCode}
  } finally {
    await lock.release()
  }
}
