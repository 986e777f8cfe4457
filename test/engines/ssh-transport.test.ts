/**
 * The ssh transport against a real OpenSSH server (sshd in a namespace of our own, test/engines/sshd.ts):
 * commands run as argv with the fixed options, each per-host failure is the right status, and
 * nothing ever waits for a password.
 */
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {HostRunner} from '../../src/exec/runner.js'
import type {RunRequest, Runner} from '../../src/exec/runner.js'
import {estimateClock, probeHost} from '../../src/remote/probe.js'
import {RemoteResidentReader} from '../../src/remote/resident.js'
import {RemoteRunner} from '../../src/remote/ssh.js'
import type {SshSettings} from '../../src/remote/ssh.js'
import {gateEngines} from './engines.js'
import {makeSshServer, makeThrowawayUser} from './sshd.js'
import type {SshServer} from './sshd.js'

/** The local runner, with ssh run inside the server's namespace. */
class NetnsRunner implements Runner {
  readonly seen: string[][] = []
  private readonly host = new HostRunner()
  constructor(private readonly server: SshServer) {}
  run(request: RunRequest) {
    this.seen.push(request.argv)
    return this.host.run({...request, argv: this.server.inNs(request.argv)})
  }
}

function freshControlDir(server: SshServer): string {
  return fs.mkdtempSync(path.join(server.dir, 'control-'))
}

