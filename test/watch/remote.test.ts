/**
 * watch --host's sampler with a fake remote: "ssh" runs its remote command line with this
 * machine's sh (the argv ssh would send, quoted as ssh sends it), so the remote runner, the
 * quoting and the resident reader's framing are the real ones. Checks the samples are read
 * through the resident reader, live samples start no ssh of their own, and a host that fails
 * the probe is the error with its status.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it, onTestFinished} from 'vitest'
import {HostRunner} from '../../src/exec/runner.js'
import type {RunRequest, RunResult, Runner} from '../../src/exec/runner.js'
import {HostSession} from '../../src/remote/hosts.js'
import {RemoteRunner} from '../../src/remote/ssh.js'
import type {SshSettings} from '../../src/remote/ssh.js'
import {openRemoteSource, RemoteSampleSource} from '../../src/watch/remote.js'
import {WatchSession} from '../../src/watch/session.js'
import {WatchStore} from '../../src/watch/store.js'
import {jsonLine} from '../../src/watch/format.js'

/** ssh's last word is the remote command line: run it here with sh, as the remote's shell would. */
class ShAsSsh implements Runner {
  readonly ssh: string[][] = []
  private readonly local = new HostRunner()
  run(request: RunRequest): Promise<RunResult> {
    if (request.argv[0] !== 'ssh') throw new Error(`not through ssh: ${request.argv.join(' ')}`)
    this.ssh.push(request.argv)
    return this.local.run({...request, argv: ['sh', '-c', request.argv.at(-1)!]})
  }
}

function settings(): SshSettings {
  const controlDir = mkdtempSync(join(tmpdir(), 'dd-ctl-'))
  onTestFinished(() => rmSync(controlDir, {recursive: true, force: true}))
  return {configFile: null, options: [], acceptNewHostKeys: false, controlDir}
}

describe('watch --host: the remote sampler', () => {
  it('a full snapshot, then live counters over the one resident ssh; the capture is the host\'s', async () => {
    const ssh = new ShAsSsh()
    // No OVS behind this run directory: the OVS sources fail fast, the kernel ones answer.
    const rundir = mkdtempSync(join(tmpdir(), 'dd-no-ovs-'))
    onTestFinished(() => rmSync(rundir, {recursive: true, force: true}))
    const hostSession = new HostSession('fake-remote', {netns: null, ovsRundir: rundir, remote: true}, ssh)
    hostSession.attach(new RemoteRunner(ssh, 'fake-remote', settings(), {sudo: false}))
    const source = new RemoteSampleSource(hostSession)
    const host = {hostname: 'fake-remote', machineId: null, kernel: null, netns: null, ovsRundir: rundir, remote: {destination: 'fake-remote', user: 'root', sudo: false, clockOffsetMs: 0, rttMs: 1}}
    const store = new WatchStore({host})
    const session = new WatchSession({source, store, runner: ssh, host, load: null, loadTimeoutMs: 60_000, durationMs: null})
    const signal = new AbortController().signal

    await session.sampleOnce(signal)
    const before = session.samples[0]!
    expect(before.name).toBe('before')
    const stats = before.sources['sysfs-stats']!
    expect(stats).toMatchObject({status: 'ok', via: 'resident'})
    // The remote reader's lines, turned into the local reader's JSON (lo is on every host).
    expect(Object.keys(JSON.parse(stats.stdout) as Record<string, unknown>)).toContain('lo')
    expect(before.sources['ovsdb-bridge']).toMatchObject({via: 'resident'})
    expect(before.sources['ovsdb-bridge']!.status).not.toBe('ok')
    // Every ssh was a resident reader (up to 4 for a snapshot), none a command per source.
    expect(ssh.ssh.length).toBeGreaterThan(0)
    expect(ssh.ssh.length).toBeLessThanOrEqual(4)
    for (const argv of ssh.ssh) expect(argv.at(-1)).toContain('dd-resident')
    const afterSnapshot = ssh.ssh.length

    await session.sampleOnce(signal)
    await session.sampleOnce(signal)
    expect(session.samples.map((s) => s.name)).toEqual(['before', 'during', 'during-2'])
    const live = session.samples[2]!
    expect(live.sources['sysfs-stats']).toMatchObject({status: 'ok', via: 'resident'})
    // Live samples: no OVSDB, and no new ssh (the resident reader answered them).
    expect(Object.keys(live.sources).some((id) => id.startsWith('ovsdb-'))).toBe(false)
    expect(ssh.ssh.length).toBe(afterSnapshot)
    const line = JSON.parse(jsonLine(store.getSnapshot(), [])) as {type: string; samples: number}
    expect(line).toMatchObject({type: 'sample', samples: 3})

    const capture = await session.stop()
    expect(capture.manifest.host.remote?.destination).toBe('fake-remote')
    expect(capture.samples.at(-1)!.sources['sysfs-stats']).toMatchObject({via: 'resident'})
  }, 60_000)

  it('a host whose ssh fails is the error, with its status, before any sample', async () => {
    const refused: Runner = {
      run: async (request) => ({argv: request.argv, stdout: '', stderr: 'ssh: connect to host 10.0.0.9 port 22: Connection refused\n', exitCode: 255, signal: null, timedOut: false, notFound: false, startedAt: new Date().toISOString(), durationMs: 1, error: null}),
    }
    await expect(openRemoteSource({host: 'dd-down', ssh: settings(), netns: null, ovsRundir: null, runner: refused})).rejects.toMatchObject({
      code: 'E_HOST',
      message: expect.stringMatching(/^dd-down: unreachable \(.*Connection refused\)$/),
    })
  })
})
