/**
 * `watch --host` through the built CLI and a real sshd (test/engines/sshd.ts): JSON lines from a
 * host read over ssh (its kernel counters through the resident reader; OVS is not running there),
 * the window saved as that host's bundle, and a host that cannot be reached is the error.
 */
import {execa} from 'execa'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import {builtCli, gateEngines, ROOT} from './engines.js'
import {makeSshServer} from './sshd.js'
import type {SshServer} from './sshd.js'

describe('watch --host over a real sshd', () => {
  gateEngines(['sshd', 'ssh', 'ssh-keygen', 'ssh-keyscan', 'unshare', 'ovs-vsctl'])
  let server: SshServer
  let bin: string
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-ssh-watch-'))

  beforeAll(async () => {
    server = await makeSshServer()
    await server.start()
    bin = (await builtCli()).bin
  })
  afterAll(async () => {
    await server?.destroy()
    fs.rmSync(tmp, {recursive: true, force: true})
  })

  const cli = async (args: string[]) => {
    const argv = server.inNs([process.execPath, bin, ...args])
    const r = await execa(argv[0]!, argv.slice(1), {cwd: ROOT, reject: false, stdin: 'ignore', env: {NODE_ENV: 'production', NO_COLOR: '1', DPDK_DOCTOR_SSH_CONTROL_DIR: server.controlDir}})
    return {exitCode: r.exitCode ?? null, stdout: String(r.stdout), stderr: String(r.stderr)}
  }

  it('--json: one object per interval then the summary; the saved window is the remote host\'s, read over the resident ssh', async () => {
    const save = path.join(tmp, 'remote-watch')
    const r = await cli(['watch', '--host', 'dd-remote', '--ssh-config', server.config, '--during', '3s', '--interval', '1s', '--json', '--save', save])
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as {type: string; samples?: number; exitCode?: number; savedTo?: string})
    expect(lines.filter((l) => l.type === 'sample').length).toBeGreaterThanOrEqual(2)
    const summary = lines.at(-1)!
    expect(summary.type).toBe('summary')
    // OVS is not running on the remote: diagnose's UNKNOWN, as a local watch without OVS.
    expect(summary.exitCode).toBe(3)
    expect(r.exitCode).toBe(3)
    expect(summary.savedTo).toBe(save)
    const capture = readCapture(save)
    expect(capture.manifest.host.remote).toEqual(expect.objectContaining({destination: 'dd-remote', user: 'root'}))
    expect(capture.samples.length).toBeGreaterThanOrEqual(3)
    for (const s of capture.samples) expect(s.sources['sysfs-stats']).toEqual(expect.objectContaining({status: 'ok', via: 'resident'}))
    expect(capture.samples[0]!.sources['ovsdb-bridge']?.status).not.toBe('ok')
  })

  it('an unreachable host: exit 3 with its status, no sample', async () => {
    const r = await cli(['watch', '--host', 'dd-down', '--ssh-config', server.config, '--during', '2s', '--json'])
    expect(r.exitCode).toBe(3)
    const doc = JSON.parse(r.stdout.trim()) as {error: {code: string; message: string}}
    expect(doc.error).toEqual(expect.objectContaining({code: 'E_HOST', message: expect.stringMatching(/^dd-down: unreachable \(ssh: connect to host 127\.0\.0\.1 port 2299: Connection refused\)$/)}))
  })
})
