/**
 * fixtures/real/: outputs that real OVS / iproute2 / ethtool installations printed, published by other
 * projects (fixtures/real/README.md lists each one's origin and licence). Every file is parsed by the
 * parser of its source and checked against values read from the file itself.
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {bridgeSources} from '../../src/collect/sources.js'
import {parseSource} from '../../src/parsers/index.js'
import type {DpctlShow, DpifShow, EthtoolInfo, FdbEntry, OfctlPortStats, OfctlShowPort, PmdRxqShow, PmdStats} from '../../src/parsers/types.js'
import {parseBridges, parseInterfaces, parseOpenVswitch} from '../../src/parsers/ovsdb.js'
import {ORIGIN_HEADER, stripOrigin, vsctlListToJson, vsctlShowTree} from '../tools/ovsdb-text.js'
import {valueOf} from './helpers.js'

const ROOT = 'fixtures/real'

/** Every corpus file (bundles/ holds assembled bundles, not outputs). */
function corpusFiles(): string[] {
  return readdirSync(ROOT)
    .filter((d) => d !== 'bundles' && statSync(join(ROOT, d)).isDirectory())
    .flatMap((d) => readdirSync(join(ROOT, d)).map((f) => `${d}/${f}`))
    .sort()
}
const raw = (file: string): string => readFileSync(join(ROOT, file), 'utf8')
const text = (file: string): string => stripOrigin(raw(file))
/** Parses a corpus file with the parser of its folder's source id (bridge sources get instance "br"). */
function parsed<T>(file: string): T {
  const folder = file.slice(0, file.indexOf('/'))
  const id = ['fdb', 'ofctl-show', 'ofctl-ports'].includes(folder) ? `${folder}.br` : folder === 'ethtool-i' ? 'ethtool-i.x' : folder
  const result = parseSource(id, text(file))
  if (!result.ok) expect.fail(`${file}: ${result.error}`)
  return result.value as T
}
const vsctl = (file: string): string => JSON.stringify(vsctlListToJson(text(file)))

const show = (file: string) => parsed<OfctlShowPort[]>(file)
const names = (ports: Array<{name: string}>) => ports.map((p) => p.name)
const BR_INT_PORTS = ['int-br-data', 'patch-tun', 'ha-550dc175-c0', 'fg-c8dcce74-c4', 'qg-14f81a43-69', 'qr-3a70b31c-3f', 'sg-189f4c40-9d', 'tap0e778df8-ca', 'br-int']
const BR_TUN_PORTS = ['patch-int', 'vxlan-0a000072', 'vxlan-0a000085', 'br-tun']
const BR_DATA_PORTS = ['ens7', 'phy-br-data', 'br-data']

