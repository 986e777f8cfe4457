/**
 * fix --host X --apply / --confirm / --rollback through the built CLI and a real sshd (test/engines/sshd.ts):
 * X is the sshd's namespace (veth devices made here, nothing else), its state dir a temp dir
 * (DPDK_DOCTOR_REMOTE_STATE_DIR). The plan is built here with the planner and the fingerprint
 * functions over a RemoteRunner (X has no OVS, so `fix --host` cannot judge it). Covered: apply,
 * confirm, rollback to identical `ip -j addr`/`ip -j route`; the ssh cut mid-apply (the CLI and
 * the sshd processes of the session SIGKILLed) and the sh timer on X putting the state back; two
 * applies (exit 12 naming the holder); a stale plan (exit 11); the session's own address (exit 10).
 */
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {execa} from 'execa'
import type {ResultPromise} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {HostRunner} from '../../src/exec/runner.js'
import type {RunRequest, Runner} from '../../src/exec/runner.js'
import {readIpState} from '../../src/fix/ip-state.js'
import {buildPlan} from '../../src/fix/planner.js'
import {bundleProtectedSet} from '../../src/fix/protected.js'
import {TIMER_MARK} from '../../src/fix/remote-timer.js'
import {RemoteRunner} from '../../src/remote/ssh.js'
import {diagnosisWith, finding} from '../fix/helpers.js'
import {makeState} from '../helpers/factory.js'
import {builtCli, gateEngines, ROOT} from './engines.js'
import {makeSshServer} from './sshd.js'
import type {SshServer} from './sshd.js'

class NetnsRunner implements Runner {
  private readonly host = new HostRunner()
  constructor(private readonly server: SshServer) {}
  run(request: RunRequest) {
    return this.host.run({...request, argv: this.server.inNs(request.argv)})
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls until check() is true (a bound on tries, never an assertion on time). */
async function until(check: () => boolean, what: string, tries = 600, everyMs = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return
    await sleep(everyMs)
  }
  throw new Error(`gave up waiting for ${what}`)
}

const canonical = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, canonical(x)])) : v

