/**
 * The two-host watch with fake sources (the two-host lab's recorded bundle: host0 FIXED, host1
 * BROKEN): both hosts on the same tick, the side lines in diagnose's words, the wire between the
 * DPDK ports with the gap, the cross-host rules on the rolling windows; a host that stops
 * answering mid-watch (its resident ssh refused) is its status while the other keeps updating; a
 * slow host does not hold the other's tick; the capture and summary are the two-host diagnose's.
 */
import {describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import type {HostInfo, Sample, SourceResult} from '../../src/capture/types.js'
import {diagnoseHosts, inputsOfCapture} from '../../src/remote/diagnose.js'
import {sampleFailure} from '../../src/remote/hosts.js'
import {multiJsonLine, multiPlainLines} from '../../src/watch/format.js'
import {MultiWatch} from '../../src/watch/multi.js'
import type {HostWatchInit} from '../../src/watch/multi.js'
import type {SampleSource} from '../../src/watch/sources.js'
import {RecordedSource, REFUSED, TWO_HOST} from './helpers.js'

const host0 = readCapture(`${TWO_HOST}/host0`)
const host1 = readCapture(`${TWO_HOST}/host1`)

/** A host whose reading never comes back until the watch stops. */
class HangingSource implements SampleSource {
  readonly live = true
  calls = 0
  next(signal: AbortSignal): Promise<Sample | null> {
    this.calls++
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(null), {once: true}))
  }
  close(): void {}
}

const init = (name: string, host: HostInfo, source: SampleSource | null): HostWatchInit => ({name, host, source, status: source ? 'ok' : 'unreachable', failure: source ? null : {status: 'unreachable', reason: 'ssh: connect to host 10.0.0.9 port 22: Connection refused', fix: null}, probe: null})

function multi(sources: [SampleSource | null, SampleSource | null], opts: {durationMs?: number | null; tickBudgetMs?: number} = {}) {
  return new MultiWatch({
    hosts: [init('host0', host0.manifest.host, sources[0]), init('host1', host1.manifest.host, sources[1])],
    runner: {run: () => Promise.reject(new Error('no command runs here'))},
    load: null,
    loadTimeoutMs: 60_000,
    durationMs: opts.durationMs ?? null,
    tickBudgetMs: opts.tickBudgetMs ?? 5000,
  })
}

describe('sampleFailure: a host that stopped answering, from its sample', () => {
  const sample = (results: Array<Partial<SourceResult>>): Sample =>
    ({name: 'during-3', takenAt: new Date().toISOString(), sources: Object.fromEntries(results.map((r, i) => [`s${i}`, {id: `s${i}`, argv: [], status: 'ok', exitCode: 0, durationMs: 1, startedAt: '', stdout: '', stderr: '', ...r}]))}) as Sample
  it('its resident ssh ended: ssh\'s own failure, classified as at the probe', () => {
    expect(sampleFailure(sample([{status: 'error', reason: REFUSED}, {status: 'error', reason: 'the resident reader was closed'}]), 'host1')).toEqual({status: 'unreachable', reason: 'ssh: connect to host 10.0.0.9 port 22: Connection refused', fix: null})
    expect(sampleFailure(sample([{status: 'error', reason: 'the remote reader ended (Connection to 10.0.0.9 closed by remote host.)'}]), 'host1')).toMatchObject({status: 'unreachable'})
  })
  it('every reading ran out of time: timeout; anything that answered (OVS down, kernel readers fine): none', () => {
    expect(sampleFailure(sample([{status: 'timeout', reason: 'no answer in 20 s'}, {status: 'timeout', reason: 'no answer in 20 s'}]), 'host1')).toMatchObject({status: 'timeout', reason: 'no answer in 20 s'})
    expect(sampleFailure(sample([{status: 'error', reason: REFUSED}, {status: 'ok'}]), 'host1')).toBeNull()
    expect(sampleFailure(sample([{status: 'error', reason: 'database connection failed'}]), 'host1')).toBeNull()
  })
})

