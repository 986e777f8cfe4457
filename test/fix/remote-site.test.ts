/**
 * fix --host X's host side without ssh: the generated revert timer run through a real /bin/sh
 * (hostile words arrive as the same argv, "File exists" counts as put back, the confirm marker
 * and SIGTERM end it, the lock of the apply that armed it is taken over at once), and the
 * RemoteSite's scripts run by a local sh standing in for the remote shell (lock, journal, audit,
 * marker, timer arm/stop), then applyPlan through that site against the fake host.
 */
import {spawn} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {DoctorError} from '../../src/errors.js'
import {HostRunner, SYSTEM_PATH} from '../../src/exec/runner.js'
import type {RunRequest, RunResult} from '../../src/exec/runner.js'
import {applyPlan} from '../../src/fix/apply.js'
import {RemoteSite, withTimerOutcome} from '../../src/fix/remote-site.js'
import {parseTimerOutcome, restoreCommands, revertTimerScript, TIMER_MARK, timerFiles} from '../../src/fix/remote-timer.js'
import {confirmChange, rollbackChange} from '../../src/fix/service.js'
import {statePaths} from '../../src/fix/state-files.js'
import type {Journal} from '../../src/fix/types.js'
import type {RemoteRunner} from '../../src/remote/ssh.js'
import {brokenHostState, FakeHost} from './fake-host.js'
import {applyCtx, planFor, tempDir} from './helpers.js'

const HOSTILE_LABEL = `ovsbr0:x'; touch PWNED; echo '`
const HOSTILE_TABLE = '$(touch PWNED2)'

function journalWith(dir: string, overrides: Partial<Journal> = {}): Journal {
  return {
    schema: 'dpdk-doctor/fix-journal@1', id: '20261202-180000-abcdef', planId: 'p1', createdAt: '2026-12-02T18:00:00Z', updatedAt: '2026-12-02T18:00:00Z', status: 'applied',
    tool: {name: 'dpdk-doctor', version: '0'}, host: {hostname: 'x', machineId: null, netns: null, ovsRundir: null}, user: {uid: 0, user: 'root', sudoUser: null, sshConnection: null},
    fingerprintBefore: 'sha256:0',
    prior: {
      devices: [{ifname: 'ovsbr0', flags: ['BROADCAST', 'UP'], mtu: 1500, operstate: 'UP', addresses: [
        {family: 'inet', local: '10.10.1.1', prefixlen: 24, label: HOSTILE_LABEL, valid_life_time: 4294967295},
        {family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link'},
      ]}],
      routes: [
        {dst: 'default', gateway: '10.10.1.254', dev: 'ovsbr0'},
        {dst: '198.51.100.0/24', dev: 'ovsbr0', table: HOSTILE_TABLE, scope: 'link'},
      ],
    },
    steps: [], timer: {pid: null, deadline: null, armedAt: null}, loadBefore: null,
    ...overrides,
  } as Journal
}

/** A stub `ip` that records each argv as one JSON line and answers per its first words. */
function stubDir(root: string, behaviour = ''): {dir: string; log: string} {
  const dir = join(root, 'bin')
  mkdirSync(dir, {recursive: true})
  const log = join(root, 'ip.log')
  writeFileSync(join(dir, 'ip'), `#!/bin/sh
node -e 'process.stdout.write(JSON.stringify(process.argv.slice(1))+"\\n")' -- "$@" >> '${log}'
${behaviour}
exit 0
`)
  chmodSync(join(dir, 'ip'), 0o755)
  return {dir, log}
}

const stubPath = (dir: string) => `${dir}:${process.env.PATH ?? SYSTEM_PATH}`

function runTimer(script: string, file: string, id: string): Promise<number | null> {
  writeFileSync(file, script)
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', [file, TIMER_MARK, id], {stdio: 'ignore', cwd: '/'})
    child.on('exit', (code) => resolve(code))
  })
}

