/**
 * fix --apply against a recording fake host (SAFETY A2-A9, A11, B13, B14): what runs, in which
 * order, what is refused with nothing run, and how failures are reverted.
 */
import {existsSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {DoctorError} from '../../src/errors.js'
import {applyPlan} from '../../src/fix/apply.js'
import {rollbackChange} from '../../src/fix/service.js'
import {journalFile, statePaths} from '../../src/fix/state-files.js'
import {FIX_EXIT} from '../../src/fix/types.js'
import type {Journal} from '../../src/fix/types.js'
import {brokenHostState, FakeHost} from './fake-host.js'
import {applyCtx, finding, ovsbr0Findings, planFor, stateEnv} from './helpers.js'

/** A route as JSON with sorted keys (the order ip prints keys in is not part of the state). */
const canonical = (r: object) => JSON.stringify(Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b))))

async function refusal(p: Promise<unknown>): Promise<DoctorError> {
  const error = await p.then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(DoctorError)
  return error as DoctorError
}

describe('the plan is exactly what apply runs (A2)', () => {
  it('runs the plan\'s argv, in order, and nothing else that mutates', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const plan = await planFor(host)
    const env = stateEnv()
    host.events = []
    const result = await applyPlan(applyCtx(host, plan, env))
    expect(result.status).toBe('applied')
    expect(host.mutating).toEqual(plan.steps.map((s) => s.argv))
    // Routes that go first, then one `ip addr del` per address (secondaries first), never flush.
    expect(plan.steps.map((s) => s.argv.slice(3).join(' '))).toEqual([
      'route del 203.0.113.0/24 via 10.10.1.254 dev ovsbr0',
      'route del 198.51.100.0/24 dev ovsbr0 table 100 scope link',
      'addr del 10.10.1.1/24 dev ovsbr0',
      'addr del 192.168.100.1/24 dev ovsbr0',
      'fdb/flush ovsbr0', // ovs-appctl -T 5: the MAC table relearns (below)
    ])
    expect(plan.steps.at(-1)!.argv).toEqual(['ovs-appctl', '-T', '5', 'fdb/flush', 'ovsbr0'])
    expect(host.calls.some((a) => a.includes('ip') && a.includes('flush'))).toBe(false)
  })
})

describe('ordering (A4, A7)', () => {
  it('the journal is written and the timer armed before the first mutating argv', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const plan = await planFor(host)
    const env = stateEnv()
    host.events = []
    // The first mutating command checks that the journal is already on disk, in-progress and 0600.
    let journalAtFirstChange: Journal | null = null
    const inner = host.run.bind(host)
    host.run = async (req) => {
      if (journalAtFirstChange === null && req.argv.includes('del')) {
        const [file] = [journalFile(statePaths(env), (host.events.find((e) => e.kind === 'timer-arm') as {id: string} | undefined)?.id ?? 'none')]
        journalAtFirstChange = existsSync(file!) ? (JSON.parse(readFileSync(file!, 'utf8')) as Journal) : ({status: 'missing'} as unknown as Journal)
        expect(statSync(file!).mode & 0o777).toBe(0o600)
      }
      return inner(req)
    }
    const result = await applyPlan(applyCtx(host, plan, env))
    const firstMutation = host.events.findIndex((e) => e.kind === 'run' && e.argv.includes('del'))
    const arm = host.events.findIndex((e) => e.kind === 'timer-arm')
    expect(arm).toBeGreaterThanOrEqual(0)
    expect(arm).toBeLessThan(firstMutation)
    expect(journalAtFirstChange!.status).toBe('in-progress')
    expect(journalAtFirstChange!.timer.pid).toBe(424242)
    // The journal has the complete prior state: both addresses and every route through ovsbr0 in all tables.
    expect(journalAtFirstChange!.prior.devices.find((d) => d.ifname === 'ovsbr0')!.addresses.map((a) => a.local)).toEqual(['192.168.100.1', '10.10.1.1'])
    expect(journalAtFirstChange!.prior.routes.map((r) => `${r.table ?? 'main'} ${r.dst}`).sort()).toEqual(['100 198.51.100.0/24', 'main 10.10.1.0/24', 'main 192.168.100.0/24', 'main 203.0.113.0/24'])
    expect(result.timer).toMatchObject({armed: true, pid: 424242})
  })

  it('--force on a breaking plan still arms the timer before the first change (B13)', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const env = stateEnv()
    const ssh = {...env, SSH_CONNECTION: '198.51.100.7 51000 10.10.1.1 22'}
    const plan = await planFor(host, ovsbr0Findings(), ssh)
    host.events = []
    const result = await applyPlan(applyCtx(host, plan, ssh, {force: true}))
    expect(result.status).toBe('applied')
    const firstMutation = host.events.findIndex((e) => e.kind === 'run' && e.argv.includes('del'))
    expect(host.events.findIndex((e) => e.kind === 'timer-arm')).toBeLessThan(firstMutation)
    expect(result.warnings.join(' ')).toContain('10.10.1.1 carries the SSH session from 198.51.100.7')
  })
})

