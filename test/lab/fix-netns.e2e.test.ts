/**
 * fix --apply / --rollback / --confirm for real, in network namespaces this test creates
 * (dd-fix-<random>; never the root namespace): a Linux bridge named ovsbr0 with 192.168.100.1/24
 * and 10.10.1.1/24, a default route, a static route and a route in table 100 through it. The OVS
 * tools are stubs answering like the lab's broken host, so the real diagnosis finds
 * internal-port-has-ip on this ovsbr0; every `ip` command is real.
 *
 * Needs root and `ip netns`. Under CI=true the tests fail when they cannot run; elsewhere they are
 * skipped with one line.
 */
import {execa, execaSync} from 'execa'
import type {ResultPromise} from 'execa'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {writeOvsStubs} from '../fix/ovs-stubs.js'
import {privateCli} from '../fix/private-cli.js'
import {isCI} from './harness.js'

const SBIN = '/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin'

function canRunNetns(): {ok: boolean; reason: string} {
  if (process.platform !== 'linux') return {ok: false, reason: 'not Linux'}
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {ok: false, reason: 'not root (network namespaces need CAP_SYS_ADMIN)'}
  try {
    const r = execaSync('ip', ['netns', 'list'], {reject: false, env: {PATH: SBIN}})
    if (r.exitCode !== 0) return {ok: false, reason: `\`ip netns list\` failed: ${String(r.stderr).trim()}`}
  } catch (error) {
    return {ok: false, reason: `\`ip\` unusable: ${(error as Error).message}`}
  }
  return {ok: true, reason: 'ok'}
}

// The same gate as the lab's gateLabTests(): fail under CI, skip with one line elsewhere.
const gate = canRunNetns()
if (!gate.ok && isCI()) {
  beforeAll(() => {
    throw new Error(`the fix netns tests cannot run on this CI machine: ${gate.reason}`)
  })
}
if (!gate.ok && !isCI()) {
  console.warn(`[fix-netns] skipping: ${gate.reason}`)
  beforeEach((ctx) => ctx.skip(true, gate.reason))
}

const work = mkdtempSync(join(tmpdir(), 'dd-fix-e2e-'))
const namespaces = new Set<string>()
let stubs = ''
let CLI = ''
let cliDir = ''

beforeAll(async () => {
  if (!gate.ok) return
  stubs = writeOvsStubs(work)
  ;({dir: cliDir, entry: CLI} = await privateCli())
}, 240_000)

afterAll(() => {
  for (const ns of namespaces) execaSync('ip', ['netns', 'del', ns], {reject: false, env: {PATH: SBIN}})
  rmSync(work, {recursive: true, force: true})
  if (cliDir) rmSync(cliDir, {recursive: true, force: true})
})

const ip = (ns: string, ...args: string[]) => execaSync('ip', ['-n', ns, ...args], {env: {PATH: SBIN}})

/** A namespace with ovsbr0 (a Linux bridge) carrying two addresses and routes in two tables. */
function makeNamespace(opts: {defaultRoute: boolean}): string {
  const ns = `dd-fix-${randomBytes(4).toString('hex')}`
  execaSync('ip', ['netns', 'add', ns], {env: {PATH: SBIN}})
  namespaces.add(ns)
  // IPv4 only: IPv6 link-local addresses and routes appear asynchronously and would make snapshots race.
  execaSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'], {env: {PATH: SBIN}})
  ip(ns, 'link', 'set', 'lo', 'up')
  ip(ns, 'link', 'add', 'ovsbr0', 'type', 'bridge')
  ip(ns, 'link', 'set', 'ovsbr0', 'up')
  ip(ns, 'addr', 'add', '192.168.100.1/24', 'dev', 'ovsbr0')
  ip(ns, 'addr', 'add', '10.10.1.1/24', 'dev', 'ovsbr0')
  if (opts.defaultRoute) ip(ns, 'route', 'add', 'default', 'via', '192.168.100.254')
  ip(ns, 'route', 'add', '203.0.113.0/24', 'via', '10.10.1.254')
  ip(ns, 'route', 'add', '198.51.100.0/24', 'dev', 'ovsbr0', 'table', '100')
  return ns
}