describe('the remote revert timer (a generated POSIX sh script)', () => {
  it('at the deadline puts back every journaled address and route, hostile words as the same argv, and records it', async () => {
    const root = tempDir('dd-rtimer-')
    const {dir, log} = stubDir(root)
    const journal = journalWith(root)
    const paths = statePaths({DPDK_DOCTOR_STATE_DIR: root})
    mkdirSync(paths.journalDir, {recursive: true})
    const script = revertTimerScript({journal, journalDir: paths.journalDir, lockFile: paths.lockFile, auditFile: paths.auditFile, seconds: 0, applyLockId: 'aaaa', path: stubPath(dir)})
    const code = await runTimer(script, join(root, 't.sh'), journal.id)
    expect(code).toBe(0)
    const all = readFileSync(log, 'utf8').trim().split('\n').map((l) => ['ip', ...(JSON.parse(l) as string[])])
    // Each restore after its read-only look (the stub finds nothing, so every one runs).
    expect(all).toEqual(restoreCommands(journal).flatMap((c) => (c.check ? [c.check.argv, c.argv] : [c.argv])))
    const ran = all.filter((a) => !a.includes('show'))
    // Addresses (not the link-local one), link settings, then routes with the default last.
    expect(ran.map((a) => a.slice(1, 3).join(' '))).toEqual(['addr replace', 'link set', 'link set', 'route replace', 'route replace'])
    expect(ran.at(-1)).toEqual(['ip', 'route', 'replace', 'default', 'via', '10.10.1.254', 'dev', 'ovsbr0'])
    expect(ran[0]).toContain(HOSTILE_LABEL)
    expect(ran[3]).toContain(HOSTILE_TABLE)
    expect(['/PWNED', '/PWNED2', join(root, 'PWNED'), join(root, 'PWNED2')].filter((f) => existsSync(f))).toEqual([])
    const outcome = parseTimerOutcome(readFileSync(timerFiles(paths.journalDir, journal.id).outcome, 'utf8'))
    expect(outcome).toMatchObject({status: 'reverted'})
    expect(outcome!.commands).toHaveLength(5)
    const audit = readFileSync(paths.auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as {outcome: string; changeId: string; action: string})
    expect(audit).toEqual([expect.objectContaining({action: 'rollback', outcome: 'reverted', changeId: journal.id})])
    expect(statSync(paths.auditFile).mode & 0o077).toBe(0)
    // The lock it took is gone again; so is its pid file.
    expect(existsSync(paths.lockFile)).toBe(false)
    expect(existsSync(timerFiles(paths.journalDir, journal.id).pid)).toBe(false)
  })

  it('what is already there is left alone: no replace for an address or route the look finds', async () => {
    const root = tempDir('dd-rtimer-')
    const {dir, log} = stubDir(root, `case "$*" in *'addr show dev ovsbr0 to 10.10.1.1/32'*) echo '5: ovsbr0    inet 10.10.1.1/24 scope global ovsbr0'; exit 0;; *'route show table main exact default'*) echo 'default via 10.10.1.254'; exit 0;; esac`)
    const journal = journalWith(root)
    const paths = statePaths({DPDK_DOCTOR_STATE_DIR: root})
    mkdirSync(paths.journalDir, {recursive: true})
    const code = await runTimer(revertTimerScript({journal, journalDir: paths.journalDir, lockFile: paths.lockFile, auditFile: paths.auditFile, seconds: 0, applyLockId: 'aaaa', path: stubPath(dir)}), join(root, 't.sh'), journal.id)
    expect(code).toBe(0)
    const ran = readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as string[]).slice(0, 2).join(' ')).filter((w) => !w.endsWith('show') && !w.startsWith('-o'))
    expect(ran).toEqual(['link set', 'link set', 'route replace'])
  })

  it('"File exists" counts as put back; any other failure is revert-failed, exit 14', async () => {
    const root = tempDir('dd-rtimer-')
    const {dir} = stubDir(root, `case "$*" in *'addr replace'*) echo 'RTNETLINK answers: File exists' >&2; exit 2;; *default*) echo 'Error: Nexthop has invalid gateway.' >&2; exit 2;; esac`)
    const journal = journalWith(root)
    const paths = statePaths({DPDK_DOCTOR_STATE_DIR: root})
    mkdirSync(paths.journalDir, {recursive: true})
    const code = await runTimer(revertTimerScript({journal, journalDir: paths.journalDir, lockFile: paths.lockFile, auditFile: paths.auditFile, seconds: 0, applyLockId: 'aaaa', path: stubPath(dir)}), join(root, 't.sh'), journal.id)
    expect(code).toBe(14)
    const outcome = parseTimerOutcome(readFileSync(timerFiles(paths.journalDir, journal.id).outcome, 'utf8'))!
    expect(outcome.status).toBe('revert-failed')
    expect(outcome.commands.map((c) => c.exitCode)).toEqual([0, 0, 0, 0, 2])
    expect(outcome.commands[4]!.stderr).toBe('Error: Nexthop has invalid gateway.')
  })

  it('a confirm marker ends it without running anything; so does SIGTERM during its sleep', async () => {
    const root = tempDir('dd-rtimer-')
    const {dir, log} = stubDir(root)
    const journal = journalWith(root)
    const paths = statePaths({DPDK_DOCTOR_STATE_DIR: root})
    mkdirSync(paths.journalDir, {recursive: true})
    writeFileSync(timerFiles(paths.journalDir, journal.id).confirmed, 'now\n')
    const opts = {journal, journalDir: paths.journalDir, lockFile: paths.lockFile, auditFile: paths.auditFile, applyLockId: 'aaaa', path: stubPath(dir)}
    expect(await runTimer(revertTimerScript({...opts, seconds: 0}), join(root, 't.sh'), journal.id)).toBe(0)
    expect(existsSync(log)).toBe(false)
    // It says it ended on the marker (what a stop that finds it gone reads); that is no revert outcome.
    const settledText = readFileSync(timerFiles(paths.journalDir, journal.id).outcome, 'utf8')
    expect(settledText).toBe('status settled\n')
    expect(parseTimerOutcome(settledText)).toBeNull()

    const other = journalWith(root, {id: '20261202-180001-abcdef'})
    const file = join(root, 't2.sh')
    writeFileSync(file, revertTimerScript({...opts, journal: other, seconds: 3600}))
    const child = spawn('/bin/sh', [file, TIMER_MARK, other.id], {stdio: 'ignore'})
    const pidFile = timerFiles(paths.journalDir, other.id).pid
    while (!existsSync(pidFile)) await new Promise((r) => setTimeout(r, 20))
    expect(Number(readFileSync(pidFile, 'utf8'))).toBe(child.pid)
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(existsSync(log)).toBe(false)
  })

  it('takes over the lock of the apply that armed it at once, any other holder after the grace', async () => {
    const root = tempDir('dd-rtimer-')
    const {dir, log} = stubDir(root)
    const journal = journalWith(root)
    const paths = statePaths({DPDK_DOCTOR_STATE_DIR: root})
    mkdirSync(paths.journalDir, {recursive: true})
    const opts = {journal, journalDir: paths.journalDir, lockFile: paths.lockFile, auditFile: paths.auditFile, applyLockId: 'a1b2c3d4', path: stubPath(dir), seconds: 0}
    writeFileSync(paths.lockFile, JSON.stringify({lockId: 'a1b2c3d4', pid: 999999, command: 'fix --apply'}) + '\n')
    expect(await runTimer(revertTimerScript(opts), join(root, 't.sh'), journal.id)).toBe(0)
    const mutations = () => readFileSync(log, 'utf8').trim().split('\n').filter((l) => !l.includes('"show"'))
    expect(mutations()).toHaveLength(5)
    expect(existsSync(paths.lockFile)).toBe(false)

    // Another holder (a confirm of someone else): waited for, then taken over after the grace.
    const second = journalWith(root, {id: '20261202-180002-abcdef'})
    writeFileSync(paths.lockFile, JSON.stringify({lockId: 'ffff0000', pid: 999999, command: 'fix --confirm'}) + '\n')
    expect(await runTimer(revertTimerScript({...opts, journal: second, graceSeconds: 1}), join(root, 't3.sh'), second.id)).toBe(0)
    expect(mutations()).toHaveLength(10)
    expect(readdirSync(root).filter((f) => f.includes('.lock'))).toEqual([])
  })

  it('the outcome file is read back with the journal: an applied change reads as rolled back by the timer', () => {
    const j = journalWith('/x')
    const read = withTimerOutcome(j, 'cmd 0 \nargv ip addr replace 10.10.1.1/24 dev ovsbr0\nstatus reverted\nat 2026-12-02T18:02:00Z\n')
    expect(read.status).toBe('rolled-back')
    expect(read.revertedByTimer).toEqual({status: 'reverted', at: '2026-12-02T18:02:00Z', commands: [{exitCode: 0, argv: 'ip addr replace 10.10.1.1/24 dev ovsbr0', stderr: null}]})
    expect(withTimerOutcome({...j, status: 'confirmed'}, 'status reverted\n').status).toBe('confirmed')
    expect(withTimerOutcome(j, 'garbage').status).toBe('applied')
  })
})