describe('failures (A8, A9)', () => {
  it('a failure at step 2 of 3 reverts step 1, never runs step 3, and reports each step', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const plan = await planFor(host, [finding('internal-port-has-ip', 'ovsbr0', [{kind: 'remove-address', ifname: 'ovsbr0', address: '10.10.1.1', prefixlen: 24, family: 'inet'}]),
      finding('kernel-route-via-internal-port', 'ovsbr0', [{kind: 'remove-route', dst: '203.0.113.0/24', dev: 'ovsbr0', table: 'main', gateway: '10.10.1.254'}]),
      finding('dpdk-nic-kernel-active', 'ovsbr0', [{kind: 'set-arp-off', ifname: 'ovsbr0'}])])
    expect(plan.steps.map((s) => s.kind)).toEqual(['remove-route', 'remove-address', 'set-arp-off', 'ovs-fdb-flush'])
    const [s1, s2, s3, s4] = plan.steps
    host.failures.set(s2!.argv.join(' '), {exitCode: 2, stderr: 'RTNETLINK answers: Operation not permitted'})
    const env = stateEnv()
    host.events = []
    const result = await applyPlan(applyCtx(host, plan, env))
    expect(result.exitCode).toBe(FIX_EXIT.ROLLED_BACK)
    expect(result.status).toBe('reverted')
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([[s1!.id, 'reverted'], [s2!.id, 'failed'], [s3!.id, 'not-run'], [s4!.id, 'not-run']])
    expect(host.mutating).toEqual([s1!.argv, s2!.argv, s1!.inverseArgv])
    expect(host.calls).not.toContainEqual(s3!.argv)
    expect(host.calls).not.toContainEqual(s4!.argv)
    expect(host.state.routes.some((r) => r.dst === '203.0.113.0/24')).toBe(true)
    const journal = JSON.parse(readFileSync(journalFile(statePaths(env), result.id!), 'utf8')) as Journal
    expect(journal.status).toBe('reverted-after-failure')
    expect(host.events.some((e) => e.kind === 'timer-stop')).toBe(true)
  })

  it('a change that does not stick fails verification: rolled back, exit 13', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const plan = await planFor(host)
    const last = plan.steps.filter((s) => s.kind === 'remove-address').at(-1)!
    host.noops.add(last.argv.join(' '))
    const before = structuredClone(host.state)
    const result = await applyPlan(applyCtx(host, plan, stateEnv()))
    expect(result.exitCode).toBe(FIX_EXIT.ROLLED_BACK)
    expect(result.verification.problems.join(' ')).toContain('did not take effect')
    expect(host.mutating.some((a) => a.includes('replace'))).toBe(true)
    const sorted = (s: typeof before) => JSON.stringify({l: s.links.map((l) => [l.ifname, l.addr_info.map((a) => a.local).sort()]), r: s.routes.map(canonical).sort()})
    expect(sorted(host.state)).toEqual(sorted(before))
  })

  it('a step whose target is already gone counts as done (idempotent verbs)', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const plan = await planFor(host)
    const addrStep = plan.steps.find((s) => s.kind === 'remove-address')!
    host.failures.set(addrStep.argv.join(' '), {exitCode: 2, stderr: 'Error: ipv4: Address not found.'})
    const result = await applyPlan(applyCtx(host, plan, stateEnv()))
    expect(result.steps.find((s) => s.id === addrStep.id)!.status).toBe('already-done')
  })
})

