/**
 * The live path without a host: LiveSampleSource over a ReplayRunner (the broken lab host's
 * recorded outputs, answered by argv), a load that streams iperf3 lines and ends only when
 * aborted. Checks the sampler reads only live counters between full snapshots, the load is ended
 * through the runner's abort signal, nothing mutating is ever run, and the capture diagnoses like
 * `diagnose --from`.
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it, onTestFinished} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import {analyse} from '../../src/diagnose/analyse.js'
import {ReplayRunner, sourceIdForArgv} from '../../src/exec/replay-runner.js'
import {JsonStreamSplitter} from '../../src/exec/unixctl.js'
import type {RunRequest, RunResult, Runner} from '../../src/exec/runner.js'
import {rowsOfVsctlJson} from '../../src/watch/queues.js'
import {LiveSampleSource} from '../../src/watch/sources.js'
import {loadArgv, WatchSession} from '../../src/watch/session.js'
import {WatchStore} from '../../src/watch/store.js'
import {BROKEN} from './helpers.js'

const IPERF_LINES = [
  'Connecting to host 172.16.0.2, port 5201\n',
  '[  5] local 192.168.100.10 port 41234 connected to 172.16.0.2 port 5201\n',
  '[ ID] Interval           Transfer     Bitrate         Retr  Cwnd\n',
  '[  5]   0.00-1.00   sec  62.5 MBytes   524 Mbits/sec   12    300 KBytes\n',
]

/** The recorded host for every source; the load streams its lines and runs until aborted. */
class LabLikeRunner implements Runner {
  readonly replay: ReplayRunner
  loadAborted = false
  constructor() {
    this.replay = new ReplayRunner(readCapture(BROKEN).samples)
  }
  async run(request: RunRequest): Promise<RunResult> {
    if (!request.argv.includes('iperf3')) return this.replay.run(request)
    for (const line of IPERF_LINES) request.onStdout?.(line)
    await new Promise<void>((resolve) => request.signal?.addEventListener('abort', () => resolve(), {once: true}))
    this.loadAborted = true
    const startedAt = new Date().toISOString()
    return {argv: request.argv, stdout: IPERF_LINES.join(''), stderr: '', exitCode: null, signal: 'SIGTERM', timedOut: false, notFound: false, startedAt, durationMs: 1000, error: 'aborted'}
  }
}