/** Runs the site's `sh -c SCRIPT sh ARGS` here, as the remote shell would (stdin included). */
class LocalShell {
  identity = {sudo: false}
  calls: string[][] = []
  private readonly host = new HostRunner()
  run(req: RunRequest & {raw?: boolean}): Promise<RunResult> {
    this.calls.push(req.argv)
    return this.host.run({...req, env: {SSH_CONNECTION: '198.51.100.7 51000 10.10.1.1 22'}})
  }
}

async function openSite(root: string) {
  const shell = new LocalShell()
  const paths = statePaths({DPDK_DOCTOR_STATE_DIR: root})
  // HostRunner's fixed environment keeps SSH_CONNECTION only when given: the session script reads it.
  const site = await RemoteSite.open(shell as unknown as RemoteRunner, 'dd-remote', paths)
  return {shell, paths, site}
}

describe('RemoteSite over a shell', () => {
  it('reads the session as the remote shell sees it; setsid is found', async () => {
    const {site} = await openSite(tempDir('dd-rsite-'))
    expect(site.session.sshConnection).toBe('198.51.100.7 51000 10.10.1.1 22')
    expect(site.session.setsid).toBe(true)
    expect(await site.sessionEnv()).toEqual({SSH_CONNECTION: '198.51.100.7 51000 10.10.1.1 22'})
  })

  it('one lock at a time: the second is refused with exit 12 naming the holder\'s pid, host and command; release frees it', async () => {
    const {site, paths} = await openSite(tempDir('dd-rsite-'))
    const held = await site.lock({command: 'fix --apply', user: 'alice'})
    const error = await site.lock({command: 'fix --apply'}).then(() => null, (e: unknown) => e as DoctorError)
    expect(error).toBeInstanceOf(DoctorError)
    expect(error!.code).toBe('E_LOCKED')
    expect(error!.exit).toBe(12)
    expect(error!.message).toMatch(new RegExp(`^another dpdk-doctor fix is running on dd-remote: pid ${process.pid} on \\S+ \\(fix --apply, alice, since .*, lock ${held.info.lockId}\\)$`))
    await held.release()
    expect(existsSync(paths.lockFile)).toBe(false)
    const again = await site.lock({command: 'fix --rollback'})
    await again.release()
  })

  it('a stale lock left by a dead CLI of this machine: E_LOCK_STALE; --force-unlock with its id takes it over', async () => {
    const {site, paths} = await openSite(tempDir('dd-rsite-'))
    mkdirSync(paths.lockFile.replace(/\/[^/]+$/, ''), {recursive: true})
    writeFileSync(paths.lockFile, JSON.stringify({lockId: 'deadbeef', pid: 2 ** 22 + 17, user: 'bob', startedAt: 'then', command: 'fix --apply', changeId: null, host: (await import('node:os')).hostname()}) + '\n')
    const stale = await site.lock({command: 'fix --apply'}).then(() => null, (e: unknown) => e as DoctorError)
    expect(stale!.code).toBe('E_LOCK_STALE')
    expect(stale!.suggestions.join('\n')).toContain('--force-unlock deadbeef')
    const taken = await site.lock({command: 'fix --apply', forceUnlock: 'deadbeef'})
    expect(taken.tookOver?.lockId).toBe('deadbeef')
    await taken.release()
  })

  it('journal written 0600 and read back; audit lines appended; confirm marker; the newest open journal', async () => {
    const {site, paths} = await openSite(tempDir('dd-rsite-'))
    const j = journalWith('/x')
    await site.writeJournal(j)
    const file = join(paths.journalDir, `${j.id}.json`)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect((await site.readJournal(j.id)).prior).toEqual(j.prior)
    await site.writeJournal({...j, id: '20261202-190000-abcdef', createdAt: '2026-12-02T19:00:00Z', status: 'rolled-back'})
    expect((await site.latestJournal())?.id).toBe(j.id)
    expect((await site.latestJournal(true))?.id).toBe('20261202-190000-abcdef')
    await expect(site.readJournal('20261202-000000-none00')).rejects.toMatchObject({code: 'E_NO_JOURNAL'})
    await site.audit({kind: 'intent', action: 'apply', changeId: j.id})
    await site.audit({kind: 'result', action: 'apply', changeId: j.id, outcome: 'applied'})
    const lines = readFileSync(paths.auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as {kind: string; by: {sshConnection: string}})
    expect(lines.map((l) => l.kind)).toEqual(['intent', 'result'])
    expect(lines[0]!.by.sshConnection).toBe('198.51.100.7 51000 10.10.1.1 22')
    expect(statSync(paths.auditFile).mode & 0o777).toBe(0o600)
    expect(await site.isConfirmed(j.id)).toBe(false)
    await site.writeConfirmMarker(j.id)
    expect(await site.isConfirmed(j.id)).toBe(true)
  })

  it('arms the sh timer in a session of its own (setsid) and stops it only by its cmdline', async () => {
    const {site, paths} = await openSite(tempDir('dd-rsite-'))
    const j = journalWith('/x')
    await site.writeJournal(j)
    const {pid} = await site.armTimer(j, new Date(Date.now() + 3_600_000), 'aaaa')
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    expect(cmdline).toEqual(['sh', timerFiles(paths.journalDir, j.id).script, TIMER_MARK, j.id, ''])
    // Its own session: setsid made it the leader.
    const sid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[3])
    expect(sid).toBe(pid)
    expect(await site.stopTimer(process.pid, j.id)).toBe(false) // not a timer: left alone
    expect(await site.stopTimer(pid, '20261202-000000-other0')).toBe(false) // another change's id
    expect(await site.stopTimer(pid, j.id)).toBe(true)
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'); i++) await new Promise((r) => setTimeout(r, 50))
    const gone = !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')
    expect(gone).toBe(true)
  })

  it('a timer that ended on the confirm marker before the stop reached it counts as stopped (confirm writes the marker first)', async () => {
    const {site, paths} = await openSite(tempDir('dd-rsite-'))
    const j = journalWith('/x')
    await site.writeJournal(j)
    const {pid} = await site.armTimer(j, new Date(Date.now() + 3_600_000), 'aaaa')
    const pidFile = timerFiles(paths.journalDir, j.id).pid
    await site.writeConfirmMarker(j.id)
    // Its next look at the marker (naps of 2 s) ends it and removes its pid file.
    for (let i = 0; i < 200 && existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50))
    expect(existsSync(pidFile)).toBe(false)
    expect(await site.stopTimer(pid, j.id)).toBe(true)
    // Gone without saying so (SIGKILL, or never a timer of this change): not stopped.
    const other = journalWith('/x', {id: '20261202-180002-abcdef'})
    await site.writeJournal(other)
    const second = await site.armTimer(other, new Date(Date.now() + 3_600_000), 'bbbb')
    process.kill(second.pid, 'SIGKILL')
    for (let i = 0; i < 100 && existsSync(`/proc/${second.pid}`) && !readFileSync(`/proc/${second.pid}/stat`, 'utf8').includes(') Z'); i++) await new Promise((r) => setTimeout(r, 50))
    expect(await site.stopTimer(second.pid, other.id)).toBe(false)
  })
})