/** `ip -j addr` and `ip -j route show table all`, normalised: lifetimes and DAD state dropped, routes sorted. */
function snapshot(ns: string): {addr: unknown[]; route: string[]} {
  const links = JSON.parse(ip(ns, '-j', 'addr', 'show').stdout) as Array<Record<string, unknown> & {addr_info: Array<Record<string, unknown>>}>
  const addr = links.map((l) => ({
    ifname: l.ifname, flags: l.flags, mtu: l.mtu, address: l.address,
    addr_info: l.addr_info.map(({valid_life_time: _v, preferred_life_time: _p, tentative: _t, ...rest}) => rest),
  }))
  const route = (JSON.parse(ip(ns, '-j', 'route', 'show', 'table', 'all').stdout) as unknown[]).map((r) => JSON.stringify(r)).sort()
  return {addr, route}
}

let stateDir = ''
beforeEach(() => {
  stateDir = mkdtempSync(join(work, 'state-'))
})

/** End any revert timer this test's changes left (by the PID in their journal, after checking its cmdline). */
afterEach(() => {
  for (const j of journals()) {
    const pid = j.timer?.pid
    if (pid && existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(j.id)) process.kill(pid, 'SIGKILL')
  }
})

interface JournalDoc {id: string; status: string; timer: {pid: number | null; armedAt: string | null}; steps: Array<{id: string; status: string; at?: string}>}
function journals(): JournalDoc[] {
  const dir = join(stateDir, 'journal')
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter((f) => f.endsWith('.json')).flatMap((f) => {
    try {
      return [JSON.parse(readFileSync(join(dir, f), 'utf8')) as JournalDoc]
    } catch {
      return []
    }
  })
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  const {SSH_CONNECTION: _s, ...rest} = process.env as Record<string, string>
  return {...rest, DPDK_DOCTOR_PATH: stubs, DPDK_DOCTOR_STATE_DIR: stateDir, NO_COLOR: '1', ...extra}
}

function cli(args: string[], extra: Record<string, string> = {}, opts: {detached?: boolean} = {}): ResultPromise<{reject: false; stdin: 'ignore'; extendEnv: false}> {
  return execa(process.execPath, [CLI, ...args], {reject: false, stdin: 'ignore', env: env(extra), extendEnv: false, detached: opts.detached ?? false, timeout: 60_000}) as never
}

