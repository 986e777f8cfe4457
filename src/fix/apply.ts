/**
 * Applying a plan (SAFETY A and B), in this order, every time:
 *   lock -> live state -> stale-plan check -> protected set and impact -> consent checks ->
 *   skip what is already done -> journal (fsync, 0600) -> revert timer armed -> audit intent ->
 *   steps one at a time (a failure reverts the applied ones, newest first) -> verify (retries;
 *   a mismatch rolls back) -> journal "applied" -> audit result.
 * Refusals throw a DoctorError with fix's exit code and run nothing; a failed change returns a
 * result with every step's status and the exit code (13 reverted, 14 revert failed).
 */
import {DoctorError} from '../errors.js'
import type {Runner} from '../exec/runner.js'
import {sleep} from '../util/sleep.js'
import {TOOL} from '../version.js'
import {fingerprintOf, hasAddress, hasRoute, linkOf, readIpState, routesTouching, stepEnv} from './ip-state.js'
import type {IpState} from './ip-state.js'
import {computeProtectedSet, impactOf} from './protected.js'
import type {RevertTimer} from './revert-timer.js'
import {applyEdits, snapshotFiles, staleEdits} from './persist.js'
import {differences, runRollback} from './rollback.js'
import {newPlanId} from './planner.js'
import {localSite} from './site.js'
import type {FixSite} from './site.js'
import type {StatePaths} from './state-files.js'
import {APPLY_SCHEMA, FIX_EXIT} from './types.js'
import type {ApplyResult, FixPlan, Journal, PlanStep, StepOutcome} from './types.js'

export interface ApplyContext {
  runner: Runner
  plan: FixPlan
  paths: StatePaths
  timer: RevertTimer
  env: NodeJS.ProcessEnv
  /** /etc/machine-id of this host, for the stale-plan check. */
  machineId: string | null
  /** The plan came from a file (--plan): refuse it if the host changed since. */
  checkFingerprint: boolean
  force: boolean
  noRevertTimer: boolean
  allowIrreversible: boolean
  confirmTimeoutMs: number
  forceUnlock: string | null
  /** Verification retries (the kernel converges fast; a few tries absorb a slow netlink). */
  verifyTries?: number
  verifyDelayMs?: number
  now?: () => Date
  progress?: (line: string) => void
  /** Pause after each applied step (DPDK_DOCTOR_STEP_PAUSE_MS): watch a change step by step; tests use it to interrupt mid-apply. */
  stepPauseMs?: number
  /** --persist: also make the plan's persistence edits once the change is verified. */
  persist?: boolean
  /** Where the lock, journal, audit log and timer live (default: this machine, paths and timer above). */
  site?: FixSite
}

/** ip's answers when the thing to delete is already gone: the step is done, not failed. */
const ALREADY_GONE: Record<PlanStep['kind'], RegExp | null> = {
  'remove-address': /Cannot assign requested address|Address not found|No such address/i,
  'remove-route': /No such process|No such file or directory|not found/i,
  'set-arp-off': null,
  'ovs-set': null,
  'ovs-fdb-flush': null,
}

export function stepDone(step: PlanStep, state: IpState): boolean | null {
  const t = step.target
  switch (t.kind) {
    case 'address':
      return !hasAddress(state, t.dev, t.addr)
    case 'route':
      return !hasRoute(state, t.route)
    case 'arp': {
      const link = linkOf(state, t.dev)
      return link ? link.flags.includes('NOARP') === !t.on : false
    }
    case 'ovs':
    case 'fdb':
      return null // not read from ip: run it (ovs-vsctl set and fdb/flush are idempotent)
  }
}


function refusal(code: string, message: string, exit: number, suggestions: string[]): DoctorError {
  return new DoctorError(code, message, {exit, suggestions})
}