describe('applyPlan, confirm and rollback through the remote site', () => {
  it('apply: lock, journal, audit and timer on the site; the session address of the remote shell is protected', async () => {
    const root = tempDir('dd-rsite-')
    const {site, paths, shell} = await openSite(root)
    const host = new FakeHost(brokenHostState(), 'ns1')
    const plan = await planFor(host)
    // The remote shell's SSH_CONNECTION arrives on 10.10.1.1, which the plan removes: refused, exit 10.
    const refused = await applyPlan(applyCtx(host, plan, {}, {site, paths})).then(() => null, (e: unknown) => e as DoctorError)
    expect(refused?.exit).toBe(10)
    expect(refused?.message).toContain('10.10.1.1 carries the SSH session from 198.51.100.7 (SSH_CONNECTION)')
    expect(host.mutating).toEqual([])
    expect(existsSync(paths.lockFile)).toBe(false)
    // --force: the timer is armed on the site before the first change.
    shell.calls = []
    host.events = []
    const result = await applyPlan(applyCtx(host, plan, {}, {site, paths, force: true}))
    expect(result.status).toBe('applied')
    expect(result.journal).toBe(`dd-remote:${paths.journalDir}/${result.id}.json`)
    expect(result.message).toContain(`dpdk-doctor fix --host dd-remote --confirm ${result.id}`)
    const armIndex = shell.calls.findIndex((a) => a.includes(TIMER_MARK))
    expect(armIndex).toBeGreaterThan(0)
    expect(result.timer.pid).toBeGreaterThan(1)
    const journal = JSON.parse(readFileSync(join(paths.journalDir, `${result.id}.json`), 'utf8')) as Journal
    expect(journal.status).toBe('applied')
    expect(journal.timer.pid).toBe(result.timer.pid)
    expect(readFileSync(paths.auditFile, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as {kind: string; outcome?: string}).outcome ?? 'intent')).toEqual(['refused-lockout', 'intent', 'applied'])
    // Confirm on the site: marker, journal confirmed, the timer stopped.
    const confirmed = await confirmChange({changeId: result.id!, site})
    expect(confirmed).toMatchObject({status: 'confirmed', timerStopped: true})
    expect(confirmed.message).toContain(`dpdk-doctor fix --host dd-remote --rollback ${result.id}`)
    // Rollback on the site, through the host's runner.
    const rb = await rollbackChange({changeId: result.id, by: 'user', site, runner: host})
    expect(rb.status).toBe('rolled-back')
    expect(rb.problems).toEqual([])
  })
})