describe('ssh transport (real sshd)', () => {
  gateEngines(['sshd', 'ssh', 'ssh-keygen', 'ssh-keyscan', 'sudo', 'useradd', 'unshare'])
  let server: SshServer
  let user: {name: string; remove: () => void}
  let settings: SshSettings

  beforeAll(async () => {
    user = makeThrowawayUser()
    server = await makeSshServer({user: user.name})
    await server.start()
    settings = {configFile: server.config, options: [], acceptNewHostKeys: false, controlDir: server.controlDir}
  })
  afterAll(async () => {
    await server?.destroy()
    user?.remove()
  })

  it('runs a command as argv with the fixed options; words with quotes and spaces arrive intact', async () => {
    const local = new NetnsRunner(server)
    const remote = new RemoteRunner(local, 'dd-remote', settings)
    const r = await remote.run({argv: ['printf', '%s|', "it's", 'a b', '$HOME', '`id`', ';true'], timeoutMs: 15_000})
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toBe("it's|a b|$HOME|`id`|;true|")
    const ssh = local.seen.at(-1)!
    expect(ssh[0]).toBe('ssh')
    for (const o of ['BatchMode=yes', 'ConnectTimeout=10', 'ServerAliveInterval=5', 'ControlMaster=auto', 'ControlPersist=60', `ControlPath=${server.controlDir}/%C`]) {
      expect(ssh[ssh.indexOf(o) - 1]).toBe('-o')
    }
    expect(ssh).toContain('-T')
    expect(ssh).not.toContain('StrictHostKeyChecking=no')
    // The fixed remote environment, as locally.
    const env = await remote.run({argv: ['sh', '-c', 'echo "$LC_ALL $PATH"'], timeoutMs: 15_000})
    expect(env.stdout.trim()).toBe('C /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
  })

  it('probes a root login: no sudo, the tools it finds; the clock offset from round trips', async () => {
    const local = new NetnsRunner(server)
    const {probe, runner} = await probeHost(local, 'dd-remote', settings)
    expect(probe.root).toBe(true)
    expect(probe.user).toBe('root')
    expect(probe.tools).toContain('ip')
    expect(runner.identity.sudo).toBe(probe.tools.includes('ovs-vsctl') ? false : runner.identity.sudo)
    if (probe.tools.includes('ovs-vsctl')) expect(probe.failure).toBeNull()
    else expect(probe.failure).toEqual(expect.objectContaining({status: 'tool-missing', reason: expect.stringContaining('ovs-vsctl')}))
    const reader = new RemoteResidentReader(new RemoteRunner(local, 'dd-remote', settings))
    try {
      const clock = await estimateClock(async () => (await reader.source('clock', {argv: ['date', '+%s%N']}, 10_000)).stdout)
      expect(clock.rttMs).toBeGreaterThan(0)
      // Same machine, same clock: the offset is within half the round trip (and the ms rounding).
      expect(Math.abs(clock.clockOffsetMs!)).toBeLessThanOrEqual(clock.rttMs! / 2 + 1)
    } finally {
      reader.close()
    }
  })

  it('an unknown host key is host-key, with the command that fixes it', async () => {
    // Its own control dir: dd-unknown is the same server as dd-remote, whose master would be reused.
    const {probe} = await probeHost(new NetnsRunner(server), 'dd-unknown', {...settings, controlDir: freshControlDir(server)})
    expect(probe.failure?.status).toBe('host-key')
    expect(probe.failure?.fix).toContain('ssh-keyscan -H dd-unknown')
    expect(probe.failure?.fix).toContain('StrictHostKeyChecking=accept-new')
  })

  it('--accept-new-host-keys learns a key never seen (and only then)', async () => {
    const r = await new RemoteRunner(new NetnsRunner(server), 'dd-unknown', {...settings, acceptNewHostKeys: true, controlDir: freshControlDir(server)}).run({argv: ['true'], timeoutMs: 15_000, raw: true})
    expect(r.exitCode).toBe(0)
  })

  it('a stopped sshd is unreachable: refused, not waited for until ConnectTimeout', async () => {
    const {probe} = await probeHost(new NetnsRunner(server), 'dd-down', settings)
    expect(probe.failure?.status).toBe('unreachable')
    expect(probe.failure?.reason).toMatch(/Connection refused/)
  })

  it('sshd stopped after a login (masters closed with it): the next probe is unreachable', async () => {
    const local = new NetnsRunner(server)
    const dir = freshControlDir(server)
    const remote = new RemoteRunner(local, 'dd-remote', {...settings, controlDir: dir})
    expect((await remote.run({argv: ['true'], timeoutMs: 15_000, raw: true})).exitCode).toBe(0)
    await server.stop()
    try {
      const {probe} = await probeHost(local, 'dd-remote', {...settings, controlDir: dir})
      expect(probe.failure?.status).toBe('unreachable')
    } finally {
      await server.start()
    }
  })

  it('a user whose sudo needs a password is sudo-password, without a prompt (no tty, stdin closed)', async () => {
    const {probe} = await probeHost(new NetnsRunner(server), 'dd-user', settings)
    expect(probe.root).toBe(false)
    expect(probe.user).toBe(user.name)
    expect(probe.failure?.status).toBe('sudo-password')
    expect(probe.failure?.reason).toMatch(/password is required/)
  })

  it('the resident reader answers many requests over one ssh, framed by byte counts', async () => {
    const local = new NetnsRunner(server)
    const remote = new RemoteRunner(local, 'dd-remote', settings)
    const reader = new RemoteResidentReader(remote)
    const before = local.seen.length
    try {
      const stats = await reader.source('sysfs-stats', {reader: 'sysfs-stats'}, 10_000)
      expect(stats.status).toBe('ok')
      const parsed = JSON.parse(stats.stdout) as Record<string, Record<string, number>>
      expect(Object.keys(parsed)).toEqual(['lo'])
      expect(typeof parsed.lo!.rx_bytes).toBe('number')
      const link = await reader.source('ip-link', {argv: ['ip', '-j', '-s', '-d', 'link', 'show']}, 10_000)
      expect(link.status).toBe('ok')
      expect((JSON.parse(link.stdout) as Array<{ifname: string}>).map((l) => l.ifname)).toEqual(['lo'])
      const missing = await reader.source('x', {argv: ['no-such-tool-here']}, 10_000)
      expect(missing.status).toBe('not-installed')
      const net = await reader.source('sysfs-net', {reader: 'sysfs-net'}, 10_000)
      expect(JSON.parse(net.stdout)).toEqual([{ifname: 'lo', driver: null, pciAddress: null, numaNode: null}])
      const sysctl = await reader.source('sysctl-net', {reader: 'sysctl-net'}, 10_000)
      expect(sysctl.stdout).toMatch(/^net\.ipv4\.ip_forward = [01]$/m)
      const refused = await reader.source('y', {argv: ['echo', 'a;b c']}, 10_000)
      expect(refused.status).toBe('error')
      // One ssh for all of them.
      expect(local.seen.length - before).toBe(1)
    } finally {
      reader.close()
    }
  })
})