/** One check per file: what the parser must read from it. */
const CASES: Record<string, (file: string) => void> = {
  // ---- OVSDB tables (ovs-vsctl list text, converted to the --format=json shape)
  'ovs-vsctl-list/hotsos-ovs2.13-open_vswitch.txt': (f) => {
    const [row] = valueOf(parseOpenVswitch(vsctl(f)))
    expect(row).toMatchObject({ovsVersion: '2.13.3', dpdkVersion: 'none', dpdkInitialized: false, dbVersion: '8.2.0'})
    expect(row!.bridgeUuids).toHaveLength(4)
    expect(row!.ifaceTypes).not.toContain('dpdk')
  },
  'ovs-vsctl-list/hotsos-ovs2.13-bridge.txt': (f) => {
    const bridges = valueOf(parseBridges(vsctl(f)))
    expect(bridges.map((b) => [b.name, b.datapathType, b.portUuids.length])).toEqual([['br-data', 'system', 3], ['br-int', 'system', 9], ['br-ex', 'system', 1], ['br-tun', 'system', 4]])
    expect(bridges.find((b) => b.name === 'br-int')!.protocols).toEqual(['OpenFlow10', 'OpenFlow11', 'OpenFlow12', 'OpenFlow13', 'OpenFlow14'])
    expect(bridges.find((b) => b.name === 'br-ex')!.protocols).toEqual([])
  },
  'ovs-vsctl-list/hotsos-ovs2.13-interface.txt': (f) => {
    const ifaces = valueOf(parseInterfaces(vsctl(f)))
    expect(ifaces).toHaveLength(17)
    expect(ifaces.filter((i) => i.type === 'internal').map((i) => i.name).sort()).toEqual(['br-data', 'br-ex', 'br-int', 'br-tun', 'fg-c8dcce74-c4', 'ha-550dc175-c0', 'qg-14f81a43-69', 'qr-3a70b31c-3f', 'sg-189f4c40-9d'])
    expect(ifaces.find((i) => i.name === 'ens7')).toMatchObject({type: '', ofport: 1, mtu: 1500, statistics: {rx_packets: 37913, tx_bytes: 29979}})
    expect(ifaces.find((i) => i.name === 'tap0e778df8-ca')).toMatchObject({ofport: 9, linkSpeed: 10000000, linkResets: 1, status: {driver_name: 'tun'}})
    expect(ifaces.find((i) => i.name === 'vxlan-0a000072')!.options).toMatchObject({remote_ip: '10.0.0.114', local_ip: '10.0.0.128'})
  },
  'ovs-vsctl-list/netcontrold-dpdk18.11-interface.txt': (f) => {
    const ifaces = valueOf(parseInterfaces(vsctl(f)))
    expect(ifaces.map((i) => [i.name, i.type, i.ofport])).toEqual([['port1', 'dpdkvhostuserclient', 201], ['port2', 'dpdk', 11]])
    expect(ifaces[1]!.options['dpdk-devargs']).toBe('0000:19:00.1')
    expect(ifaces[1]!.status['if_descr']).toBe('DPDK 18.11.2 net_ixgbe')
    expect(ifaces[0]!.options['vhost-server-path']).toBe('/var/lib/vhost_sockets/dpdkvhost2')
  },
  'ovs-vsctl-list/insights-bridge.txt': (f) => {
    const bridges = valueOf(parseBridges(vsctl(f)))
    expect(bridges.map((b) => [b.name, b.datapathType])).toEqual([['br-int', 'enp0s9'], ['br-tun', '']])
    expect(bridges[0]!.protocols).toEqual(['OpenFlow11', 'OpenFlow11', 'OpenFlow12', 'OpenFlow13'])
    expect(bridges[0]!.otherConfig).toEqual({'disable-in-band': 'true', 'mac-table-size': '2048'})
  },
  'ovs-vsctl-list/ryu-cert-of14-only-netdev-bridge.txt': (f) => {
    const [bridge] = valueOf(parseBridges(vsctl(f)))
    expect(bridge).toMatchObject({name: 'br0', datapathType: 'netdev', protocols: ['OpenFlow14']})
    // An OpenFlow 1.4-only bridge: ovs-ofctl's default 1.0 would fail "version negotiation failed".
    expect(bridgeSources(bridge!.name, bridge!.protocols).map((s) => s.argv)).toEqual([
      ['ovs-appctl', '-T', '5', 'fdb/show', 'br0'],
      ['ovs-ofctl', '-t', '5', '-O', 'OpenFlow14', 'show', 'br0'],
      ['ovs-ofctl', '-t', '5', '-O', 'OpenFlow14', 'dump-ports', 'br0'],
    ])
  },
  'ovs-vsctl-show/hotsos-ovs2.13-show.txt': (f) => {
    const tree = vsctlShowTree(text(f))
    expect(tree.ovsVersion).toBe('2.13.3')
    expect(tree.bridges.map((b) => [b.name, b.datapathType, b.ports.length])).toEqual([['br-data', 'system', 3], ['br-tun', 'system', 4], ['br-ex', 'system', 1], ['br-int', 'system', 9]])
    expect(tree.bridges[3]!.ports.find((p) => p.name === 'tap0e778df8-ca')).toEqual({name: 'tap0e778df8-ca', tag: 3, interfaces: ['tap0e778df8-ca']})
  },

  // ---- ovs-ofctl show, OpenFlow 1.0 to 1.4 (1.3+: ports in a separate OFPST_PORT_DESC reply)
  'ofctl-show/hotsos-ovs2.13-of10-br-data.txt': (f) => {
    expect(names(show(f))).toEqual(BR_DATA_PORTS)
    expect(show(f)[0]).toEqual({port: 1, name: 'ens7', mac: '52:54:00:78:19:c3', linkDown: false, portDown: false})
  },
  'ofctl-show/hotsos-ovs2.13-of11-br-int.txt': (f) => expect(names(show(f))).toEqual(BR_INT_PORTS),
  'ofctl-show/hotsos-ovs2.13-of12-br-int.txt': (f) => expect(show(f).map((p) => p.port)).toEqual([1, 2, 3, 4, 5, 6, 7, 9, 'LOCAL']),
  'ofctl-show/hotsos-ovs2.13-of13-br-int.txt': (f) => {
    const ports = show(f)
    expect(names(ports)).toEqual(BR_INT_PORTS)
    expect(ports.find((p) => p.name === 'tap0e778df8-ca')).toEqual({port: 9, name: 'tap0e778df8-ca', mac: 'fe:16:3e:a7:45:cb', linkDown: false, portDown: false})
    expect(ports.find((p) => p.port === 'LOCAL')).toMatchObject({name: 'br-int', linkDown: true, portDown: true})
  },
  'ofctl-show/hotsos-ovs2.13-of13-br-data.txt': (f) => expect(show(f).map((p) => [p.port, p.name])).toEqual([[1, 'ens7'], [2, 'phy-br-data'], ['LOCAL', 'br-data']]),
  'ofctl-show/hotsos-ovs2.13-of13-br-tun.txt': (f) => expect(names(show(f))).toEqual(BR_TUN_PORTS),
  'ofctl-show/hotsos-ovs2.13-of14-br-tun.txt': (f) => expect(show(f).map((p) => [p.port, p.name, p.mac])).toEqual([[1, 'patch-int', 'fe:d2:9d:1a:7f:11'], [2, 'vxlan-0a000072', '06:c5:64:0e:a6:c2'], [3, 'vxlan-0a000085', 'e6:6e:c0:11:c9:9d'], ['LOCAL', 'br-tun', '82:72:c4:83:d8:47']]),
  'ofctl-show/hotsos-ovs2.13-of14-br-data.txt': (f) => expect(show(f).filter((p) => p.portDown).map((p) => p.name)).toEqual(['br-data']),

  // ---- ovs-ofctl dump-ports ("?" counters are unknown, not zero)
  'ofctl-ports/hotsos-ovs2.13-br-int.txt': (f) => {
    const stats = parsed<OfctlPortStats[]>(f)
    expect(stats.map((s) => s.port)).toEqual(['LOCAL', 9, 5, 1, 4, 6, 7, 2, 3])
    expect(stats.find((s) => s.port === 9)).toEqual({port: 9, rx: {packets: 212, bytes: 21542, drop: 0, errs: 0}, tx: {packets: 108, bytes: 10379, drop: 0, errs: 0}})
    expect(stats.find((s) => s.port === 1)!.rx).toEqual({packets: 6032, bytes: 1553937, drop: null, errs: null})
    expect(stats[0]!.rx.drop).toBe(1536)
  },
  'ofctl-ports/hotsos-ovs2.13-br-data.txt': (f) => {
    const stats = parsed<OfctlPortStats[]>(f)
    expect(stats.find((s) => s.port === 1)!.rx).toEqual({packets: 37916, bytes: 3216040, drop: 0, errs: 0})
    expect(stats.find((s) => s.port === 2)!.tx).toEqual({packets: 6032, bytes: 1553937, drop: null, errs: null})
  },

  // ---- dpctl/show (2.13 with -s counters; 3.3 with cache:/caches:/masks-cache: lines; netdev tap)
  'dpctl-show/hotsos-ovs2.13-system.txt': (f) => {
    const [dp] = parsed<DpctlShow>(f).datapaths
    expect(dp).toMatchObject({name: 'system@ovs-system', lookups: {hit: 36830, missed: 4948, lost: 0}, flows: 7})
    expect(dp!.ports.map((p) => p.portNo)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13])
    expect(dp!.ports.find((p) => p.name === 'ens7')).toMatchObject({portNo: 4, stats: {rxPackets: 37915, rxBytes: 3215988, txPackets: 303, txBytes: 29979}})
    expect(dp!.ports.find((p) => p.name === 'vxlan_sys_4789')).toMatchObject({type: 'vxlan', stats: {rxPackets: 0, rxErrors: null, rxDropped: null}})
    expect(dp!.ports.find((p) => p.name === 'sg-189f4c40-9d')!.stats).toMatchObject({rxBytes: 93404, txBytes: 486})
  },
  'dpctl-show/study-notes-ovs3.3-vxlan-caches.txt': (f) => {
    const [dp] = parsed<DpctlShow>(f).datapaths
    expect(dp).toMatchObject({lookups: {hit: 765, missed: 147, lost: 0}, flows: 0})
    expect(dp!.ports.map((p) => [p.portNo, p.name])).toEqual([[0, 'ovs-system'], [1, 'br-provider'], [2, 'eth2'], [3, 'eth3'], [4, 'br-mgmt'], [5, 'br-int'], [6, 'br-tun'], [7, 'vxlan_sys_4789'], [8, 'tap648437e1-0d']])
    expect(dp!.ports.find((p) => p.name === 'eth2')!.type).toBe('system')
  },
  'dpctl-show/study-notes-ovs3.3-geneve-caches.txt': (f) => {
    const [dp] = parsed<DpctlShow>(f).datapaths
    expect(dp!.lookups).toEqual({hit: 627, missed: 298, lost: 0})
    expect(dp!.ports.find((p) => p.portNo === 4)).toMatchObject({name: 'genev_sys_6081', type: 'geneve'})
  },
  'dpctl-show/study-notes-ovs3.3-provider-caches.txt': (f) => {
    const [dp] = parsed<DpctlShow>(f).datapaths
    expect(dp!.lookups).toEqual({hit: 6, missed: 2, lost: 0})
    expect(dp!.ports.map((p) => p.name)).toEqual(['ovs-system', 'br-int', 'eth2', 'br-provider', 'eth3', 'br-mgmt'])
  },
  'dpctl-show/netcontrold-netdev-tap.txt': (f) => {
    const [dp] = parsed<DpctlShow>(f).datapaths
    expect(dp!.name).toBe('netdev@ovs-netdev')
    expect(dp!.ports.map((p) => [p.name, p.type, p.stats?.rxDropped, p.stats?.txDropped])).toEqual([['port1', 'tap', 2, 3], ['port2', 'tap', 2, 3]])
  },

  // ---- dpif/show (OVS tests, dummy datapath)
  'dpif-show/ovs-pmd.at-dummy-1rxq.txt': (f) => {
    const d = parsed<DpifShow>(f)
    expect(d.datapaths).toEqual([{name: 'dummy@ovs-dummy', hit: 0, missed: 0}])
    expect(d.bridges[0]!.ports.map((p) => [p.name, p.ofport, p.odpPort, p.type])).toEqual([['br0', 65534, 100, 'dummy-internal'], ['p0', 1, 1, 'dummy-pmd']])
    expect(d.bridges[0]!.ports[1]!.config['configured_rx_queues']).toBe('1')
  },
  'dpif-show/ovs-pmd.at-dummy-4rxq.txt': (f) => expect(parsed<DpifShow>(f).bridges[0]!.ports[1]).toMatchObject({ofport: 7, config: {requested_rx_queues: '4'}}),
  'dpif-show/ovs-pmd.at-dummy-8rxq.txt': (f) => expect(parsed<DpifShow>(f).bridges[0]!.ports[1]!.config['configured_rx_queues']).toBe('8'),

  // ---- ethtool -i (empty firmware-version is unknown)
  'ethtool-i/hotsos-ens3.txt': (f) => expect(parsed<EthtoolInfo>(f)).toEqual({driver: 'virtio_net', version: '1.0.0', firmwareVersion: null, busInfo: '0000:00:03.0'}),
  'ethtool-i/hotsos-ens5.txt': (f) => expect(parsed<EthtoolInfo>(f).busInfo).toBe('0000:00:05.0'),
  'ethtool-i/hotsos-ens8.txt': (f) => expect(parsed<EthtoolInfo>(f).busInfo).toBe('0000:00:08.0'),

  // ---- fdb/show (OVS <= 3.7 header; insights-core's anonymised MACs are not MACs and are dropped)
  'fdb/hotsos-ovs2.13-br-int.txt': (f) => {
    const entries = parsed<FdbEntry[]>(f)
    expect(entries).toHaveLength(12)
    expect(entries.find((e) => e.mac === 'fa:16:3e:a7:45:cb')).toMatchObject({port: '9', vlan: 3, age: 3})
    expect(new Set(entries.map((e) => e.vlan))).toEqual(new Set([1, 2, 3]))
  },
  'fdb/hotsos-ovs2.13-br-data.txt': (f) => expect(parsed<FdbEntry[]>(f).map((e) => [e.port, e.vlan, e.age])).toEqual([['1', 0, 284], ['1', 0, 255], ['2', 0, 39], ['1', 0, 39], ['1', 0, 6]]),
  'fdb/hotsos-ovs2.13-br-tun-empty.txt': (f) => expect(parsed<FdbEntry[]>(f)).toEqual([]),
  'fdb/insights-br-int.txt': (f) => expect(parsed<FdbEntry[]>(f)).toEqual([{bridge: 'br', port: '6', vlan: 29, mac: 'aa:bb:cc:dd:ee:ff', age: 270, static: false}]),
  'fdb/insights-br-tun.txt': (f) => expect(parsed<FdbEntry[]>(f).map((e) => [e.port, e.vlan, e.age])).toEqual([['7', 29, 27]]),

  // ---- pmd-stats-show: OVS 2.6 ("polling cycles", no "packets received"), 2.11+ (smc), OVS tests
  'pmd-stats/netcontrold-ovs2.6-polling-cycles.txt': (f) => {
    const {threads} = parsed<PmdStats>(f)
    expect(threads.map((t) => [t.numaId, t.coreId])).toEqual([[0, 22], [0, 2]])
    // Derived from emc + megaflow hits + miss: the same count OVS divides by in "avg cycles per packet".
    expect(threads.map((t) => t.packetsReceived)).toEqual([17461158, 14874381])
    expect(threads[0]).toMatchObject({idleCycles: 4948219259, processingCycles: 14220835107, busyPct: 74.19})
  },
  'pmd-stats/netcontrold-ovs2.11-smc.txt': (f) => {
    const {threads} = parsed<PmdStats>(f)
    expect(threads.map((t) => [t.kind, t.coreId, t.packetsReceived])).toEqual([['pmd', 1, 1000], ['pmd', 13, 3000], ['main', null, 108]])
    expect(threads[0]).toMatchObject({smcHits: 0, megaflowHits: 49909, missWithSuccessUpcall: 3911, avgPacketsPerOutputBatch: 9.37, idleCycles: 1100, processingCycles: 1200})
  },
  'pmd-stats/ovs-pmd.at-stats-20pkts.txt': (f) => {
    const [t] = parsed<PmdStats>(f).threads
    expect(t).toMatchObject({kind: 'pmd', numaId: null, coreId: null, packetsReceived: 20, emcHits: 19, missWithSuccessUpcall: 1, busyPct: null})
  },
  'pmd-stats/ovs-pmd.at-stats-zero.txt': (f) => expect(parsed<PmdStats>(f).threads[0]).toMatchObject({packetsReceived: 0, emcHits: 0, megaflowHits: 0, missWithFailedUpcall: 0}),

  // ---- pmd-rxq-show: 2.9-2.12 layout (no enabled marker), 3.x with "Displaying last" and overhead
  'pmd-rxq/netcontrold-ovs2.9-usage.txt': (f) => {
    const r = parsed<PmdRxqShow>(f)
    expect(r.windowSeconds).toBeNull()
    expect(r.pmds.map((p) => [p.coreId, p.isolated, p.rxqs.map((q) => [q.port, q.queueId, q.enabled, q.usagePct])])).toEqual([[1, false, [['port1', 0, null, 0]]], [13, false, [['port2', 0, null, 0]]]])
  },
  'pmd-rxq/ovs-pmd.at-dual-numa.txt': (f) => {
    const r = parsed<PmdRxqShow>(f)
    expect(r.windowSeconds).toBe(60)
    expect(r.pmds.map((p) => [p.numaId, p.coreId, p.rxqs.length])).toEqual([[1, 1, 8], [0, 2, 0]])
    expect(r.pmds[0]!.rxqs.every((q) => q.enabled === true && q.usagePct === null)).toBe(true)
  },
  'pmd-rxq/ovs-pmd.at-single-numa.txt': (f) => expect(parsed<PmdRxqShow>(f).pmds.map((p) => [p.numaId, p.coreId, p.rxqs.map((q) => q.queueId)])).toEqual([[1, 0, [0, 1, 2, 3, 4, 5, 6, 7]]]),
  'pmd-rxq/ovs-pmd.at-cleared-ids.txt': (f) => expect(parsed<PmdRxqShow>(f).pmds).toEqual([{numaId: null, coreId: null, isolated: false, overheadPct: null, rxqs: [{port: 'p0', queueId: 0, enabled: true, usagePct: null}]}]),
  'pmd-rxq/ovs-pmd.at-multiqueue-cleared.txt': (f) => expect(parsed<PmdRxqShow>(f).pmds[0]!.rxqs.map((q) => q.queueId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]),
}

describe('fixtures/real corpus', () => {
  const files = corpusFiles()

  it('has a check for every file and a file for every check', () => {
    expect(files).toEqual(Object.keys(CASES).sort())
  })

  it('holds at least 40 outputs from at least 5 projects', () => {
    expect(files.length).toBeGreaterThanOrEqual(40)
    const projects = new Set(files.map((f) => /^# origin: (\S+)/.exec(raw(f))?.[1]))
    expect(projects.size).toBeGreaterThanOrEqual(5)
  })

  it('starts every file with one "# origin:" line naming a repository, a path or page, and a licence', () => {
    for (const f of files) {
      const first = raw(f).split('\n')[0]!
      expect(ORIGIN_HEADER.test(`${first}\n`), f).toBe(true)
      expect(first, f).toMatch(/^# origin: [\w.-]+\/[\w.-]+ \S+.*\| licence: \S/)
      expect(text(f).startsWith('# origin:'), f).toBe(false)
    }
  })

  it('lists every file in fixtures/real/README.md', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    for (const f of files) expect(readme, f).toContain(`\`${f}\``)
  })

  for (const [file, check] of Object.entries(CASES)) {
    it(file, () => check(file))
  }
})