const json = (stdout: string) => JSON.parse(stdout) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function waitUntil(what: string, probe: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

describe('fix --apply then --rollback in a namespace (SAFETY A5, A6)', () => {
  it('restores ip -j addr and ip -j route show table all exactly, default route included; an addresses-only restore would not', async () => {
    const ns = makeNamespace({defaultRoute: true})
    const before = snapshot(ns)

    const applied = await cli(['fix', '--apply', '--yes', '--force', '--netns', ns, '--confirm-timeout', '60s', '--json'])
    expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0)
    const result = json(applied.stdout)
    expect(result.status).toBe('applied')
    // One ip addr del per address, never flush.
    const argvs = (result.steps as Array<{argv: string[]}>).map((s) => s.argv.join(' '))
    expect(argvs.filter((a) => a.includes('addr del'))).toEqual([`ip -n ${ns} addr del 10.10.1.1/24 dev ovsbr0`, `ip -n ${ns} addr del 192.168.100.1/24 dev ovsbr0`])
    expect(argvs.some((a) => /^ip .*\bflush\b/.test(a))).toBe(false)
    expect(argvs.at(-1)).toBe('ovs-appctl -T 5 fdb/flush ovsbr0') // the MAC table relearns; OVS tools are stubs here
    const changed = snapshot(ns)
    expect(changed.route.some((r) => r.includes('"dst":"default"'))).toBe(false)
    expect(JSON.stringify(changed.addr)).not.toContain('10.10.1.1')

    // Negative control: put back only the addresses (what a journal of addresses would do): not the same state.
    const journal = JSON.parse(readFileSync(join(stateDir, 'journal', `${result.id}.json`), 'utf8')) as {prior: {devices: Array<{ifname: string; addresses: Array<{local: string; prefixlen: number; scope?: string}>}>}}
    for (const a of journal.prior.devices[0]!.addresses.filter((x) => x.scope === 'global')) ip(ns, 'addr', 'replace', `${a.local}/${a.prefixlen}`, 'dev', 'ovsbr0')
    const addressesOnly = snapshot(ns)
    expect(addressesOnly.addr).toEqual(before.addr)
    expect(addressesOnly.route).not.toEqual(before.route) // the default, static and table-100 routes are gone
    expect(addressesOnly.route.some((r) => r.includes('"dst":"default"'))).toBe(false)

    const rolled = await cli(['fix', '--rollback', result.id, '--json'])
    expect(rolled.exitCode, rolled.stdout + rolled.stderr).toBe(0)
    expect(json(rolled.stdout).status).toBe('rolled-back')
    expect(snapshot(ns)).toEqual(before)

    // A second rollback finds nothing to do and runs no mutating command.
    const again = await cli(['fix', '--rollback', result.id, '--json'])
    expect(again.exitCode).toBe(0)
    expect(json(again.stdout)).toMatchObject({status: 'no-changes', changed: false, commands: []})
    expect(snapshot(ns)).toEqual(before)

    // The audit log pairs intent and result records and is 0600 (SAFETY D29).
    const audit = readFileSync(join(stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as {kind: string; action: string})
    expect(audit.filter((r) => r.action === 'apply').map((r) => r.kind)).toEqual(['intent', 'result'])
    expect(audit.filter((r) => r.action === 'rollback').map((r) => r.kind)).toEqual(['intent', 'result', 'intent', 'result'])
    expect(statSync(join(stateDir, 'audit.jsonl')).mode & 0o777).toBe(0o600)
    expect(statSync(join(stateDir, 'journal', `${result.id}.json`)).mode & 0o777).toBe(0o600)
  })
})

describe('the revert timer outlives the CLI (SAFETY A7)', () => {
  for (const signal of ['SIGKILL', 'SIGHUP'] as const) {
    it(`${signal} of the CLI right after its first change: the revert process restores the prior state within its timeout`, async () => {
      const ns = makeNamespace({defaultRoute: true})
      const before = snapshot(ns)
      // Pause after each step so the signal lands right after the first change.
      const child = cli(['fix', '--apply', '--yes', '--force', '--netns', ns, '--confirm-timeout', '3s', '--json'], {DPDK_DOCTOR_STEP_PAUSE_MS: '2000'}, {detached: true})
      await waitUntil('the first change', () => journals().some((j) => j.steps.some((s) => s.status === 'applied')), 20_000)
      const [journal] = journals()
      expect(journal!.status).toBe('in-progress')
      expect(journal!.steps.filter((s) => s.status === 'applied')).toHaveLength(1)
      expect(snapshot(ns)).not.toEqual(before)
      // SIGHUP goes to the CLI's whole process group, as a terminal hang-up does; SIGKILL to the CLI.
      process.kill(signal === 'SIGHUP' ? -child.pid! : child.pid!, signal)
      const ended = await child
      expect(ended.signal).toBe(signal)
      await waitUntil('the revert timer to restore the state', () => JSON.stringify(snapshot(ns)) === JSON.stringify(before), 3_000 + 10_000)
      expect(snapshot(ns)).toEqual(before)
      await waitUntil('the journal to say rolled-back', () => journals()[0]?.status === 'rolled-back', 5_000)
    })
  }

  it('confirmed within the window: the change stays after the timeout', async () => {
    const ns = makeNamespace({defaultRoute: true})
    // A window the confirm's own start-up fits in on a loaded machine (3 s was missed at load 10).
    const applied = await cli(['fix', '--apply', '--yes', '--force', '--netns', ns, '--confirm-timeout', '6s', '--json'])
    expect(applied.exitCode, applied.stderr).toBe(0)
    const id = json(applied.stdout).id as string
    const pid = json(applied.stdout).timer.pid as number
    expect(existsSync(`/proc/${pid}`)).toBe(true)
    const confirmed = await cli(['fix', '--confirm', id, '--json'])
    expect(confirmed.exitCode, confirmed.stderr).toBe(0)
    expect(json(confirmed.stdout)).toMatchObject({status: 'confirmed', timerStopped: true})
    const after = snapshot(ns)
    await sleep(8_000)
    expect(snapshot(ns)).toEqual(after)
    expect(JSON.stringify(after.addr)).not.toContain('192.168.100.1')
    expect(journals()[0]!.status).toBe('confirmed')
  })
})

describe('lock-out prevention (SAFETY B13)', () => {
  it('SSH_CONNECTION naming an address on ovsbr0: refused with exit 10, nothing changed', async () => {
    const ns = makeNamespace({defaultRoute: false})
    const before = snapshot(ns)
    const r = await cli(['fix', '--apply', '--yes', '--netns', ns, '--json'], {SSH_CONNECTION: '198.51.100.7 51000 10.10.1.1 22'})
    expect(r.exitCode).toBe(10)
    const error = json(r.stdout).error
    expect(error).toMatchObject({code: 'E_REFUSED_LOCKOUT', exit: 10})
    expect(error.message).toContain('10.10.1.1 carries the SSH session from 198.51.100.7')
    expect(r.stderr).toBe('')
    expect(snapshot(ns)).toEqual(before)
    expect(journals()).toEqual([])
  })

  it('with --force the revert timer is armed before the first change', async () => {
    const ns = makeNamespace({defaultRoute: false})
    const r = await cli(['fix', '--apply', '--yes', '--force', '--netns', ns, '--confirm-timeout', '30s', '--json'], {SSH_CONNECTION: '198.51.100.7 51000 10.10.1.1 22'})
    expect(r.exitCode, r.stderr).toBe(0)
    const [journal] = journals()
    const firstChange = journal!.steps.filter((s) => s.status === 'applied').map((s) => s.at!).sort()[0]!
    expect(journal!.timer.pid).toBeGreaterThan(0)
    expect(Date.parse(journal!.timer.armedAt!)).toBeLessThanOrEqual(Date.parse(firstChange))
    expect(json(r.stdout).warnings.join(' ')).toContain('carries the SSH session')
    const rolled = await cli(['fix', '--rollback', journal!.id, '--json'])
    expect(rolled.exitCode).toBe(0)
  })
})

describe('saved plans (SAFETY A3)', () => {
  it('a plan saved with --plan-out is refused (exit 11, nothing changed) once an address was added to ovsbr0; a fresh one applies', async () => {
    const ns = makeNamespace({defaultRoute: false})
    const planFile = join(stateDir, 'plan.json')
    const planned = await cli(['fix', '--netns', ns, '--plan-out', planFile, '--json'])
    expect(planned.exitCode, planned.stderr).toBe(0)
    ip(ns, 'addr', 'add', '10.10.1.7/24', 'dev', 'ovsbr0')
    const before = snapshot(ns)
    const stale = await cli(['fix', '--apply', '--yes', '--plan', planFile, '--json'])
    expect(stale.exitCode).toBe(11)
    expect(json(stale.stdout).error.message).toContain('plan is stale')
    expect(snapshot(ns)).toEqual(before)
    expect(journals()).toEqual([])

    const fresh = await cli(['fix', '--netns', ns, '--plan-out', planFile, '--json'])
    expect(fresh.exitCode).toBe(0)
    const applied = await cli(['fix', '--apply', '--yes', '--plan', planFile, '--confirm-timeout', '60s', '--json'])
    expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0)
    expect((json(applied.stdout).steps as Array<{argv: string[]}>).map((s) => s.argv)).toEqual((json(fresh.stdout).steps as Array<{argv: string[]}>).map((s) => s.argv))
  })
})

