/**
 * `diagnose --host` through the built CLI and a real sshd (test/engines/sshd.ts): per-host statuses
 * from real ssh failures, the failed-hosts line, exit codes, the JSON document, --save/--from.
 * The remote here is this machine's namespace without a running OVS (ovs-down): a transport and
 * status test; the datapath over two hosts is the two-host lab's (test/lab).
 */
import {execa} from 'execa'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {builtCli, gateEngines, ROOT} from './engines.js'
import {makeSshServer} from './sshd.js'
import type {SshServer} from './sshd.js'

describe('diagnose --host over a real sshd', () => {
  gateEngines(['sshd', 'ssh', 'ssh-keygen', 'ssh-keyscan', 'unshare', 'ovs-vsctl'])
  let server: SshServer
  let bin: string

  beforeAll(async () => {
    server = await makeSshServer()
    await server.start()
    bin = (await builtCli()).bin
  })
  afterAll(async () => {
    await server?.destroy()
  })

  const cli = async (args: string[], controlDir = server.controlDir) => {
    const argv = server.inNs([process.execPath, bin, ...args])
    const r = await execa(argv[0]!, argv.slice(1), {cwd: ROOT, reject: false, stdin: 'ignore', env: {NODE_ENV: 'production', NO_COLOR: '1', DPDK_DOCTOR_SSH_CONTROL_DIR: controlDir}})
    return {exitCode: r.exitCode ?? null, stdout: String(r.stdout), stderr: String(r.stderr)}
  }

  it('one host with OVS down, one with sshd not listening: both named in the last line, exit 3', async () => {
    const r = await cli(['diagnose', '--host', 'dd-remote', '--host', 'dd-down', '--ssh-config', server.config])
    expect(r.exitCode).toBe(3)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^UNKNOWN: dd-remote: UNKNOWN \(ovs-down\); dd-down: UNREACHABLE \(ssh: connect to host 127\.0\.0\.1 port 2299: Connection refused\)$/)
    expect(lines.at(-1)).toMatch(/^failed hosts: dd-remote ovs-down \(OVSDB does not answer: .*\); dd-down unreachable \(ssh: connect to host 127\.0\.0\.1 port 2299: Connection refused\)$/)
    expect(r.stdout).toMatch(/unknown cross-wire-accounting: a side is missing: dd-remote is ovs-down, dd-down is unreachable/)
  })

  it('--json: one document with a hosts array; the reachable host\'s sources were read over ssh', async () => {
    const r = await cli(['diagnose', '--host', 'dd-remote', '--host', 'dd-down', '--ssh-config', server.config, '--json'])
    expect(r.exitCode).toBe(3)
    const doc = JSON.parse(r.stdout) as {schema: string; hosts: Array<{name: string; status: string; clock: {offsetMs: number; rttMs: number} | null; diagnosis: {host: {remote?: {destination: string; user: string}}; coverage: {notOk: Array<{id: string}>}} | null}>; cross: {rules: Array<{status: string}>}}
    expect(doc.schema).toBe('dpdk-doctor/multi-host@1')
    expect(doc.hosts.map((h) => [h.name, h.status])).toEqual([['dd-remote', 'ovs-down'], ['dd-down', 'unreachable']])
    const remote = doc.hosts[0]!
    expect(remote.diagnosis?.host.remote).toEqual(expect.objectContaining({destination: 'dd-remote', user: 'root'}))
    expect(Math.abs(remote.clock!.offsetMs)).toBeLessThanOrEqual(remote.clock!.rttMs / 2 + 1)
    // The kernel sources came back from the remote (only OVS is missing there).
    const failed = remote.diagnosis!.coverage.notOk.map((n) => n.id)
    for (const id of ['ip-addr', 'ip-link', 'sysfs-net', 'sysfs-stats', 'sysctl-net', 'meminfo']) expect(failed).not.toContain(id)
    expect(failed).toContain('ovsdb-bridge')
    expect(doc.cross.rules.every((x) => x.status === 'unknown')).toBe(true)
  })

  it('an unknown host key: host-key with the command to fix it; --accept-new-host-keys gets past it', async () => {
    const fresh = fs.mkdtempSync(path.join(server.dir, 'control-'))
    const r = await cli(['diagnose', '--host', 'dd-unknown', '--ssh-config', server.config], fresh)
    expect(r.exitCode).toBe(3)
    expect(r.stdout).toMatch(/to fix: check the key's fingerprint, then: ssh-keyscan -H dd-unknown >> ~\/\.ssh\/known_hosts/)
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^failed hosts: dd-unknown host-key \(the host key is not known/)
    const accepted = await cli(['diagnose', '--host', 'dd-unknown', '--ssh-config', server.config, '--accept-new-host-keys'], fs.mkdtempSync(path.join(server.dir, 'control-')))
    expect(accepted.stdout.trim().split('\n').at(-1)).toMatch(/^failed hosts: dd-unknown ovs-down/)
  })

  it('refuses a host name that would be an option, and StrictHostKeyChecking=no', async () => {
    const r = await cli(['diagnose', '--host', '-oProxyCommand=touch /tmp/x'])
    expect(r.exitCode).toBe(3)
    expect(r.stderr).toMatch(/refusing host name/)
    const n = await cli(['diagnose', '--host', 'dd-remote', '--ssh-option', 'StrictHostKeyChecking=no'])
    expect(n.exitCode).toBe(3)
    expect(n.stderr).toMatch(/refusing StrictHostKeyChecking=no/)
  })

  it('--save DIR then --from DIR: the same hosts, statuses and findings', async () => {
    const dir = path.join(server.dir, 'saved')
    const live = await cli(['diagnose', '--host', 'dd-remote', '--host', 'dd-down', '--ssh-config', server.config, '--save', dir, '--json'])
    expect(fs.readdirSync(dir).sort()).toEqual(['dd-remote', 'hosts.json'])
    const replay = await cli(['diagnose', '--from', dir, '--json'])
    const pick = (s: string) => {
      const d = JSON.parse(s) as {exitCode: number; hosts: Array<{name: string; status: string; diagnosis: {findings: unknown[]} | null}>; cross: unknown}
      return {exitCode: d.exitCode, hosts: d.hosts.map((h) => [h.name, h.status, h.diagnosis?.findings ?? null]), cross: d.cross}
    }
    expect(pick(replay.stdout)).toEqual(pick(live.stdout))
  })

  it('capture --host: DIR/<host>/ for the collected host, hosts.json for all, exit 3 for the failed one', async () => {
    const dir = path.join(server.dir, 'captured')
    const r = await cli(['capture', '--host', 'dd-remote', '--host', 'dd-down', '--ssh-config', server.config, '--out', dir])
    expect(r.exitCode).toBe(3)
    expect(fs.readdirSync(dir).sort()).toEqual(['dd-remote', 'hosts.json'])
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^failed hosts: dd-remote ovs-down \(OVSDB does not answer: .*\); dd-down unreachable/)
    // The collected host's bundle is a bundle: diagnose --from reads it alone too.
    const one = await cli(['diagnose', '--from', path.join(dir, 'dd-remote'), '--json'])
    expect((JSON.parse(one.stdout) as {host: {remote?: {destination: string}}}).host.remote?.destination).toBe('dd-remote')
  })

  it('fix --host: the plan is built over ssh; an unreachable host is the error, with its status', async () => {
    const down = await cli(['fix', '--host', 'dd-down', '--ssh-config', server.config])
    expect(down.exitCode).toBe(3)
    expect(down.stderr).toMatch(/dd-down: unreachable \(ssh: connect to host 127\.0\.0\.1 port 2299: Connection refused\)/)
    // Reached, but no OVS there: nothing to plan from, said with the host's status.
    const plan = await cli(['fix', '--host', 'dd-remote', '--ssh-config', server.config, '--json'])
    expect(plan.exitCode).toBe(3)
    expect((JSON.parse(plan.stdout) as {error: {code: string; message: string}}).error).toEqual(expect.objectContaining({code: 'E_HOST', message: expect.stringMatching(/^dd-remote: ovs-down \(OVSDB does not answer/)}))
  })
})