export async function applyPlan(ctx: ApplyContext): Promise<ApplyResult & {exitCode: number}> {
  const {runner, plan} = ctx
  const site = ctx.site ?? localSite(ctx.paths, ctx.timer, ctx.env)
  const netns = plan.host.netns
  const now = ctx.now ?? (() => new Date())
  const user = site.user()
  const lock = await site.lock({command: 'fix --apply', user: user.sudoUser ?? user.user, forceUnlock: ctx.forceUnlock})
  try {
    // The stale check runs before anything else reads or changes the host.
    const live = await readIpState(runner, netns)
    const liveFingerprint = fingerprintOf({machineId: ctx.machineId, netns, state: live, devices: plan.devices})
    if (ctx.checkFingerprint) {
      const why: string[] = []
      if (plan.host.machineId !== ctx.machineId) why.push(`it was made on machine ${plan.host.machineId ?? 'unknown'}, this is ${ctx.machineId ?? 'unknown'}`)
      if (plan.tool.version !== TOOL.version) why.push(`it was made by dpdk-doctor ${plan.tool.version}, this is ${TOOL.version}`)
      if (why.length === 0 && plan.fingerprint !== liveFingerprint) why.push(`the addresses, routes or links of ${plan.devices.join(', ')} changed since it was made`)
      if (why.length > 0) {
        await site.audit({kind: 'result', action: 'apply', changeId: null, planId: plan.id, outcome: 'refused-stale-plan', exitCode: FIX_EXIT.STALE_PLAN, fingerprintBefore: plan.fingerprint, fingerprintAfter: liveFingerprint, detail: why})
        throw refusal('E_STALE_PLAN', `plan is stale: ${why.join('; ')}; nothing was changed`, FIX_EXIT.STALE_PLAN, ['Make a new plan: dpdk-doctor fix --plan-out FILE, review it, then apply it.'])
      }
    }

    // The protected set is computed on the live host, whatever the plan said.
    const protectedSet = await computeProtectedSet({runner, netns, state: live, env: await site.sessionEnv()})
    const steps: PlanStep[] = plan.steps.map((s) => {
      const {impact, reason} = impactOf(s.effect, protectedSet)
      return {...s, managementImpact: impact, impactReason: reason}
    })
    const undone = steps.filter((s) => stepDone(s, live) !== true)
    // An FDB flush only follows a real change: on an already-fixed host there is nothing to relearn.
    const pending = undone.some((s) => s.kind !== 'ovs-fdb-flush') ? undone : []
    const breaking = pending.filter((s) => s.managementImpact !== 'none')
    if (breaking.length > 0 && !ctx.force) {
      const lines = breaking.map((s) => `${s.id} ${s.what}: ${s.managementImpact === 'unknown' ? `impact unknown (${s.impactReason})` : s.impactReason}`)
      await site.audit({kind: 'result', action: 'apply', changeId: null, planId: plan.id, outcome: 'refused-lockout', exitCode: FIX_EXIT.REFUSED_LOCKOUT, detail: {steps: lines, protected: protectedSet}})
      throw refusal('E_REFUSED_LOCKOUT', `refusing to apply: ${breaking.length === 1 ? 'a step' : `${breaking.length} steps`} would cut the management path or cannot be checked: ${lines.join('; ')}; nothing was changed`, FIX_EXIT.REFUSED_LOCKOUT, [
        'Run it from the console (IPMI/BMC, serial) or over another interface, then apply again.',
        'Or pass --force: the revert timer still rolls the change back unless you confirm it in time.',
      ])
    }
    const irreversible = pending.filter((s) => !s.reversible)
    if (irreversible.length > 0 && !ctx.allowIrreversible) {
      throw refusal('E_IRREVERSIBLE', `refusing to apply: ${irreversible.map((s) => `${s.id} ${s.what}`).join('; ')} cannot be undone (the prior value is unknown); nothing was changed`, FIX_EXIT.NEEDS_CONSENT, ['Apply it by hand, or pass --allow-irreversible.'])
    }
    if (ctx.persist) {
      const stale = staleEdits(plan.persistence)
      if (stale.length > 0) {
        throw refusal('E_STALE_PLAN', `plan is stale: ${stale.join('; ')}; nothing was changed`, FIX_EXIT.STALE_PLAN, ['Make a new plan, or apply without --persist and edit the files by hand.'])
      }
    }
    if (ctx.noRevertTimer && !ctx.force) {
      throw refusal('E_NEEDS_FORCE', '--no-revert-timer needs --force: without the timer nothing reverts a change that cuts you off', FIX_EXIT.NEEDS_CONSENT, ['Keep the timer and confirm with dpdk-doctor fix --confirm <id>.'])
    }

    const base = {schema: APPLY_SCHEMA as typeof APPLY_SCHEMA, planId: plan.id, guest: plan.guest, loads: null as ApplyResult['loads'], confirmed: false, persisted: [] as string[]}
    if (pending.length === 0) {
      await site.audit({kind: 'result', action: 'apply', changeId: null, planId: plan.id, outcome: 'no-changes', exitCode: 0, fingerprintBefore: liveFingerprint, fingerprintAfter: liveFingerprint})
      return {
        ...base, id: null, status: 'no-changes', changed: false, message: 'nothing to change: the host already is in the planned state',
        steps: steps.map((s) => ({id: s.id, argv: s.argv, status: 'already-done' as const, exitCode: null, stderr: null})),
        verification: {ok: true, problems: []}, timer: {armed: false, pid: null, deadline: null}, journal: null, warnings: [], exitCode: 0,
      }
    }

    // Journal: the complete prior state of every touched device and every route through it, before the first change.
    const touched = [...new Set([...plan.devices, ...pending.flatMap((s) => (s.target.kind === 'address' || s.target.kind === 'arp' ? [s.target.dev] : s.target.kind === 'route' && s.target.route.dev ? [s.target.route.dev] : []))])]
    const id = newPlanId(now())
    const journal: Journal = {
      schema: 'dpdk-doctor/fix-journal@1', id, planId: plan.id, createdAt: now().toISOString(), updatedAt: now().toISOString(), status: 'in-progress',
      tool: TOOL, host: plan.host, user, fingerprintBefore: liveFingerprint,
      prior: {
        devices: touched.map((dev) => {
          const link = linkOf(live, dev)
          return {ifname: dev, flags: link?.flags ?? [], mtu: link?.mtu ?? null, operstate: link?.operstate ?? null, addresses: link?.addr_info ?? []}
        }),
        routes: routesTouching(live, touched),
        ...(ctx.persist && plan.persistence.length > 0 ? {files: snapshotFiles(plan.persistence)} : {}),
      },
      steps: steps.map((s) => ({...s, status: pending.includes(s) ? 'pending' : 'already-done'})),
      timer: {pid: null, deadline: null, armedAt: null},
      loadBefore: null,
    }
    await site.writeJournal(journal)
    lock.info.changeId = id

    // The revert timer is armed before the first change, so a lost session is always undone.
    if (!ctx.noRevertTimer) {
      const deadline = new Date(now().getTime() + ctx.confirmTimeoutMs)
      const {pid} = await site.armTimer(journal, deadline, lock.info.lockId)
      journal.timer = {pid, deadline: deadline.toISOString(), armedAt: now().toISOString()}
      await site.writeJournal(journal)
    }
    await site.audit({kind: 'intent', action: 'apply', changeId: id, planId: plan.id, argv: pending.map((s) => s.argv), fingerprintBefore: liveFingerprint, detail: {force: ctx.force, timer: journal.timer}})

    const outcomes = new Map<string, StepOutcome>(steps.map((s) => [s.id, {id: s.id, argv: s.argv, status: pending.includes(s) ? 'not-run' : 'already-done', exitCode: null, stderr: null}]))
    const setStatus = async (s: PlanStep, o: Partial<StepOutcome> & {status: StepOutcome['status']}) => {
      outcomes.set(s.id, {...outcomes.get(s.id)!, ...o})
      const js = journal.steps.find((x) => x.id === s.id)
      if (js) {
        js.status = o.status
        js.at = now().toISOString()
      }
      await site.writeJournal(journal)
    }

    const applied: PlanStep[] = []
    let failed: PlanStep | null = null
    for (const step of pending) {
      ctx.progress?.(`${step.id}: ${step.what}`)
      const r = await runner.run({argv: step.argv, timeoutMs: 10_000, env: stepEnv(step.argv, plan.host.ovsRundir)})
      const gone = ALREADY_GONE[step.kind]
      if (r.exitCode === 0) {
        applied.push(step)
        await setStatus(step, {status: 'applied', exitCode: 0})
        if (ctx.stepPauseMs) await sleep(ctx.stepPauseMs)
      } else if (gone && gone.test(r.stderr)) {
        await setStatus(step, {status: 'already-done', exitCode: r.exitCode, stderr: r.stderr.trim()})
      } else {
        failed = step
        await setStatus(step, {status: 'failed', exitCode: r.exitCode, stderr: r.stderr.trim() || r.error || (r.notFound ? `${r.argv[0]}: not found` : null)})
        break
      }
    }

    const finish = async (status: ApplyResult['status'], message: string, exitCode: number, problems: string[], warnings: string[] = []) => {
      await site.audit({kind: 'result', action: 'apply', changeId: id, planId: plan.id, argv: [...outcomes.values()].filter((o) => o.status !== 'not-run' && o.status !== 'already-done').map((o) => o.argv), outcome: status, exitCode, fingerprintBefore: liveFingerprint, detail: {steps: [...outcomes.values()], problems}})
      return {
        ...base, id, status, changed: status === 'applied', message, steps: [...outcomes.values()], verification: {ok: problems.length === 0 && status === 'applied', problems},
        timer: {armed: journal.timer.pid !== null, pid: journal.timer.pid, deadline: journal.timer.deadline}, journal: site.journalPath(id), warnings, exitCode,
      }
    }
    const stopTimer = async () => {
      if (journal.timer.pid !== null) await site.stopTimer(journal.timer.pid, id)
    }

    if (failed) {
      // Steps 1..k-1 are reverted, newest first; k+1.. never run.
      let revertOk = true
      for (const step of [...applied].reverse()) {
        // A reversible step without an inverse (an FDB flush) has nothing to put back.
        const r = step.inverseArgv ? await runner.run({argv: step.inverseArgv, timeoutMs: 10_000, env: stepEnv(step.inverseArgv, plan.host.ovsRundir)}) : null
        const ok = r === null ? step.reversible : r.exitCode === 0
        revertOk &&= ok
        await setStatus(step, {status: ok ? 'reverted' : 'revert-failed', exitCode: r?.exitCode ?? null, stderr: ok ? null : (r?.stderr.trim() ?? 'no inverse')})
      }
      const after = await readIpState(runner, netns)
      const problems = revertOk ? differences(journal, after) : ['a revert command failed']
      journal.status = problems.length === 0 ? 'reverted-after-failure' : 'rollback-failed'
      await site.writeJournal(journal)
      if (problems.length === 0) await stopTimer()
      const what = `${failed.id} (${failed.what}) failed: ${outcomes.get(failed.id)?.stderr ?? 'error'}`
      return problems.length === 0
        ? await finish('reverted', `${what}; the ${applied.length} applied step(s) were reverted and the host is as before`, FIX_EXIT.ROLLED_BACK, [])
        : await finish('rollback-failed', `${what}; reverting failed: ${problems.join('; ')}`, FIX_EXIT.ROLLBACK_FAILED, problems)
    }

    // Verify: re-read and check the intended post-state, with a few retries for convergence.
    let problems: string[] = []
    for (let attempt = 0; attempt < (ctx.verifyTries ?? 3); attempt++) {
      if (attempt > 0) await sleep(ctx.verifyDelayMs ?? 300)
      const after = await readIpState(runner, netns)
      problems = pending.filter((s) => stepDone(s, after) === false).map((s) => `${s.id} did not take effect: ${s.what}`)
      if (problems.length === 0) break
    }
    if (problems.length > 0) {
      const rb = await runRollback(runner, journal)
      journal.status = rb.problems.length === 0 ? 'reverted-after-failure' : 'rollback-failed'
      for (const step of applied) {
        const js = journal.steps.find((x) => x.id === step.id)
        if (js) js.status = rb.problems.length === 0 ? 'reverted' : 'revert-failed'
        outcomes.set(step.id, {...outcomes.get(step.id)!, status: rb.problems.length === 0 ? 'reverted' : 'revert-failed'})
      }
      await site.writeJournal(journal)
      if (rb.problems.length === 0) await stopTimer()
      return rb.problems.length === 0
        ? await finish('reverted', `verification failed (${problems.join('; ')}); the change was rolled back`, FIX_EXIT.ROLLED_BACK, problems)
        : await finish('rollback-failed', `verification failed (${problems.join('; ')}) and the rollback did not restore everything: ${rb.problems.join('; ')}`, FIX_EXIT.ROLLBACK_FAILED, [...problems, ...rb.problems])
    }

    if (ctx.persist && plan.persistence.length > 0) {
      journal.persisted = applyEdits(plan.persistence)
      base.persisted = journal.persisted
    }
    journal.status = 'applied'
    await site.writeJournal(journal)
    const timerNote = journal.timer.deadline
      ? `; it is rolled back at ${journal.timer.deadline} unless confirmed: dpdk-doctor fix ${site.hostArgs}--confirm ${id}`
      : '; no revert timer (--no-revert-timer)'
    return await finish('applied', `applied ${applied.length} step(s)${timerNote}`, 0, [], breaking.length > 0 ? [`applied with --force although: ${breaking.map((s) => s.impactReason).join('; ')}`] : [])
  } finally {
    await lock.release()
  }
}