describe('idempotency and the lock (SAFETY A6, A11)', () => {
  it('apply twice: the second run changes nothing and says so', async () => {
    const ns = makeNamespace({defaultRoute: false})
    const first = await cli(['fix', '--apply', '--yes', '--netns', ns, '--confirm-timeout', '60s', '--json'])
    expect(first.exitCode, first.stderr).toBe(0)
    const afterFirst = snapshot(ns)
    const second = await cli(['fix', '--apply', '--yes', '--netns', ns, '--confirm-timeout', '60s'])
    expect(second.exitCode, second.stderr).toBe(0)
    expect(second.stdout).toMatch(/nothing to change/i)
    expect(snapshot(ns)).toEqual(afterFirst)
    expect(journals()).toHaveLength(1)
  })

  it('two applies at once: one applies, the other is refused as locked, never both', async () => {
    const ns = makeNamespace({defaultRoute: false})
    const extra = {DPDK_DOCTOR_STEP_PAUSE_MS: '700'} // hold the lock long enough to overlap
    const [a, b] = await Promise.all([
      cli(['fix', '--apply', '--yes', '--netns', ns, '--confirm-timeout', '60s', '--json'], extra),
      cli(['fix', '--apply', '--yes', '--netns', ns, '--confirm-timeout', '60s', '--json'], extra),
    ])
    const outcomes = [a, b].map((r) => (r.exitCode === 0 ? json(r.stdout).status : `exit ${r.exitCode}`)).sort()
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1)
    expect(outcomes).toContain('exit 12')
    const locked = [a, b].find((r) => r.exitCode === 12)!
    expect(json(locked.stdout).error.message).toMatch(/another dpdk-doctor fix is running: pid \d+/)
    expect(journals()).toHaveLength(1)
  })
})
