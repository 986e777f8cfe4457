/**
 * watch's process-free sampling against the real ovs-vswitchd of the lab: the control-socket
 * client answers exactly what ovs-appctl prints, and a live watch sample reads its counters over
 * the socket and the resident reader in lab-host0, starting no process per sample.
 */
import {describe, expect, it} from 'vitest'
import {ovsRundirOf} from '../../src/collect/collect.js'
import type {RunRequest, RunResult} from '../../src/exec/runner.js'
import {HostRunner} from '../../src/exec/runner.js'
import {controlSocketPath, UnixctlClient} from '../../src/exec/unixctl.js'
import {parseDpctlShow} from '../../src/parsers/dpctl.js'
import {LiveSampleSource} from '../../src/watch/sources.js'
import {useLab} from './harness.js'
import {ovsEnv} from './lab.js'

/** The real runner, counting what it starts. */
class CountingRunner extends HostRunner {
  readonly started: string[][] = []
  override run(request: RunRequest): Promise<RunResult> {
    this.started.push(request.argv)
    return super.run(request)
  }
}

describe('watch sampling on the real OVS-DPDK (no process per sample)', () => {
  const lab = useLab('fixed')
  const rundir = () => ovsEnv().OVS_RUNDIR!

  it('the control socket answers byte for byte what ovs-appctl prints', async () => {
    const client = new UnixctlClient(() => controlSocketPath(rundir()))
    try {
      for (const [method, ...params] of [['version'], ['list-commands'], ['dpif-netdev/pmd-rxq-show']]) {
        // Through the tool's own runner, which keeps the output byte for byte.
        const appctl = await new HostRunner().run({argv: ['ovs-appctl', '-T', '5', method!, ...params], env: {OVS_RUNDIR: rundir()}, timeoutMs: 10_000})
        expect(appctl.exitCode, appctl.stderr).toBe(0)
        const reply = await client.call(method!, params, {timeoutMs: 5000})
        // pmd-rxq-show's usage figures may tick between the two reads: compare its port lines.
        const stable = (text: string) => (method === 'dpif-netdev/pmd-rxq-show' ? text.replace(/usage:\s*\S+ %/g, 'usage: x %') : text)
        expect(stable(reply.result!)).toBe(stable(appctl.stdout))
      }
      const nosuch = await client.call('no-such-command', [], {timeoutMs: 5000})
      expect(nosuch.result).toBeNull()
      expect(nosuch.error).toMatch(/not a valid command/)
      const dpctl = parseDpctlShow((await client.call('dpctl/show', ['-s'], {timeoutMs: 5000})).result!)
      expect(dpctl.ok && dpctl.value.datapaths[0]!.ports.map((p) => p.name).sort()).toEqual(['dpdk0', 'ovs-netdev', 'ovsbr0', 'vhost-user1'])
    } finally {
      client.close()
    }
  })

  it('live samples: counters over the socket and from the one resident reader in lab-host0', async () => {
    const runner = new CountingRunner()
    const source = new LiveSampleSource(runner, {netns: lab.netns, ovsRundir: rundir()})
    const signal = new AbortController().signal
    try {
      const before = await source.next(signal)
      expect(before.sources['dpif-show']).toMatchObject({status: 'ok', via: 'unixctl'})
      expect(before.sources['sysfs-net']).toMatchObject({status: 'ok', via: 'resident'})
      const startedByBefore = runner.started.length
      const live = []
      for (let i = 0; i < 3; i++) live.push(await source.next(signal))
      // Nothing started after the first snapshot.
      expect(runner.started.length).toBe(startedByBefore)
      for (const s of live) {
        expect(Object.keys(s.sources).sort()).toEqual(['dpctl-show', 'pmd-perf', 'pmd-stats', 'sysfs-stats'])
        expect(s.sources['dpctl-show']).toMatchObject({status: 'ok', via: 'unixctl'})
        const stats = JSON.parse(s.sources['sysfs-stats']!.stdout) as Record<string, unknown>
        // lab-host0's own interfaces, not this namespace's.
        expect(Object.keys(stats)).toEqual(expect.arrayContaining(['enp65s0f0np0', 'ovsbr0', 'lo']))
      }
      expect(ovsRundirOf({netns: null, ovsRundir: rundir()})).toBe(rundir())
    } finally {
      source.close()
    }
  })
})
