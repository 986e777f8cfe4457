/**
 * `watch --host A --host B` through the built CLI and two real sshd (test/engines/sshd.ts: two
 * servers in one namespace of our own, each its own listener, keys and Host alias): one JSON line
 * per tick with both hosts' samples, the plain lines in a pipe, DIR/<host>/ + hosts.json that
 * `diagnose --from DIR` replays, and host B's sshd killed mid-watch (its sessions and listener, by
 * PID): B turns unreachable in its section while A keeps updating. OVS does not run on either
 * host, so both are UNKNOWN; and both are this machine (one machine-id): cross-identity-distinct is
 * CRITICAL on the live windows as in diagnose, so the exit code is 2 (3 once B is gone: no pair).
 */
import {execa} from 'execa'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {builtCli, gateEngines, ROOT} from './engines.js'
import {makeSshServer} from './sshd.js'
import type {SshServer} from './sshd.js'

interface HostSample {
  host: string
  status: string
  reason: string | null
  type: string
  samples: number
  ports: Array<{name: string}>
}
interface Tick {
  type: 'tick'
  tick: number
  sides: string[]
  hosts: HostSample[]
  cross: Array<{ruleId: string; status: string; severity: string; text: string | null}>
}
interface Summary {
  type: 'summary'
  schema: string
  exitCode: number
  sides: string[]
  hosts: Array<{name: string; status: string}>
  failed: Array<{name: string; status: string; reason: string | null}>
  savedTo: string | null
}