describe('MultiWatch over two recorded hosts', () => {
  it('both on the same tick: sides, the wire host0 -> host1 with its gap, the cross-host wire accounting on the rolling windows', async () => {
    const a = new RecordedSource(host0.samples)
    const b = new RecordedSource(host1.samples)
    const watch = multi([a, b])
    const signal = new AbortController().signal
    for (let i = 0; i < 5; i++) await watch.sampleOnce(signal)
    expect([a.calls, b.calls]).toEqual([5, 5])
    const frame = watch.getSnapshot()
    expect(frame.ticks).toBe(5)
    expect(frame.hosts.map((h) => [h.name, h.status, h.frame.samples])).toEqual([['host0', 'ok', 5], ['host1', 'ok', 5]])
    expect(frame.sides).toEqual(['host0: FAST PATH', 'host1: KERNEL PATH via ovsbr0 -> enp65s0f0np0'])
    // host0's dpdk0 sends to host1, whose kernel NIC (not its dpdk0) takes it off the wire.
    const [out, back] = frame.wire
    expect(out).toMatchObject({from: 'host0', to: 'host1', fromPorts: ['dpdk0'], toPorts: ['dpdk0']})
    expect(out!.txMbps).toBeGreaterThan(10)
    expect(out!.rxMbps).toBeLessThan(out!.txMbps * 0.1)
    expect(out!.gapPct).toBeGreaterThan(90)
    expect(back).toMatchObject({from: 'host1', to: 'host0'})
    const wire = frame.cross.find((c) => c.ruleId === 'cross-wire-accounting')!
    expect(wire).toMatchObject({status: 'fail', severity: 'critical'})
    expect(wire.text).toMatch(/host1's kernel took the traffic off the wire/)

    const plain = multiPlainLines(frame)
    expect(plain[0]).toMatch(/^\[\d+s\] host0: FAST PATH; host1: KERNEL PATH via ovsbr0 -> enp65s0f0np0$/)
    expect(plain[1]).toMatch(/^\[\d+s\] wire: host0 dpdk0 tx .* pkt\/s .* Mbit\/s -> host1 dpdk0 rx .* \(gap \d+\.\d %\); host1 dpdk0 tx /)
    expect(plain.some((l) => /cross: cross-wire-accounting: CRITICAL /.test(l))).toBe(true)
    expect(plain.slice(-2).map((l) => l.split(':')[0])).toEqual(['host0', 'host1'])
    const json = JSON.parse(multiJsonLine(frame, {})) as {type: string; hosts: Array<{host: string; type: string; status: string; path: string}>}
    expect(json.type).toBe('tick')
    expect(json.hosts.map((h) => [h.host, h.type, h.status, h.path])).toEqual([['host0', 'sample', 'ok', 'FAST PATH'], ['host1', 'sample', 'ok', 'KERNEL PATH']])
  })

  it('host1 stops answering mid-watch: its status in its section, host0 keeps updating, the cross-host rules wait for it; the capture keeps what host1 gave', async () => {
    const b = new RecordedSource(host1.samples, 3)
    const watch = multi([new RecordedSource(host0.samples), b])
    const signal = new AbortController().signal
    for (let i = 0; i < 3; i++) await watch.sampleOnce(signal)
    expect(watch.getSnapshot().hosts[1]!.status).toBe('ok')
    await watch.sampleOnce(signal)
    await watch.sampleOnce(signal)
    const frame = watch.getSnapshot()
    const [h0, h1] = frame.hosts
    expect(h1).toMatchObject({status: 'unreachable', reason: 'ssh: connect to host 10.0.0.9 port 22: Connection refused'})
    expect(h1!.failedAtS).not.toBeNull()
    expect(h1!.frame.samples).toBe(3) // what it gave before, nothing of the failed tries
    expect(b.calls).toBe(5) // tried again on every tick
    expect(h0).toMatchObject({status: 'ok'})
    expect(h0!.frame.samples).toBe(5)
    expect(frame.sides[1]).toBe('host1: UNREACHABLE (ssh: connect to host 10.0.0.9 port 22: Connection refused)')
    expect(frame.wire).toEqual([])
    expect(frame.cross.every((c) => c.status === 'unknown' && /host1 is unreachable/.test(c.text ?? ''))).toBe(true)
    expect(multiPlainLines(frame).at(-1)).toMatch(/^host1: UNREACHABLE \(ssh: connect to host .* Connection refused\) since \d+s$/)
    expect(watch.finished()).toBe(false)

    const capture = await watch.stop()
    expect(capture.ticks).toHaveLength(5)
    expect(capture.hosts.map((h) => [h.name, h.status, h.capture?.samples.length ?? null])).toEqual([['host0', 'ok', 6], ['host1', 'unreachable', 3]])
    const md = diagnoseHosts(inputsOfCapture(capture, null))
    expect(md.failed).toEqual([{name: 'host1', status: 'unreachable', reason: 'ssh: connect to host 10.0.0.9 port 22: Connection refused'}])
    expect(md.cross.rules.every((r) => r.status === 'unknown')).toBe(true)
    // host1's own window (before it went) still judges: its kernel path is CRITICAL.
    expect(md.exitCode).toBe(2)
  })

  it('a host that never answered is listed, not sampled; a slow host does not hold the other\'s tick', async () => {
    const hang = new HangingSource()
    const a = new RecordedSource(host0.samples)
    const watch = multi([a, hang], {tickBudgetMs: 20})
    const stop = new AbortController()
    for (let i = 0; i < 3; i++) await watch.sampleOnce(stop.signal)
    // host1 is still busy with its first reading: not asked again; host0 sampled on every tick.
    expect([a.calls, hang.calls]).toEqual([3, 1])
    expect(watch.getSnapshot().hosts.map((h) => h.frame.samples)).toEqual([3, 0])
    expect(watch.getSnapshot().ticks).toBe(3)
    stop.abort()
    await watch.stop()

    // Every host busy (a slow first snapshot on a loaded host): a tick that starts no sample is no tick.
    const both = multi([new HangingSource(), new HangingSource()], {tickBudgetMs: 20})
    const stop2 = new AbortController()
    for (let i = 0; i < 3; i++) await both.sampleOnce(stop2.signal)
    expect(both.getSnapshot().ticks).toBe(1)
    expect(both.capture().ticks).toHaveLength(1)
    stop2.abort()
    await both.stop()

    const one = multi([new RecordedSource(host0.samples), null], {durationMs: 2000})
    const signal = new AbortController().signal
    for (let i = 0; i < 6 && !one.finished(); i++) await one.sampleOnce(signal)
    const frame = one.getSnapshot()
    expect(frame.hosts[1]).toMatchObject({status: 'unreachable', failedAtS: null})
    expect(frame.sides[1]).toBe('host1: UNREACHABLE (ssh: connect to host 10.0.0.9 port 22: Connection refused)')
    // --during is sampled time of the hosts that answer.
    expect(one.finishReason()).toBe('duration')
    const capture = await one.stop()
    expect(capture.hosts[1]).toMatchObject({name: 'host1', status: 'unreachable', capture: null})
  })
})
