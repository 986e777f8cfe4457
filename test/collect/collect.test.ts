import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import {argvFor, collectSample} from '../../src/collect/collect.js'
import {STATIC_SOURCES} from '../../src/collect/sources.js'
import {ReplayRunner, sourceIdForArgv} from '../../src/exec/replay-runner.js'
import type {RunRequest, RunResult, Runner} from '../../src/exec/runner.js'

const broken = readCapture('fixtures/bundles/lab-broken-huge-load')

/** Records every request; answers from a replay, with optional delays and failures per source id. */
class ScriptedRunner implements Runner {
  readonly requests: RunRequest[] = []
  constructor(private readonly replay: Runner, private readonly script: Record<string, {delayMs?: number; fail?: 'timeout' | 'missing'}> = {}) {}
  async run(request: RunRequest): Promise<RunResult> {
    this.requests.push(request)
    const id = sourceIdForArgv(request.argv) ?? ''
    const plan = this.script[id] ?? {}
    if (plan.delayMs) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, plan.delayMs)
        request.signal?.addEventListener('abort', () => {
          clearTimeout(t)
          resolve()
        })
      })
    }
    const base = await this.replay.run(request)
    if (request.signal?.aborted) return {...base, error: 'aborted', exitCode: null}
    if (plan.fail === 'timeout') return {...base, stdout: '', exitCode: null, timedOut: true}
    if (plan.fail === 'missing') return {...base, stdout: '', exitCode: null, notFound: true}
    return base
  }
}

const target = {netns: null, ovsRundir: null}

describe('collectSample', () => {
  it('runs every source and the per-bridge ones once the bridge list is known', async () => {
    const runner = new ScriptedRunner(new ReplayRunner([broken.samples[0]!]))
    const {sample} = await collectSample('before', {runner, target, slow: 'wait'})
    for (const spec of STATIC_SOURCES) expect(sample.sources[spec.id], spec.id).toBeDefined()
    expect(sample.sources['fdb.ovsbr0']?.status).toBe('ok')
    expect(sample.sources['ofctl-ports.ovsbr0']?.status).toBe('ok')
    expect(sample.sources['ofctl-show.ovsbr0']?.status).toBe('not-installed') // not in the lab capture
    expect(sample.sources['pmd-stats']?.stdout).toBe(broken.samples[0]!.sources['pmd-stats']!.stdout)
  })

  it('keeps going when sources fail, recording why', async () => {
    const runner = new ScriptedRunner(new ReplayRunner([broken.samples[0]!]), {
      'pmd-stats': {fail: 'timeout'},
      'dpif-show': {fail: 'missing'},
    })
    const {sample} = await collectSample('before', {runner, target, slow: 'wait'})
    expect(sample.sources['pmd-stats']).toMatchObject({status: 'timeout'})
    expect(sample.sources['dpif-show']).toMatchObject({status: 'not-installed'})
    expect(sample.sources['ovsdb-interface']?.status).toBe('ok')
    expect(sample.sources['fdb.ovsbr0']?.status).toBe('ok')
  })

  it('does not let a slow optional source hold up the sample', async () => {
    const runner = new ScriptedRunner(new ReplayRunner([broken.samples[0]!]), {devbind: {delayMs: 3000}})
    const started = Date.now()
    const {sample} = await collectSample('before', {runner, target, slow: 'grace'})
    expect(Date.now() - started).toBeLessThan(2000)
    expect(sample.sources.devbind).toMatchObject({status: 'skipped', reason: 'slow optional source; not waited for'})
  })

  it('waits for slow sources when asked (capture bundles)', async () => {
    const runner = new ScriptedRunner(new ReplayRunner([broken.samples[0]!]), {devbind: {delayMs: 300}})
    const {sample} = await collectSample('before', {runner, target, slow: 'wait'})
    expect(sample.sources.devbind?.status).toBe('ok')
  })

  it('collects only live counters during a window', async () => {
    const runner = new ScriptedRunner(new ReplayRunner([broken.samples[1]!]))
    const {sample} = await collectSample('during', {runner, target, live: true, knownBridges: ['ovsbr0']})
    expect(Object.keys(sample.sources).sort()).toEqual(['dpctl-show', 'ip-link', 'ofctl-ports.ovsbr0', 'pmd-stats', 'sysfs-stats'])
    // OVSDB statistics lag 5 s: never sampled live.
    expect(runner.requests.some((r) => r.argv.includes('ovs-vsctl'))).toBe(false)
  })

  it('runs kernel-side sources in --netns and points OVS tools at --ovs-rundir', async () => {
    const runner = new ScriptedRunner(new ReplayRunner([broken.samples[0]!]))
    await collectSample('before', {runner, target: {netns: 'lab-host0', ovsRundir: '/tmp/lab/run'}, slow: 'wait'})
    const ipAddr = runner.requests.find((r) => r.argv.includes('addr'))!
    expect(ipAddr.argv.slice(0, 4)).toEqual(['ip', '-n', 'lab-host0', '-j'])
    const devbind = runner.requests.find((r) => r.argv.includes('dpdk-devbind.py'))!
    expect(devbind.argv.slice(0, 5)).toEqual(['ip', 'netns', 'exec', 'lab-host0', 'dpdk-devbind.py'])
    const vsctl = runner.requests.find((r) => r.argv[0] === 'ovs-vsctl')!
    expect(vsctl.env).toEqual({OVS_RUNDIR: '/tmp/lab/run'})
    expect(vsctl.argv.slice(0, 3)).toEqual(['ovs-vsctl', '-t', '5'])
    const appctl = runner.requests.find((r) => r.argv[0] === 'ovs-appctl')!
    expect(appctl.argv.slice(0, 3)).toEqual(['ovs-appctl', '-T', '5'])
    // /sys and /proc/sys/net are per namespace: read from inside it.
    const sysfs = runner.requests.find((r) => r.argv.at(-1) === 'sysfs-net')!
    expect(sysfs.argv.slice(0, 5)).toEqual(['ip', 'netns', 'exec', 'lab-host0', process.execPath])
  })

  it('never sends an invalid bridge name to an argv', async () => {
    const sample = structuredClone(broken.samples[0]!)
    const src = sample.sources['ovsdb-bridge']!
    src.stdout = src.stdout.replace('"ovsbr0"', '"-evil;name"')
    const runner = new ScriptedRunner(new ReplayRunner([sample]))
    await collectSample('before', {runner, target, slow: 'wait'})
    expect(runner.requests.some((r) => r.argv.includes('-evil;name'))).toBe(false)
  })
})