describe('refusals run nothing (A3, A10, B13, B14)', () => {
  it('a stale plan (an address added since) is refused with exit 11 and no mutation', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const plan = await planFor(host)
    host.state.links.find((l) => l.ifname === 'ovsbr0')!.addr_info.push({family: 'inet', local: '10.10.1.7', prefixlen: 24, scope: 'global', label: 'ovsbr0'})
    host.events = []
    const error = await refusal(applyPlan(applyCtx(host, plan, stateEnv(), {checkFingerprint: true})))
    expect(error.exit).toBe(FIX_EXIT.STALE_PLAN)
    expect(error.message).toContain('plan is stale')
    expect(host.mutating).toEqual([])
  })

  it('a plan copied to another machine is refused with exit 11', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const plan = await planFor(host)
    host.events = []
    const error = await refusal(applyPlan(applyCtx(host, plan, stateEnv(), {checkFingerprint: true, machineId: 'ffffffffffffffffffffffffffffffff'})))
    expect(error.exit).toBe(FIX_EXIT.STALE_PLAN)
    expect(error.message).toContain('machine')
    expect(host.mutating).toEqual([])
  })

  it('SSH_CONNECTION on an ovsbr0 address: refused with exit 10, nothing run', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const plan = await planFor(host)
    host.events = []
    const env = {...stateEnv(), SSH_CONNECTION: '198.51.100.7 51000 192.168.100.1 22'}
    const error = await refusal(applyPlan(applyCtx(host, plan, env)))
    expect(error.exit).toBe(FIX_EXIT.REFUSED_LOCKOUT)
    expect(error.message).toContain('192.168.100.1 carries the SSH session')
    expect(host.mutating).toEqual([])
    expect(host.events.some((e) => e.kind === 'timer-arm')).toBe(false)
  })

  it('the default route through ovsbr0 is protected: refused with exit 10', async () => {
    const host = new FakeHost(brokenHostState({defaultVia: 'ovsbr0'}), 'ns1')
    const plan = await planFor(host)
    expect(plan.steps.find((s) => s.target.kind === 'route' && s.target.route.dst === 'default')!.managementImpact).toBe('breaks')
    const error = await refusal(applyPlan(applyCtx(host, plan, stateEnv())))
    expect(error.exit).toBe(FIX_EXIT.REFUSED_LOCKOUT)
    expect(error.message).toContain('removes the default route')
  })

  it('`ss` missing: the protected set is unknown, treated as breaking, refused with a --force suggestion (B14)', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    host.ssOutput = null
    const plan = await planFor(host)
    expect(plan.steps.every((s) => s.managementImpact === 'unknown')).toBe(true)
    host.events = []
    const error = await refusal(applyPlan(applyCtx(host, plan, stateEnv())))
    expect(error.exit).toBe(FIX_EXIT.REFUSED_LOCKOUT)
    expect(error.message).toContain('`ss` is not installed')
    expect(error.suggestions.join(' ')).toMatch(/console|--force/)
    expect(host.mutating).toEqual([])
  })

  it('an irreversible step is refused without --allow-irreversible (exit 15) and runs with it', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const plan = await planFor(host, [finding('some-rule', 'dpdk0', [{kind: 'ovs-set', table: 'Interface', record: 'dpdk0', column: 'options:n_rxq', value: '2'}])])
    expect(plan.steps[0]).toMatchObject({kind: 'ovs-set', reversible: false, inverseArgv: null})
    host.events = []
    const error = await refusal(applyPlan(applyCtx(host, plan, stateEnv())))
    expect(error.exit).toBe(FIX_EXIT.NEEDS_CONSENT)
    expect(host.mutating).toEqual([])
    const ok = await applyPlan(applyCtx(host, plan, stateEnv(), {allowIrreversible: true}))
    expect(ok.status).toBe('applied')
  })

  it('--no-revert-timer without --force is refused (exit 15)', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const plan = await planFor(host)
    const error = await refusal(applyPlan(applyCtx(host, plan, stateEnv(), {noRevertTimer: true})))
    expect(error.exit).toBe(FIX_EXIT.NEEDS_CONSENT)
  })
})