describe('a live watch session', () => {
  it('before (full), live counters, a final full snapshot; the load streamed and then ended by abort', async () => {
    const runner = new LabLikeRunner()
    const host = {hostname: 'lab-host0', machineId: null, kernel: null, netns: 'lab-host0', ovsRundir: null}
    const store = new WatchStore({host})
    const load = loadArgv(['ip', 'netns', 'exec', 'lab-vm0', 'iperf3', '-c', '172.16.0.2', '-t', '30'])
    expect(load.argv.at(-1)).toBe('--forceflush')
    // The named namespace as `ip netns` keeps it (its inode is its identity), here a file of our own.
    const netnsDir = mkdtempSync(join(tmpdir(), 'dd-netns-'))
    writeFileSync(join(netnsDir, 'lab-host0'), '')
    onTestFinished(() => rmSync(netnsDir, {recursive: true, force: true}))
    const source = new LiveSampleSource(runner, {netns: 'lab-host0', ovsRundir: null}, {netnsDir})
    const session = new WatchSession({source, store, runner, host, load: load.argv, loadTimeoutMs: 60_000, durationMs: null})
    const signal = new AbortController().signal

    let redraws = 0
    store.subscribe(() => redraws++)
    await session.sampleOnce(signal)
    expect(store.getSnapshot().path).toBe('WAITING')
    // The load started at once; its per-interval lines (already printed by the fake iperf3) wait
    // for the next sample: one redraw per interval, not one more per line.
    expect(store.getSnapshot().load).toMatchObject({state: 'running', bitsPerSecond: null})
    expect(redraws).toBe(2) // the sample, the load's start
    runner.replay.advance()
    await session.sampleOnce(signal)
    expect(redraws).toBe(3)
    const frame = store.getSnapshot()
    expect(frame.load).toMatchObject({state: 'running', target: '172.16.0.2', bitsPerSecond: 524e6, retransmits: 12})
    expect(frame.path).toBe('KERNEL PATH')
    // (Rates are over the milliseconds between the two replayed samples: only their sign matters here.)
    expect(frame.ports.find((p) => p.name === 'enp65s0f0np0')!.txMbps).toBeGreaterThan(0)
    expect(frame.ports.find((p) => p.name === 'dpdk0')!.txMbps).toBe(0)
    expect(frame.findings.map((f) => f.ruleId)).toContain('kernel-nic-carries-load')

    // Live samples: only the live counters, never OVSDB; in a netns the kernel counters come from
    // the one resident reader (started once, asked once per sample), not a process per sample.
    const live = session.samples[1]!
    expect(Object.keys(live.sources).sort()).toEqual(['dpctl-show', 'pmd-perf', 'pmd-stats', 'sysfs-stats'])
    expect(live.sources['sysfs-stats']).toMatchObject({status: 'ok', via: 'resident'})
    // One node process in the namespace for the whole watch: no one-shot reader, one resident one.
    expect(runner.replay.calls.filter((argv) => argv.includes('-e')).map((argv) => argv.at(-1))).toEqual(['resident'])
    // dpdk-devbind.py (a Python start) is left to the final snapshot.
    expect(session.samples[0]!.sources['devbind']).toBeUndefined()

    const capture = await session.stop()
    expect(runner.loadAborted).toBe(true)
    expect(capture.samples.map((s) => s.name)).toEqual(['before', 'during', 'during-2'])
    expect(capture.samples[2]!.sources['ovsdb-interface']).toBeDefined()
    expect(capture.samples[2]!.sources['devbind']).toBeDefined()
    expect(capture.samples[2]!.sources['sysctl-net']).toMatchObject({status: 'ok', via: 'resident'})
    expect(capture.loadOutput).toContain('524 Mbits/sec')
    const diagnosis = analyse(capture, {input: {mode: 'live', bundle: null, savedTo: null}})
    expect(diagnosis.verdict.kind).toBe('kernel-bypass')
    expect(diagnosis.exitCode).toBe(2)
    expect(diagnosis.load?.target).toBe('172.16.0.2')

    // Read-only: every command was a known collection source (or the load itself).
    const unknown = runner.replay.calls.filter((argv) => sourceIdForArgv(argv) === null && !argv.join(' ').includes('iperf3') && !argv.includes('-e'))
    expect(unknown).toEqual([])
  })

  it('the load ending ends the session after one more sample; --duration ends it too', async () => {
    const runner = new ReplayRunner(readCapture(BROKEN).samples, {'true --forceflush': {stdout: '', exitCode: 0}})
    const host = {hostname: 'h', machineId: null, kernel: null, netns: 'ns0', ovsRundir: null}
    const store = new WatchStore({host})
    const session = new WatchSession({source: new LiveSampleSource(runner, {netns: 'ns0', ovsRundir: null}), store, runner, host, load: null, loadTimeoutMs: 1000, durationMs: 0})
    await session.sampleOnce(new AbortController().signal)
    expect(session.finishReason()).toBe('duration')
  })

  it('per-queue counters: one select per tick on ovsdb-server\'s db.sock (no process), kept out of the live samples', async () => {
    // A stand-in ovsdb-server in the run directory: the broken host's Interface rows, vhost-user1's
    // tx queue 0 counting 1000 packets more at each select (an OVSDB refresh every tick here).
    const rundir = mkdtempSync(join(tmpdir(), 'dd-rundir-'))
    onTestFinished(() => rmSync(rundir, {recursive: true, force: true}))
    const rows = rowsOfVsctlJson(readFileSync(join(BROKEN, 'before', 'ovsdb-interface.out'), 'utf8'))
    const selects: unknown[] = []
    const server = createServer((socket) => {
      const splitter = new JsonStreamSplitter()
      socket.on('data', (data) => {
        for (const text of splitter.push(data.toString())) {
          const request = JSON.parse(text) as {id: number; params: unknown[]}
          selects.push(request.params[1])
          const extra = 1000 * selects.length
          const answer = rows.map((r) => {
            const stats = (r['statistics'] as ['map', [string, number][]])[1]
            const bumped = r['name'] === 'vhost-user1' ? stats.map(([k, v]): [string, number] => [k, k === 'tx_q0_good_packets' ? v + extra : v]) : stats
            return {name: r['name'], type: r['type'], statistics: ['map', bumped]}
          })
          socket.write(JSON.stringify({id: request.id, result: [{rows: answer}], error: null}))
        }
      })
    })
    await new Promise<void>((resolve) => server.listen(join(rundir, 'db.sock'), resolve))
    onTestFinished(() => void server.close())

    const runner = new ReplayRunner(readCapture(BROKEN).samples)
    const host = {hostname: 'h', machineId: null, kernel: null, netns: null, ovsRundir: rundir}
    const store = new WatchStore({host})
    const source = new LiveSampleSource(runner, {netns: null, ovsRundir: rundir})
    const session = new WatchSession({source, store, runner, host, load: null, loadTimeoutMs: 1000, durationMs: null})
    const signal = new AbortController().signal
    await session.sampleOnce(signal) // before: its queues from its own Interface rows
    expect(selects).toEqual([])
    expect(store.getSnapshot().queues.every((q) => q.txPps === null)).toBe(true)
    const commands = runner.calls.length
    runner.advance()
    await session.sampleOnce(signal)
    await new Promise((r) => setTimeout(r, 20)) // the ticks' times must differ for a rate
    await session.sampleOnce(signal)
    expect(selects).toEqual([
      {op: 'select', table: 'Interface', where: [], columns: ['name', 'type', 'statistics']},
      {op: 'select', table: 'Interface', where: [], columns: ['name', 'type', 'statistics']},
    ])
    const q0 = store.getSnapshot().queues.find((q) => q.port === 'vhost-user1' && q.queue === 0)!
    expect(q0.txPps).toBeGreaterThan(0)
    expect(q0.rxPps).toBe(0)
    // The live samples hold no OVSDB source, and no command ran for the queues.
    for (const sample of session.samples.slice(1)) expect(Object.keys(sample.sources).filter((id) => id.startsWith('ovsdb'))).toEqual([])
    expect(runner.calls.slice(commands).filter((argv) => argv[0] === 'ovs-vsctl')).toEqual([])
    source.close()
  })
})