describe('bridges from the OVS run directory', () => {
  it('starts per-bridge sources without waiting for ovsdb-bridge when vswitchd has a .mgmt socket', async () => {
    const rundir = mkdtempSync(join(tmpdir(), 'dd-rundir-'))
    writeFileSync(join(rundir, 'ovsbr0.mgmt'), '')
    writeFileSync(join(rundir, 'db.sock'), '')
    writeFileSync(join(rundir, '-bad;name.mgmt'), '')
    try {
      const runner = new ScriptedRunner(new ReplayRunner([broken.samples[0]!]), {'ovsdb-bridge': {delayMs: 400}})
      const started = Date.now()
      const asked: Record<string, number> = {}
      const {sample} = await collectSample('before', {
        runner, target: {netns: null, ovsRundir: rundir}, slow: 'wait',
        onSource: (r) => (asked[r.id] = Date.now() - started),
      })
      expect(asked['fdb.ovsbr0']).toBeLessThan(asked['ovsdb-bridge']!)
      expect(sample.sources['ofctl-ports.ovsbr0']?.status).toBe('ok')
      // Not asked twice once OVSDB confirms the bridge, and an invalid name never reaches an argv.
      expect(runner.requests.filter((r) => r.argv.includes('fdb/show')).length).toBe(1)
      expect(runner.requests.some((r) => r.argv.includes('-bad;name'))).toBe(false)
    } finally {
      rmSync(rundir, {recursive: true, force: true})
    }
  })
})

describe('argvFor', () => {
  it('reads /proc files in-process, whatever the namespace', () => {
    const meminfo = STATIC_SOURCES.find((s) => s.id === 'meminfo')!
    expect(argvFor(meminfo, {netns: 'x', ovsRundir: null})).toBeNull()
  })
})