describe('watch --host A --host B over two real sshd', () => {
  gateEngines(['sshd', 'ssh', 'ssh-keygen', 'ssh-keyscan', 'unshare'])
  let a: SshServer
  let b: SshServer
  let bin: string
  let config: string
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-ssh-watch-hosts-'))

  beforeAll(async () => {
    a = await makeSshServer({alias: 'dd-a'})
    b = await makeSshServer({join: a, port: 2223, alias: 'dd-b'})
    await a.start()
    await b.start()
    // One config for the client: A's hosts first, then B's (ssh takes the first match).
    config = path.join(tmp, 'ssh_config')
    fs.writeFileSync(config, fs.readFileSync(a.config, 'utf8') + fs.readFileSync(b.config, 'utf8'))
    bin = (await builtCli()).bin
  })
  afterAll(async () => {
    await b?.destroy()
    await a?.destroy()
    fs.rmSync(tmp, {recursive: true, force: true})
  })

  const env = () => ({NODE_ENV: 'production', NO_COLOR: '1', DPDK_DOCTOR_SSH_CONTROL_DIR: a.controlDir})
  const cli = async (args: string[]) => {
    const argv = a.inNs([process.execPath, bin, ...args])
    const r = await execa(argv[0]!, argv.slice(1), {cwd: ROOT, reject: false, stdin: 'ignore', env: env()})
    return {exitCode: r.exitCode ?? null, stdout: String(r.stdout), stderr: String(r.stderr)}
  }
  const parse = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as Tick | Summary)

  it('--json: a line per tick holding both hosts\' samples; --save DIR is DIR/<host>/ + hosts.json, and diagnose --from DIR replays both', async () => {
    const save = path.join(tmp, 'two-watch')
    const r = await cli(['watch', '--host', 'dd-a', '--host', 'dd-b', '--ssh-config', config, '--during', '3s', '--interval', '1s', '--json', '--save', save])
    const lines = parse(r.stdout)
    const ticks = lines.filter((l): l is Tick => l.type === 'tick')
    expect(ticks.length).toBeGreaterThanOrEqual(2)
    for (const t of ticks) {
      expect(t.hosts.map((h) => [h.host, h.type, h.status])).toEqual([['dd-a', 'sample', 'ok'], ['dd-b', 'sample', 'ok']])
      expect(t.sides).toHaveLength(2)
      expect(t.sides[0]).toMatch(/^dd-a: /)
      expect(t.sides[1]).toMatch(/^dd-b: /)
    }
    // Both hosts sampled on every tick: their sample counts move together.
    const last = ticks.at(-1)!
    expect(last.hosts[0]!.samples).toBe(last.hosts[1]!.samples)
    expect(last.hosts[0]!.samples).toBeGreaterThanOrEqual(2)
    // The cross-host rules on the rolling windows: one machine behind both names; no DPDK port to account the wire on.
    expect(last.cross.find((c) => c.ruleId === 'cross-identity-distinct')).toMatchObject({status: 'fail', severity: 'critical', text: expect.stringContaining('dd-a and dd-b are one host')})
    expect(last.cross.find((c) => c.ruleId === 'cross-wire-accounting')).toMatchObject({status: 'unknown', text: 'no DPDK port counters on dd-a'})
    const summary = lines.at(-1) as Summary
    expect(summary).toMatchObject({type: 'summary', schema: 'dpdk-doctor/multi-host@1', exitCode: 2, savedTo: save, failed: []})
    expect(summary.sides).toEqual(['dd-a: UNKNOWN', 'dd-b: UNKNOWN'])
    expect(summary.hosts.map((h) => [h.name, h.status])).toEqual([['dd-a', 'ok'], ['dd-b', 'ok']])
    expect(r.exitCode).toBe(2)

    const hosts = JSON.parse(fs.readFileSync(path.join(save, 'hosts.json'), 'utf8')) as {format: string; hosts: Array<{name: string; dir: string; status: string}>; ticks: string[]}
    expect(hosts.format).toBe('dpdk-doctor/hosts@1')
    expect(hosts.hosts.map((h) => [h.name, h.dir, h.status])).toEqual([['dd-a', 'dd-a', 'ok'], ['dd-b', 'dd-b', 'ok']])
    expect(hosts.ticks.length).toBe(ticks.length)
    for (const name of ['dd-a', 'dd-b']) {
      const manifest = JSON.parse(fs.readFileSync(path.join(save, name, 'capture.json'), 'utf8')) as {host: {remote: {destination: string}}; samples: unknown[]}
      expect(manifest.host.remote.destination).toBe(name)
      expect(manifest.samples.length).toBeGreaterThanOrEqual(3) // before, live, final
      const sources = JSON.parse(fs.readFileSync(path.join(save, name, 'before', 'sources.json'), 'utf8')) as Array<{id: string; status: string; via?: string}>
      expect(sources.find((s) => s.id === 'sysfs-stats')).toMatchObject({status: 'ok', via: 'resident'})
    }

    const replay = await cli(['diagnose', '--from', save, '--json'])
    const doc = JSON.parse(replay.stdout) as {schema: string; hosts: Array<{name: string; status: string; diagnosis: unknown}>}
    expect(doc.schema).toBe('dpdk-doctor/multi-host@1')
    expect(doc.hosts.map((h) => [h.name, h.status, h.diagnosis !== null])).toEqual([['dd-a', 'ok', true], ['dd-b', 'ok', true]])
    expect(replay.exitCode).toBe(2)
  })

  it('plain lines in a pipe: per tick the sides, then each host\'s line; the two-host summary at the end', async () => {
    const r = await cli(['watch', '--host', 'dd-a', '--host', 'dd-b', '--ssh-config', config, '--during', '2s', '--interval', '1s'])
    expect(r.stdout).not.toMatch(/\u001b\[/)
    const lines = r.stdout.split('\n')
    const sides = lines.filter((l) => /^\[\d+s\] dd-a: .*; dd-b: /.test(l))
    expect(sides.length).toBeGreaterThanOrEqual(2)
    expect(lines.filter((l) => /^dd-a: \[\d+s\] /.test(l)).length).toBe(sides.length)
    expect(lines.filter((l) => /^dd-b: \[\d+s\] /.test(l)).length).toBe(sides.length)
    expect(r.stdout).toMatch(/^\[\d+s\] cross: cross-identity-distinct: CRITICAL dd-a and dd-b are one host/m)
    // The summary: the sides, the cross-host findings, each host's, the combined code.
    expect(r.stdout).toMatch(/^CRITICAL: dd-a: UNKNOWN; dd-b: UNKNOWN$/m)
    expect(r.stdout).toMatch(/^Cross-host:\n {2}CRITICAL cross-identity-distinct: /m)
    expect(r.stdout).toMatch(/^== dd-b \(ok\) ==\n {2}Not enough data to decide: OVS is not reachable/m)
    expect(r.stdout).toMatch(/^CRITICAL \(exit 2\); all 2 hosts collected$/m)
    expect(r.exitCode).toBe(2)
  })

  it('host B\'s sshd killed mid-watch: B turns unreachable in its section, A keeps being sampled; B is a failed host in the summary', async () => {
    const argv = a.inNs([process.execPath, bin, 'watch', '--host', 'dd-a', '--host', 'dd-b', '--ssh-config', config, '--during', '14s', '--interval', '1s', '--json'])
    const child = execa(argv[0]!, argv.slice(1), {cwd: ROOT, reject: false, stdin: 'ignore', env: env()})
    let out = ''
    let killed: Promise<void> | null = null
    let ticksAtKill = 0
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', (d: string) => {
      out += d
      const ticks = out.split('\n').filter((l) => l.startsWith('{"type":"tick"'))
      // Two ticks with both hosts answering, then B goes away.
      if (!killed && ticks.length >= 2) {
        ticksAtKill = ticks.length
        killed = b.kill()
      }
    })
    const r = await child
    await killed
    expect(killed).not.toBeNull()
    const lines = parse(String(r.stdout))
    const ticks = lines.filter((l): l is Tick => l.type === 'tick')
    const byB = ticks.map((t) => t.hosts.find((h) => h.host === 'dd-b')!)
    expect(byB.slice(0, 2).every((h) => h.status === 'ok')).toBe(true)
    const down = ticks.findIndex((t) => t.hosts[1]!.status !== 'ok')
    expect(down).toBeGreaterThanOrEqual(ticksAtKill - 1)
    const after = ticks.slice(down)
    expect(after.length).toBeGreaterThanOrEqual(2)
    for (const t of after) {
      expect(t.hosts[1]).toMatchObject({host: 'dd-b', status: 'unreachable'})
      expect(t.sides[1]).toMatch(/^dd-b: UNREACHABLE \(/)
      expect(t.hosts[0]!.status).toBe('ok')
    }
    // Tried again on every tick: the listener is gone too, so the last try is ssh's own refusal.
    expect(after.at(-1)!.hosts[1]!.reason).toMatch(/^ssh: connect to host 127\.0\.0\.1 port 2223: Connection refused$/)
    // A kept being sampled after B went: its sample count still grows; B's stands still.
    expect(after.at(-1)!.hosts[0]!.samples).toBeGreaterThan(after[0]!.hosts[0]!.samples)
    expect(after.at(-1)!.hosts[1]!.samples).toBe(after[0]!.hosts[1]!.samples)
    const summary = lines.at(-1) as Summary
    expect(summary.type).toBe('summary')
    expect(summary.failed).toEqual([expect.objectContaining({name: 'dd-b', status: 'unreachable'})])
    expect(summary.exitCode).toBe(3)
    expect(r.exitCode).toBe(3)
    // B again for the other tests of a rerun: a fresh listener.
    await b.start()
  })
})
