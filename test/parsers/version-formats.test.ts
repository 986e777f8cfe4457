/**
 * Formats of OVS versions the lab does not run (issue 10, point 4): pmd-stats-show of OVS <= 2.8
 * (no "packets received:"), OVS 4.0's pmd-stats-show printing pmd-perf-show output (busy cycles
 * still read), `ethtool -i` "N/A" values, and OF1.4+ dump-ports extension lines.
 */
import {describe, expect, it} from 'vitest'
import {diagnoseBundle} from '../../src/diagnose/service.js'
import {parseEthtoolInfo} from '../../src/parsers/ethtool.js'
import {parseOfctlPorts} from '../../src/parsers/ofctl.js'
import {parsePmdPerf, parsePmdStats} from '../../src/parsers/pmd.js'
import {valueOf} from './helpers.js'

// OVS 2.7/2.8 layout (tab-indented, "idle cycles:"), counters as OVS prints them after traffic.
const PMD_STATS_28 = [
  'main thread:',
  '\temc hits:0',
  '\tmegaflow hits:0',
  '\tavg. subtable lookups per hit:0.00',
  '\tmiss:0',
  '\tlost:0',
  'pmd thread numa_id 0 core_id 1:',
  '\temc hits:19',
  '\tmegaflow hits:2',
  '\tavg. subtable lookups per hit:1.00',
  '\tmiss:3',
  '\tlost:1',
  '\tidle cycles:1000 (90.00%)',
  '\tprocessing cycles:111 (10.00%)',
  '',
].join('\n')

describe('pmd-stats-show of OVS <= 2.8', () => {
  it('derives packets received from emc + megaflow hits + misses (lost ones are inside miss)', () => {
    const stats = valueOf(parsePmdStats(PMD_STATS_28))
    expect(stats.threads.map((t) => [t.kind, t.packetsReceived])).toEqual([['main', 0], ['pmd', 24]])
    expect(stats.threads[1]).toMatchObject({missWithSuccessUpcall: 2, missWithFailedUpcall: 1})
  })
  it('keeps a printed "packets received:" (2.9+) as it is', () => {
    const stats = valueOf(parsePmdStats('pmd thread numa_id 0 core_id 1:\n  packets received: 7\n  emc hits: 1\n  megaflow hits: 1\n'))
    expect(stats.threads[0]?.packetsReceived).toBe(7)
  })
})

describe('OVS 4.0 pmd-stats-show (pmd-perf-show output)', () => {
  const perf = [
    'Time: 04:37:40.824',
    'Measurement duration: 15.249 s',
    '',
    'pmd thread numa_id 0 core_id 1:',
    '',
    '  Iterations:            138538465  (0.11 us/it)',
    '  - Used TSC cycles:   39311543243  ( 99.1 % of total cycles)',
    '  - idle iterations:     138525844  ( 73.6 % of used cycles)',
    '  - busy iterations:         12621  ( 26.4 % of used cycles)',
    '  Rx packets:               352483  (23 Kpps, 29439 cycles/pkt)',
    '',
  ].join('\n')
  it('reads busy cycles as Rx packets x cycles/pkt and idle as the rest of the used cycles', () => {
    const t = valueOf(parsePmdStats(perf)).threads[0]!
    expect(t.processingCycles).toBe(352483 * 29439)
    expect(t.idleCycles).toBe(39311543243 - 352483 * 29439)
  })
  it('falls back to the busy share of used cycles when the thread received nothing per packet', () => {
    const t = valueOf(parsePmdPerf(perf.replace('  Rx packets:               352483  (23 Kpps, 29439 cycles/pkt)', '  Rx packets:               0'))).threads[0]!
    expect(t.busyCycles).toBe(0)
    const noRx = valueOf(parsePmdPerf(perf.replace(/ {2}Rx packets:.*\n/, ''))).threads[0]!
    expect(noRx.busyCycles).toBe(Math.round(39311543243 * 0.264))
  })
  it('judges pmd-idle-under-load and pmd-saturated on the 4.0 bundle like on 3.1 (were unknown)', () => {
    const d40 = diagnoseBundle('fixtures/bundles/ovs4.0-broken-load')
    const d31 = diagnoseBundle('fixtures/bundles/lab-broken-huge-load')
    for (const id of ['pmd-idle-under-load', 'pmd-saturated']) expect(d40.rules.find((r) => r.ruleId === id)?.status, id).toBe('pass')
    const busy40 = d40.pmds![0]!.busyPct!
    const busy31 = d31.pmds![0]!.busyPct!
    // Same lab counters in both formats: within a percent point of each other.
    expect(Math.abs(busy40 - busy31)).toBeLessThan(1)
    expect(d40.exitCode).toBe(2)
  })
})

describe('ethtool -i N/A', () => {
  it('reads "N/A" as unknown, not as a value', () => {
    const info = valueOf(parseEthtoolInfo('driver: veth\nversion: 1.0\nfirmware-version: N/A\nexpansion-rom-version: \nbus-info: N/A\nsupports-statistics: yes\n'))
    expect(info).toEqual({driver: 'veth', version: '1.0', firmwareVersion: null, busInfo: null})
  })
})

describe('ofctl dump-ports OF1.4+ extension lines', () => {
  it('keeps the port totals when "rx rfc2819" / "tx rfc2819" lines follow', () => {
    const text = [
      'OFPST_PORT reply (OF1.4) (xid=0x2): 1 ports',
      '  port  1: rx pkts=10, bytes=1000, drop=0, errs=0, frame=0, over=0, crc=0',
      '           tx pkts=20, bytes=2000, drop=0, errs=0, coll=0',
      '           duration=12.345s',
      '           rx rfc2819 64_packets=3, 65_to_127_packets=7,',
      '           tx rfc2819 64_packets=5, 65_to_127_packets=15,',
      '           CUSTOM Statistics',
      '                      ovs_tx_failure_drops=0, ovs_tx_mtu_exceeded_drops=0,',
      '',
    ].join('\n')
    const [port] = valueOf(parseOfctlPorts(text))
    expect(port).toEqual({port: 1, rx: {packets: 10, bytes: 1000, drop: 0, errs: 0}, tx: {packets: 20, bytes: 2000, drop: 0, errs: 0}})
  })
})