describe('idempotency (A6)', () => {
  it('apply on an already-fixed host and a second rollback run no mutating command', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const plan = await planFor(host)
    const env = stateEnv()
    const first = await applyPlan(applyCtx(host, plan, env))
    expect(first.status).toBe('applied')
    host.events = []
    const second = await applyPlan(applyCtx(host, plan, env))
    expect(second).toMatchObject({status: 'no-changes', changed: false, exitCode: 0})
    expect(second.message).toMatch(/nothing to change/)
    expect(host.mutating).toEqual([])

    const timer = host.timer()
    const rb1 = await rollbackChange({changeId: first.id, by: 'user', env, runner: host, timer})
    expect(rb1).toMatchObject({status: 'rolled-back', exitCode: 0})
    expect(host.state.routes.some((r) => r.table === '100')).toBe(true)
    host.events = []
    const rb2 = await rollbackChange({changeId: first.id, by: 'user', env, runner: host, timer})
    expect(rb2).toMatchObject({status: 'no-changes', changed: false, exitCode: 0})
    expect(host.mutating).toEqual([])
  })

  it('the journal is valid and in-progress when the apply dies after its first change; rollback then restores it (A4)', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const before = structuredClone(host.state)
    const plan = await planFor(host)
    const env = stateEnv()
    const inner = host.run.bind(host)
    let mutations = 0
    host.run = async (req) => {
      const r = await inner(req)
      if (req.argv.includes('del') && ++mutations === 1) throw new Error('SIGKILL (simulated)')
      return r
    }
    await expect(applyPlan(applyCtx(host, plan, env))).rejects.toThrow('SIGKILL')
    host.run = inner
    const paths = statePaths(env)
    const {readdirSync} = await import('node:fs')
    const [file] = readdirSync(paths.journalDir).filter((f) => f.endsWith('.json'))
    const journal = JSON.parse(readFileSync(`${paths.journalDir}/${file}`, 'utf8')) as Journal
    expect(journal.status).toBe('in-progress')
    const rb = await rollbackChange({changeId: journal.id, by: 'user', env, runner: host, timer: host.timer()})
    expect(rb.exitCode).toBe(0)
    const sorted = (s: typeof before) => JSON.stringify({l: s.links.map((l) => [l.ifname, l.addr_info.map((a) => a.local).sort()]), r: s.routes.map(canonical).sort()})
    expect(sorted(host.state)).toEqual(sorted(before))
  })
})

describe('the lock (A11)', () => {
  it('two applies at once: one applies, the other is refused with exit 12 naming the holder', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    host.delayMs = 30
    const plan = await planFor(host)
    const env = stateEnv()
    const outcomes = await Promise.allSettled([applyPlan(applyCtx(host, plan, env)), applyPlan(applyCtx(host, plan, env))])
    const applied = outcomes.filter((o) => o.status === 'fulfilled' && o.value.status === 'applied')
    const locked = outcomes.filter((o) => o.status === 'rejected' && (o.reason as DoctorError).exit === FIX_EXIT.LOCKED)
    expect(applied).toHaveLength(1)
    expect(locked).toHaveLength(1)
    expect(((locked[0] as PromiseRejectedResult).reason as Error).message).toMatch(/another dpdk-doctor fix is running: pid \d+/)
  })

  it('a stale lock (dead pid) is reported with its id, and --force-unlock needs that exact id', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const plan = await planFor(host)
    const env = stateEnv()
    const paths = statePaths(env)
    const {mkdirSync} = await import('node:fs')
    mkdirSync(`${env.DPDK_DOCTOR_STATE_DIR}`, {recursive: true})
    writeFileSync(paths.lockFile, JSON.stringify({lockId: 'deadbeef', pid: 2 ** 22 + 12345, user: 'root', startedAt: '2026-01-01T00:00:00Z', command: 'fix --apply', changeId: null}))
    const stale = await refusal(applyPlan(applyCtx(host, plan, env)))
    expect(stale.exit).toBe(FIX_EXIT.LOCKED)
    expect(stale.message).toContain('stale lock')
    expect(stale.suggestions.join(' ')).toContain('--force-unlock deadbeef')
    const wrong = await refusal(applyPlan(applyCtx(host, plan, env, {forceUnlock: 'cafebabe'})))
    expect(wrong.exit).toBe(FIX_EXIT.LOCKED)
    const ok = await applyPlan(applyCtx(host, plan, env, {forceUnlock: 'deadbeef'}))
    expect(ok.status).toBe('applied')
    expect(existsSync(paths.lockFile)).toBe(false)
  })
})