describe('fix --host X --apply over a real sshd', () => {
  gateEngines(['sshd', 'ssh', 'ssh-keygen', 'ssh-keyscan', 'unshare', 'ovs-vsctl', 'setsid', 'ss'])
  let server: SshServer
  let bin: string
  let remote: RemoteRunner
  let xState: string
  const machineId = fs.readFileSync('/etc/machine-id', 'utf8').trim()
  const started: number[] = []

  const ns = (...args: string[]) => execFileSync('ip', ['-n', server.netns, ...args], {encoding: 'utf8'})
  const addrs = (dev: string) => (JSON.parse(ns('-j', 'addr', 'show', 'dev', dev)) as Array<{addr_info: Array<{local: string}>}>)[0]!.addr_info.map((a) => a.local)
  const ipState = () => ({
    addr: canonical(JSON.parse(ns('-j', 'addr', 'show'))),
    route: (JSON.parse(ns('-j', 'route', 'show', 'table', 'all')) as unknown[]).map((r) => JSON.stringify(canonical(r))).sort(),
  })
  const journalDir = () => path.join(xState, 'journal')

  beforeAll(async () => {
    server = await makeSshServer({listen: ['10.99.0.1']})
    // X's own devices: ddx0 carries the address the plans remove; ddm0 an address a session can arrive on.
    // (veth pairs inside the namespace: this kernel has no dummy driver.)
    for (const [dev, addr] of [['ddx0', '10.98.0.1/24'], ['ddm0', '10.99.0.1/24']] as const) {
      ns('link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`)
      ns('addr', 'add', addr, 'dev', dev)
      ns('link', 'set', dev, 'up')
      ns('link', 'set', `${dev}p`, 'up')
    }
    // The link-local addresses settle (DAD) before any state is compared.
    await until(() => ns('-6', 'addr', 'show', 'tentative').trim() === '', 'IPv6 DAD in the namespace')
    await server.start()
    bin = (await builtCli()).bin
    xState = fs.mkdtempSync(path.join(server.dir, 'x-state-'))
    remote = new RemoteRunner(new NetnsRunner(server), 'dd-remote', {configFile: server.config, options: [], acceptNewHostKeys: false, controlDir: server.controlDir})
  })
  afterAll(async () => {
    // Timers this file started (their pid files on X), then everything else of the harness.
    for (const f of fs.existsSync(journalDir()) ? fs.readdirSync(journalDir()).filter((n) => n.endsWith('.timer-pid')) : []) {
      const pid = Number(fs.readFileSync(path.join(journalDir(), f), 'utf8'))
      if (isTimer(pid)) process.kill(pid, 'SIGTERM')
    }
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
    await server?.destroy()
  })

  const env = (extra: Record<string, string> = {}, controlDir = server.controlDir) => ({NODE_ENV: 'production', NO_COLOR: '1', DPDK_DOCTOR_SSH_CONTROL_DIR: controlDir, DPDK_DOCTOR_REMOTE_STATE_DIR: xState, ...extra})
  const spawnCli = (args: string[], extra: Record<string, string> = {}, controlDir?: string): ResultPromise => {
    const argv = server.inNs([process.execPath, bin, ...args])
    const child = execa(argv[0]!, argv.slice(1), {cwd: ROOT, reject: false, stdin: 'ignore', env: env(extra, controlDir), extendEnv: false})
    if (child.pid) started.push(child.pid)
    return child
  }
  const cli = async (args: string[], extra: Record<string, string> = {}, controlDir?: string) => {
    const r = await spawnCli(args, extra, controlDir)
    return {exitCode: r.exitCode ?? null, stdout: String(r.stdout), stderr: String(r.stderr)}
  }
  const hostArgs = () => ['--host', 'dd-remote', '--ssh-config', server.config]

  /** A plan that removes ADDR from DEV, made from X's state read over ssh, with X's machine id. */
  async function planRemoving(dev: string, addr: string): Promise<string> {
    // Each test starts from X's own state, whatever a failed one before it left.
    if (!addrs(dev).includes(addr)) ns('addr', 'add', `${addr}/24`, 'dev', dev)
    const ip = await readIpState(remote, null)
    const plan = buildPlan({
      diagnosis: diagnosisWith([finding('internal-port-has-ip', dev, [{kind: 'remove-address', ifname: dev, address: addr, prefixlen: 24, family: 'inet'}])]),
      state: makeState(), ip, protectedSet: bundleProtectedSet(ip), guest: {vmSubnet: null, vmAddresses: {}, guestConfigDir: null}, onlyDevices: [],
      host: {hostname: 'dd-remote', machineId, netns: null, ovsRundir: null}, source: {mode: 'live', bundle: null},
    })
    expect(plan.steps.map((s) => s.argv.join(' '))).toEqual([`ip addr del ${addr}/24 dev ${dev}`])
    const file = path.join(server.dir, `plan-${plan.id}.json`)
    fs.writeFileSync(file, JSON.stringify(plan, null, 2))
    return file
  }

  function isTimer(pid: number): boolean {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(TIMER_MARK)
    } catch {
      return false
    }
  }

  it('apply, confirm, rollback: the change, its files on X, and the state put back identical', async () => {
    const before = ipState()
    const plan = await planRemoving('ddx0', '10.98.0.1')
    const r = await cli(['fix', ...hostArgs(), '--apply', '--plan', plan, '--yes', '--json'])
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    const doc = JSON.parse(r.stdout) as {host: string; id: string; status: string; journal: string; timer: {armed: boolean; pid: number}; message: string}
    expect(doc).toMatchObject({host: 'dd-remote', status: 'applied', timer: {armed: true}})
    expect(doc.journal).toBe(`dd-remote:${journalDir()}/${doc.id}.json`)
    expect(doc.message).toContain(`dpdk-doctor fix --host dd-remote --confirm ${doc.id}`)
    expect(addrs('ddx0')).not.toContain('10.98.0.1')
    // X's state dir: the journal (0600, applied), the audit log (intent, result), no lock left; the timer runs there.
    const journal = path.join(journalDir(), `${doc.id}.json`)
    expect(fs.statSync(journal).mode & 0o777).toBe(0o600)
    expect((JSON.parse(fs.readFileSync(journal, 'utf8')) as {status: string; user: {sshConnection: string}}).status).toBe('applied')
    expect((JSON.parse(fs.readFileSync(journal, 'utf8')) as {user: {sshConnection: string}}).user.sshConnection).toMatch(/^127\.0\.0\.1 \d+ 127\.0\.0\.1 2222$/)
    const audit = fs.readFileSync(path.join(xState, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as {kind: string; changeId: string; outcome?: string})
    expect(audit.filter((a) => a.changeId === doc.id).map((a) => a.outcome ?? a.kind)).toEqual(['intent', 'applied'])
    expect(fs.existsSync(path.join(xState, 'dpdk-doctor.lock'))).toBe(false)
    expect(isTimer(doc.timer.pid)).toBe(true)
    expect(fs.readFileSync(`/proc/${doc.timer.pid}/cmdline`, 'utf8').split('\0')).toContain(doc.id)

    const c = await cli(['fix', ...hostArgs(), '--confirm', doc.id, '--json'])
    expect(c.exitCode, c.stderr + c.stdout).toBe(0)
    expect(JSON.parse(c.stdout)).toMatchObject({host: 'dd-remote', status: 'confirmed', timerStopped: true})
    expect(fs.existsSync(path.join(journalDir(), `${doc.id}.confirmed`))).toBe(true)
    await until(() => !isTimer(doc.timer.pid), 'the timer to end')
    expect(addrs('ddx0')).not.toContain('10.98.0.1')

    const human = await cli(['fix', ...hostArgs(), '--rollback', doc.id])
    expect(human.exitCode, human.stderr + human.stdout).toBe(0)
    expect(human.stdout).toMatch(/^host dd-remote:\nrolled back /)
    expect(ipState()).toEqual(before)
  })

  it('the ssh connection cut mid-apply (CLI and session sshd SIGKILLed): the timer on X puts the state back', async () => {
    const before = ipState()
    const plan = await planRemoving('ddx0', '10.98.0.1')
    const control = fs.mkdtempSync(path.join(server.dir, 'control-cut-'))
    const child = spawnCli(['fix', ...hostArgs(), '--apply', '--plan', plan, '--yes', '--confirm-timeout', '10s'], {DPDK_DOCTOR_STEP_PAUSE_MS: '120000'}, control)
    // Mid-apply: the step ran, the CLI pauses before the verification.
    await until(() => !addrs('ddx0').includes('10.98.0.1'), 'the step to run')
    const journalName = fs.readdirSync(journalDir()).filter((f) => f.endsWith('.json')).map((f) => ({f, t: fs.statSync(path.join(journalDir(), f)).mtimeMs})).sort((a, b) => b.t - a.t)[0]!.f
    const id = journalName.replace(/\.json$/, '')
    const sshdPid = Number(fs.readFileSync(path.join(server.dir, 'sshd.pid'), 'utf8'))
    const cutAt = Date.now()
    // Only what we started: the CLI (and its children), and the session processes under our sshd.
    const victims = [...tree(child.pid!), ...children(sshdPid).flatMap(tree)]
    expect(victims.some(isTimer)).toBe(false)
    for (const pid of victims) kill(pid)
    await child
    await until(() => addrs('ddx0').includes('10.98.0.1') && fs.existsSync(path.join(journalDir(), `${id}.timer`)), 'the timer to restore the address', 1200)
    const restoredS = (Date.now() - cutAt) / 1000
    console.log(`[ssh-fix] cut to restored: ${restoredS.toFixed(1)} s (confirm timeout 10 s from arming)`)
    await until(() => !fs.existsSync(path.join(journalDir(), `${id}.timer-pid`)), 'the timer to finish')
    expect(ipState()).toEqual(before)
    expect(fs.readFileSync(path.join(journalDir(), `${id}.timer`), 'utf8')).toMatch(/^status reverted$/m)
    expect(fs.existsSync(path.join(xState, 'dpdk-doctor.lock'))).toBe(false)
    // Reading the journal afterwards says what the timer did.
    const rb = await cli(['fix', ...hostArgs(), '--rollback', id, '--json'])
    expect({exitCode: rb.exitCode, stdout: rb.exitCode === 0 ? '' : rb.stdout + rb.stderr}).toEqual({exitCode: 0, stdout: ''})
    const rbDoc = JSON.parse(rb.stdout) as {status: string; message: string}
    expect(rbDoc.status).toBe('no-changes')
    expect(rbDoc.message).toMatch(/its revert timer on dd-remote already rolled it back at \S+ \(reverted\)/)
    const late = await cli(['fix', ...hostArgs(), '--confirm', id])
    expect(late.exitCode, late.stderr + late.stdout).toBe(13)
    expect(late.stderr).toMatch(/cannot be confirmed: it is rolled-back \(by its revert timer on dd-remote/)
  })

  it('two applies at once: the second is refused with exit 12 naming the holder', async () => {
    const plan = await planRemoving('ddx0', '10.98.0.1')
    const lock = path.join(xState, 'dpdk-doctor.lock')
    const first = spawnCli(['fix', ...hostArgs(), '--apply', '--plan', plan, '--yes', '--json'], {DPDK_DOCTOR_STEP_PAUSE_MS: '8000'})
    await until(() => fs.existsSync(lock), 'the first apply to take the lock on X')
    const holder = JSON.parse(fs.readFileSync(lock, 'utf8')) as {pid: number; lockId: string}
    const second = await cli(['fix', ...hostArgs(), '--apply', '--plan', plan, '--yes'])
    expect(second.exitCode, second.stderr + second.stdout).toBe(12)
    expect(second.stderr).toMatch(new RegExp(`another dpdk-doctor fix is running on dd-remote: pid ${holder.pid} on \\S+ \\(fix --apply, \\S+, since \\S+, lock ${holder.lockId}\\)`))
    const done = await first
    expect(done.exitCode, `${String(done.stderr)}${String(done.stdout)}`).toBe(0)
    const id = (JSON.parse(String(done.stdout)) as {id: string}).id
    const rb = await cli(['fix', ...hostArgs(), '--rollback', id])
    expect(rb.exitCode, rb.stderr + rb.stdout).toBe(0)
    expect(addrs('ddx0')).toContain('10.98.0.1')
  })

  it('a stale plan (X changed since) is refused with exit 11, nothing changed', async () => {
    const plan = await planRemoving('ddx0', '10.98.0.1')
    ns('addr', 'add', '10.98.0.2/24', 'dev', 'ddx0')
    try {
      const r = await cli(['fix', ...hostArgs(), '--apply', '--plan', plan, '--yes'])
      expect(r.exitCode, r.stderr + r.stdout).toBe(11)
      expect(r.stderr).toMatch(/plan is stale: the addresses, routes or links of ddx0 changed since it was made; nothing was changed/)
      expect(addrs('ddx0')).toEqual(expect.arrayContaining(['10.98.0.1', '10.98.0.2']))
    } finally {
      ns('addr', 'del', '10.98.0.2/24', 'dev', 'ddx0')
    }
  })

  it('a step that removes the address the ssh session arrives on is refused with exit 10', async () => {
    const plan = await planRemoving('ddm0', '10.99.0.1')
    const control = fs.mkdtempSync(path.join(server.dir, 'control-mgmt-'))
    const r = await cli(['fix', ...hostArgs(), '--ssh-option', 'HostName=10.99.0.1', '--apply', '--plan', plan, '--yes'], {}, control)
    expect(r.exitCode, r.stderr + r.stdout).toBe(10)
    expect(r.stderr).toMatch(/10\.99\.0\.1 carries the SSH session from 10\.99\.0\.1 \(SSH_CONNECTION\)/)
    expect(addrs('ddm0')).toContain('10.99.0.1')
  })
})

function children(pid: number): number[] {
  const out: number[] = []
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(e))
    } catch {
      // Gone.
    }
  }
  return out
}

function tree(pid: number): number[] {
  return [pid, ...children(pid).flatMap(tree)]
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}
