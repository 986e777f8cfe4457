import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {parsePmdPerf, parsePmdRxq, parsePmdStats} from '../../src/parsers/pmd.js'
import {FIXTURE_ROOT} from './fixture-cases.js'
import {valueOf} from './helpers.js'

const fixture = (base: string, scenario: string): string =>
  readFileSync(`${FIXTURE_ROOT}${base}/${base}--${scenario}.out`, 'utf8')

describe('parsePmdStats', () => {
  it('rejects empty output and garbage', () => {
    expect(parsePmdStats('').ok).toBe(false)
    expect(parsePmdStats('ovs-appctl: cannot connect to "/var/run/openvswitch/ovs-vswitchd.123.ctl"\n').ok).toBe(false)
    expect(parsePmdStats('\u0000\u00ff{{{').ok).toBe(false)
  })

  it('reads busy % from the cycle counts, not from the printed percentage', () => {
    const stats = valueOf(parsePmdStats('pmd thread numa_id 0 core_id 2:\n  idle cycles: 300 (75.00%)\n  processing cycles: 100 (25.00%)\n'))
    expect(stats.threads[0]?.busyPct).toBe(25)
  })

  it('leaves busy % null when cycles are absent or both zero', () => {
    const stats = valueOf(parsePmdStats('main thread:\n  packets received: 0\npmd thread numa_id 0 core_id 3:\n  idle cycles: 0 (0.00%)\n  processing cycles: 0 (0.00%)\n'))
    expect(stats.threads.map((t) => t.busyPct)).toEqual([null, null])
  })

  it('treats OVS <= 2.8 "miss:" as including "lost:"', () => {
    const stats = valueOf(parsePmdStats(fixture('pmd-stats', 'ovs2.6')))
    expect(stats.threads[0]).toMatchObject({missWithSuccessUpcall: 8, missWithFailedUpcall: 2, lost: 2, idleCycles: 86555788000})
  })

  it('detects the OVS 4.0 alias by "Measurement duration:"', () => {
    const stats = valueOf(parsePmdStats(fixture('pmd-stats', 'ovs4.0-alias')))
    expect(stats.format).toBe('pmd-perf-alias')
    expect(stats.threads.map((t) => [t.kind, t.packetsReceived, t.busyPct])).toEqual([
      ['pmd', 12345678, 3.9],
      ['main', 1234, null],
    ])
  })

  it('keeps what it read from truncated output', () => {
    const text = fixture('pmd-stats', 'ovs3.1-broken-load')
    const cut = text.slice(0, text.indexOf('megaflow hits') + 5)
    const stats = valueOf(parsePmdStats(cut))
    expect(stats.threads).toHaveLength(1)
    expect(stats.threads[0]).toMatchObject({packetsReceived: 352064, emcHits: 351831, megaflowHits: null, busyPct: null})
  })

  it('accepts CRLF line ends and tabs', () => {
    const stats = valueOf(parsePmdStats('pmd thread numa_id 1 core_id 7:\r\n\tpackets received:\t42\r\n'))
    expect(stats.threads[0]).toMatchObject({numaId: 1, coreId: 7, packetsReceived: 42})
  })
})

describe('parsePmdPerf', () => {
  it('skips the histograms of output taken without -nh', () => {
    const perf = valueOf(parsePmdPerf(fixture('pmd-perf', 'ovs3.1-broken-load')))
    expect(perf.threads).toHaveLength(1)
    expect(perf.threads[0]).toMatchObject({rxPackets: 352483, txBatches: 12623, pktsPerBatch: 27.92, busyPct: 26.4})
  })

  it('does not let lines after the histograms overwrite counters', () => {
    const text = `${fixture('pmd-perf', 'ovs3.1-fixed-load')}\n  Rx packets: 1\n  - EMC hits: 1\n`
    expect(valueOf(parsePmdPerf(text)).threads[0]?.rxPackets).toBe(983088)
  })

  it('reads the OVS 4.0 main thread block without iteration lines', () => {
    const main = valueOf(parsePmdPerf(fixture('pmd-perf', 'ovs4.0'))).threads[1]
    expect(main).toMatchObject({kind: 'main', iterations: null, busyPct: null, rxPackets: 1234, upcalls: 2})
  })

  it('rejects empty output and garbage', () => {
    expect(parsePmdPerf('').ok).toBe(false)
    expect(parsePmdPerf('random text\nwith: colons\n').ok).toBe(false)
  })

  it('accepts a reply with the header but no PMD, with a warning', () => {
    const result = parsePmdPerf('\nTime: 10:00:00.000\nMeasurement duration: 1.000 s\n\n')
    expect(result).toMatchObject({ok: true, value: {measurementDurationS: 1, threads: []}})
    expect(result.ok && result.warnings.length).toBe(1)
  })
})

describe('parsePmdRxq', () => {
  it('treats NOT AVAIL as unknown, not 0', () => {
    const rxq = valueOf(parsePmdRxq(fixture('pmd-rxq', 'ovs3.1-broken-idle')))
    expect(rxq.pmds[0]?.overheadPct).toBeNull()
    expect(rxq.pmds[0]?.rxqs.map((q) => q.usagePct)).toEqual([null, null])
  })

  it('parses port names longer than 16 characters by tokens', () => {
    const rxq = valueOf(parsePmdRxq(fixture('pmd-rxq', 'ovs3.1-long-names')))
    expect(rxq.pmds[0]?.rxqs).toEqual([
      {port: 'dpdk0', queueId: 0, enabled: true, usagePct: 37},
      {port: 'vhu3f2a9c1e-7b4d-4a11', queueId: 0, enabled: true, usagePct: 21},
      {port: 'vhu3f2a9c1e-7b4d-4a11', queueId: 1, enabled: false, usagePct: null},
    ])
    const longer = valueOf(parsePmdRxq('pmd thread numa_id 0 core_id 1:\n  port: a-port-name-of-thirty-two-chars  queue-id: 12 (enabled)   pmd usage: 99 %\n'))
    expect(longer.pmds[0]?.rxqs).toEqual([{port: 'a-port-name-of-thirty-two-chars', queueId: 12, enabled: true, usagePct: 99}])
  })

  it('splits OVS 2.6 lines listing several queue ids', () => {
    const rxq = valueOf(parsePmdRxq(fixture('pmd-rxq', 'ovs2.6')))
    expect(rxq.pmds[0]?.rxqs.map((q) => `${q.port}/${q.queueId}`)).toEqual(['dpdk0/0', 'dpdk0/1', 'vhost-user1/0'])
  })

  it('rejects empty output and the no-PMD error text', () => {
    expect(parsePmdRxq('').ok).toBe(false)
    expect(parsePmdRxq('Datapath "ovs-netdev" has no PMD threads\n').ok).toBe(false)
  })

  it('warns about unknown lines instead of failing', () => {
    const result = parsePmdRxq('pmd thread numa_id 0 core_id 1:\n  something new: 3\n  port: p  queue-id:  0 (enabled)   pmd usage:  5 %\n')
    expect(result.ok && result.warnings).toEqual(['ignored line: something new: 3'])
    expect(valueOf(result).pmds[0]?.rxqs[0]?.usagePct).toBe(5)
  })
})
