/**
 * A large host, generated deterministically in memory as the raw outputs dpdk-doctor collects
 * (ovs-vsctl JSON, appctl/ofctl text, ip -j JSON, sysfs reader JSON), so that parsing is part of
 * what is measured. The column layouts are copied from the lab capture's own outputs.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Capture, Sample, SourceResult} from '../../src/capture/types.js'

const LAB = new URL('../../fixtures/bundles/lab-broken-huge-load/', import.meta.url).pathname

export interface LargeHostShape {
  bridges: number
  ports: number
  fdbEntries: number
  pmds: number
  kernelInterfaces: number
}

export const LARGE_HOST: LargeHostShape = {bridges: 4, ports: 10_000, fdbEntries: 100_000, pmds: 64, kernelInterfaces: 3_000}

type Row = unknown[]
interface Table {
  headings: string[]
  data: Row[]
}

function labTable(id: string): Table {
  return JSON.parse(readFileSync(join(LAB, 'before', `${id}.out`), 'utf8')) as Table
}

/** Sets one column of a copied OVSDB row by its heading. */
function setter(table: Table): (row: Row, column: string, value: unknown) => void {
  const index = new Map(table.headings.map((h, i) => [h, i]))
  return (row, column, value) => {
    const i = index.get(column)
    if (i === undefined) throw new Error(`no column ${column}`)
    row[i] = value
  }
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')
const uuid = (kind: number, n: number) => `${hex(kind, 8)}-0000-4000-8000-${hex(n, 12)}`
const mac = (a: number, n: number) => `02:${hex(a, 2)}:${hex((n >> 24) & 0xff, 2)}:${hex((n >> 16) & 0xff, 2)}:${hex((n >> 8) & 0xff, 2)}:${hex(n & 0xff, 2)}`
const ovsMap = (m: Record<string, string | number>) => ['map', Object.entries(m)]
const ovsSet = (items: unknown[]) => (items.length === 1 ? items[0] : ['set', items])

/** A tiny deterministic PRNG (mulberry32), so every run builds the same host. */
function prng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface GenPort {
  index: number
  bridge: string
  name: string
  type: 'internal' | 'dpdk' | 'dpdkvhostuserclient'
  ofport: number
  odp: number
  ifaceUuid: string
  portUuid: string
  mac: string
}

interface GenIface {
  ifindex: number
  ifname: string
  kind: string | null
  driver: string | null
  master: string | null
  pci: string | null
  mac: string
  addresses: Array<{local: string; prefixlen: number}>
}

function layout(shape: LargeHostShape) {
  const perBridge = Math.ceil(shape.ports / shape.bridges)
  const bridges = Array.from({length: shape.bridges}, (_, b) => `br${b}`)
  const ports: GenPort[] = []
  let odp = 1
  for (const [b, br] of bridges.entries()) {
    for (let k = 0; k < perBridge && ports.length < shape.ports; k++) {
      const n = ports.length
      const type = k === 0 ? 'internal' : k === 1 ? 'dpdk' : 'dpdkvhostuserclient'
      const name = k === 0 ? br : k === 1 ? `dpdk${b}` : `vhu-${b}-${String(k).padStart(5, '0')}`
      ports.push({index: n, bridge: br, name, type, ofport: k === 0 ? 65534 : k, odp: odp++, ifaceUuid: uuid(0x1f, n), portUuid: uuid(0x2f, n), mac: mac(0xa0 + b, n)})
    }
  }
  const ifaces: GenIface[] = []
  const add = (i: Omit<GenIface, 'ifindex'>) => ifaces.push({ifindex: ifaces.length + 1, ...i})
  add({ifname: 'lo', kind: null, driver: null, master: null, pci: null, mac: '00:00:00:00:00:00', addresses: [{local: '127.0.0.1', prefixlen: 8}]})
  add({ifname: 'eno1', kind: null, driver: 'tg3', master: null, pci: '0000:01:00.0', mac: mac(0x10, 1), addresses: [{local: '192.0.2.10', prefixlen: 24}]})
  add({ifname: 'ovs-netdev', kind: 'tun', driver: 'tun', master: null, pci: null, mac: mac(0x11, 1), addresses: []})
  for (const [b, br] of bridges.entries()) {
    add({ifname: br, kind: 'tun', driver: 'tun', master: null, pci: null, mac: mac(0xa0 + b, b * perBridge), addresses: []})
  }
  add({ifname: 'docker0', kind: 'bridge', driver: 'bridge', master: null, pci: null, mac: mac(0x12, 1), addresses: [{local: '172.17.0.1', prefixlen: 16}]})
  // The rest: container veths, half enslaved to docker0, half standalone with an address (a
  // standalone veth is a traffic-path candidate, so the window joins every one of them).
  for (let n = 0; ifaces.length < shape.kernelInterfaces; n++) {
    const standalone = n % 2 === 1
    add({
      ifname: `veth${hex(n, 7)}`,
      kind: 'veth',
      driver: 'veth',
      master: standalone ? null : 'docker0',
      pci: null,
      mac: mac(0x13, n),
      addresses: standalone ? [{local: `10.${(n >> 16) & 0xff}.${(n >> 8) & 0xff}.${n & 0xff}`, prefixlen: 32}] : [],
    })
  }
  return {bridges, ports, ifaces, perBridge}
}

type Layout = ReturnType<typeof layout>

/** Live counters of a sample: `phase` 0 = before, 1 = during (the load's packets added). */
function counter(seed: number, phase: number, perSecond: number, seconds: number): number {
  return 1_000_000 + seed * 37 + phase * perSecond * seconds
}

function ovsdbOutputs(l: Layout, shape: LargeHostShape, phase: number): Record<string, string> {
  const ovs = labTable('ovsdb-open_vswitch')
  const setOvs = setter(ovs)
  const ovsRow = structuredClone(ovs.data[0]!)
  setOvs(ovsRow, 'bridges', ovsSet(l.bridges.map((_, b) => ['uuid', uuid(0x3f, b)])))
  const cores = Array.from({length: shape.pmds}, (_, i) => i + 2)
  const mask = cores.reduce((m, c) => m | (1n << BigInt(c)), 0n)
  setOvs(ovsRow, 'other_config', ovsMap({'dpdk-init': 'true', 'dpdk-lcore-mask': '0x1', 'dpdk-socket-mem': '4096,4096', 'pmd-cpu-mask': `0x${mask.toString(16)}`}))
  ovs.data = [ovsRow]

  const bridge = labTable('ovsdb-bridge')
  const setBr = setter(bridge)
  const brTemplate = bridge.data[0]!
  bridge.data = l.bridges.map((name, b) => {
    const row = structuredClone(brTemplate)
    setBr(row, '_uuid', ['uuid', uuid(0x3f, b)])
    setBr(row, 'name', name)
    setBr(row, 'datapath_id', `0000${mac(0xa0 + b, 0).replaceAll(':', '')}`)
    setBr(row, 'other_config', ovsMap({hwaddr: mac(0xa0 + b, b * l.perBridge)}))
    setBr(row, 'ports', ovsSet(l.ports.filter((p) => p.bridge === name).map((p) => ['uuid', p.portUuid])))
    return row
  })

  const port = labTable('ovsdb-port')
  const setPort = setter(port)
  const portTemplate = port.data[0]!
  port.data = l.ports.map((p) => {
    const row = structuredClone(portTemplate)
    setPort(row, '_uuid', ['uuid', p.portUuid])
    setPort(row, 'name', p.name)
    setPort(row, 'interfaces', ['uuid', p.ifaceUuid])
    return row
  })

  const iface = labTable('ovsdb-interface')
  const setIf = setter(iface)
  const byType = new Map(iface.data.map((r) => [r[iface.headings.indexOf('type')] as string, r]))
  iface.data = l.ports.map((p, n) => {
    const row = structuredClone(byType.get(p.type)!)
    setIf(row, '_uuid', ['uuid', p.ifaceUuid])
    setIf(row, 'name', p.name)
    setIf(row, 'ofport', p.ofport)
    setIf(row, 'mac_in_use', p.mac)
    if (p.type === 'dpdk') setIf(row, 'options', ovsMap({'dpdk-devargs': `0000:${hex(0x81 + n % 4, 2)}:00.0`}))
    if (p.type === 'dpdkvhostuserclient') setIf(row, 'options', ovsMap({'vhost-server-path': `/var/run/vhost/${p.name}`}))
    // NUMA node of the PMD that polls this port (rx queue of port n on PMD n % pmds), as OVS
    // assigns them when both nodes have PMDs: a healthy layout, so no cross-NUMA finding per port.
    const numa = String(n % shape.pmds < shape.pmds / 2 ? 0 : 1)
    const status = row[iface.headings.indexOf('status')] as ['map', Array<[string, string]>]
    setIf(row, 'status', ['map', status[1].map(([k, v]) => [k, k === 'numa' || k === 'numa_id' ? numa : v])])
    const rx = counter(n, phase, 1_000, 8)
    setIf(row, 'statistics', ovsMap({rx_packets: rx, rx_bytes: rx * 1000, rx_dropped: 0, tx_packets: rx, tx_bytes: rx * 1000, tx_dropped: 0, ovs_tx_retries: 0, ovs_tx_failure_drops: 0}))
    return row
  })
  const json = (t: Table) => `${JSON.stringify(t)}\n`
  return {'ovsdb-open_vswitch': json(ovs), 'ovsdb-bridge': json(bridge), 'ovsdb-port': json(port), 'ovsdb-interface': json(iface)}
}

const typeConfig = (p: GenPort) =>
  p.type === 'dpdk'
    ? 'dpdk: configured_rx_queues=1, configured_rxq_descriptors=2048, configured_tx_queues=65, configured_txq_descriptors=2048, lsc_interrupt_mode=false, mtu=1500, requested_rx_queues=1, requested_rxq_descriptors=2048, requested_tx_queues=65, requested_txq_descriptors=2048, rx_csum_offload=true, tx_tso_offload=false'
    : p.type === 'internal'
      ? 'tap'
      : 'dpdkvhostuserclient: configured_rx_queues=1, configured_tx_queues=1, mtu=1500, requested_rx_queues=1, requested_tx_queues=1'

function ovsTextOutputs(l: Layout, shape: LargeHostShape, phase: number, rand: () => number): Record<string, string> {
  const out: Record<string, string> = {}
  const hits = 5_000_000 + phase * 8_000_000
  let dpif = `netdev@ovs-netdev: hit:${hits} missed:1200\n`
  for (const br of l.bridges) {
    dpif += `  ${br}:\n`
    for (const p of l.ports.filter((x) => x.bridge === br)) dpif += `    ${p.name} ${p.ofport}/${p.odp}: (${typeConfig(p)})\n`
  }
  out['dpif-show'] = dpif

  let dpctl = `netdev@ovs-netdev:\n  lookups: hit:${hits} missed:1200 lost:0\n  flows: 4096\n  port 0: ovs-netdev (tap)\n    RX packets:0 errors:0 dropped:0 overruns:0 frame:0\n    TX packets:0 errors:0 dropped:0 aborted:0 carrier:0\n    collisions:0\n    RX bytes:0  TX bytes:0\n`
  for (const [n, p] of l.ports.entries()) {
    const c = counter(n, phase, 1_000, 8)
    dpctl += `  port ${p.odp}: ${p.name} (${typeConfig(p)})\n    RX packets:${c} errors:0 dropped:0 overruns:? frame:?\n    TX packets:${c} errors:0 dropped:0 aborted:? carrier:?\n    collisions:?\n    RX bytes:${c * 1000}  TX bytes:${c * 1000}\n`
  }
  out['dpctl-show'] = dpctl

  for (const br of l.bridges) {
    const ports = l.ports.filter((x) => x.bridge === br)
    let dump = `OFPST_PORT reply (xid=0x2): ${ports.length} ports\n`
    let show = `OFPT_FEATURES_REPLY (xid=0x2): dpid:0000${ports[0]!.mac.replaceAll(':', '')}\nn_tables:254, n_buffers:0\ncapabilities: FLOW_STATS TABLE_STATS PORT_STATS QUEUE_STATS ARP_MATCH_IP\nactions: output enqueue set_vlan_vid set_vlan_pcp strip_vlan mod_dl_src mod_dl_dst mod_nw_src mod_nw_dst mod_nw_tos mod_tp_src mod_tp_dst\n`
    for (const p of ports) {
      const c = counter(p.index, phase, 1_000, 8)
      const id = p.ofport === 65534 ? 'LOCAL' : String(p.ofport).padStart(2)
      dump += `  port ${id}: rx pkts=${c}, bytes=${c * 1000}, drop=0, errs=0, frame=?, over=?, crc=?\n           tx pkts=${c}, bytes=${c * 1000}, drop=0, errs=0, coll=?\n`
      show += ` ${p.ofport === 65534 ? 'LOCAL' : p.ofport}(${p.name}): addr:${p.mac}\n     config:     0\n     state:      0\n     current:    10GB-FD\n     speed: 10000 Mbps now, 0 Mbps max\n`
    }
    show += 'OFPT_GET_CONFIG_REPLY (xid=0x4): frags=normal miss_send_len=0\n'
    out[`ofctl-ports.${br}`] = dump
    out[`ofctl-show.${br}`] = show
    let fdb = ' port  VLAN  MAC                Age\n'
    const perBridge = Math.ceil(shape.fdbEntries / l.bridges.length)
    for (let k = 0; k < perBridge; k++) {
      const port = ports[1 + Math.floor(rand() * (ports.length - 1))]!
      fdb += `${String(port.ofport).padStart(5)}  ${String(k % 8).padStart(4)}  ${mac(0xbb, l.bridges.indexOf(br) * perBridge + k)}  ${String(Math.floor(rand() * 300)).padStart(3)}\n`
    }
    fdb += `LOCAL     0  ${ports[0]!.mac}    0\n`
    out[`fdb.${br}`] = fdb
  }

  // 64 PMD threads over two NUMA nodes; every port's rx queue on one of them.
  const cores = Array.from({length: shape.pmds}, (_, i) => ({numa: i < shape.pmds / 2 ? 0 : 1, core: i + 2}))
  const busy = 40_000_000_000 + phase * 9_000_000_000
  let stats = ''
  let perf = `\nTime: 04:37:${phase ? '40.781' : '32.701'}\nMeasurement duration: 7.125 s\n\n`
  let rxq = 'Displaying last 60 seconds pmd usage %\n'
  for (const [i, c] of cores.entries()) {
    const pkts = 10_000_000 + i * 1000 + phase * 4_000_000
    stats += `pmd thread numa_id ${c.numa} core_id ${c.core}:\n  packets received: ${pkts}\n  packet recirculations: 0\n  avg. datapath passes per packet: 1.00\n  phwol hits: 0\n  mfex opt hits: 0\n  simple match hits: 0\n  emc hits: ${pkts - 100}\n  smc hits: 0\n  megaflow hits: 90\n  avg. subtable lookups per megaflow hit: 1.00\n  miss with success upcall: 10\n  miss with failed upcall: 0\n  avg. packets per output batch: 16.00\n  idle cycles: ${busy} (50.00%)\n  processing cycles: ${busy} (50.00%)\n  avg cycles per packet: 100.00 (${busy * 2}/${pkts})\n  avg processing cycles per packet: 50.00 (${busy}/${pkts})\n`
    perf += `pmd thread numa_id ${c.numa} core_id ${c.core}:\n\n  Iterations:             90299169  (0.08 us/it)\n  - Used TSC cycles:   18316815386  ( 98.9 % of total cycles)\n  - idle iterations:      45299164  ( 50.0 % of used cycles)\n  - busy iterations:      45000005  ( 50.0 % of used cycles)\n  - sleep iterations:            0  (  0.0 % of iterations)\n  Sleep time (us):               0  (  0 us/iteration avg.)\n  Rx packets:             ${pkts}  (1400 Kpps, 130 cycles/pkt)\n  Datapath passes:        ${pkts}  (1.00 passes/pkt)\n  - PHWOL hits:                  0  (  0.0 %)\n  - MFEX Opt hits:               0  (  0.0 %)\n  - Simple Match hits:           0  (  0.0 %)\n  - EMC hits:             ${pkts - 100}  ( 99.9 %)\n  - SMC hits:                    0  (  0.0 %)\n  - Megaflow hits:              90  (  0.0 %, 1.00 subtbl lookups/hit)\n  - Upcalls:                    10  (  0.0 %, 60.9 us/upcall)\n  - Lost upcalls:                0  (  0.0 %)\n  Tx packets:             ${pkts}  (1400 Kpps)\n  Tx batches:              ${Math.floor(pkts / 16)}  (16.00 pkts/batch)\n\n`
    rxq += `pmd thread numa_id ${c.numa} core_id ${c.core}:\n  isolated : false\n`
    for (let n = i; n < l.ports.length; n += cores.length) {
      const p = l.ports[n]!
      if (p.type === 'internal') continue
      rxq += `  port: ${p.name.padEnd(16)}  queue-id:  0 (enabled)   pmd usage:  ${n % 7} %\n`
    }
    rxq += '  overhead:  1 %\n'
  }
  stats += 'main thread:\n  packets received: 5\n  packet recirculations: 0\n  avg. datapath passes per packet: 1.00\n  phwol hits: 0\n  mfex opt hits: 0\n  simple match hits: 0\n  emc hits: 0\n  smc hits: 0\n  megaflow hits: 3\n  avg. subtable lookups per megaflow hit: 1.67\n  miss with success upcall: 2\n  miss with failed upcall: 0\n  avg. packets per output batch: 1.00\n'
  out['pmd-stats'] = stats
  out['pmd-perf'] = perf
  out['pmd-rxq'] = rxq
  return out
}

function kernelOutputs(l: Layout, phase: number): Record<string, string> {
  const flags = (i: GenIface) => (i.ifname === 'lo' ? ['LOOPBACK', 'UP', 'LOWER_UP'] : ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'])
  const stats = (n: number) => {
    const c = counter(n, phase, 100, 8)
    return {rx: {bytes: c * 900, packets: c, errors: 0, dropped: 0, over_errors: 0, multicast: 0}, tx: {bytes: c * 900, packets: c, errors: 0, dropped: 0, carrier_errors: 0, collisions: 0}}
  }
  const addr = l.ifaces.map((i) => ({
    ifindex: i.ifindex,
    ifname: i.ifname,
    flags: flags(i),
    mtu: i.ifname === 'lo' ? 65536 : 1500,
    qdisc: 'noqueue',
    ...(i.master ? {master: i.master} : {}),
    operstate: 'UP',
    group: 'default',
    txqlen: 1000,
    link_type: i.ifname === 'lo' ? 'loopback' : 'ether',
    address: i.mac,
    broadcast: 'ff:ff:ff:ff:ff:ff',
    addr_info: i.addresses.map((a) => ({family: 'inet', local: a.local, prefixlen: a.prefixlen, scope: a.local.startsWith('127.') ? 'host' : 'global', label: i.ifname, valid_life_time: 4294967295, preferred_life_time: 4294967295})),
  }))
  const link = l.ifaces.map((i, n) => ({
    ifindex: i.ifindex,
    ifname: i.ifname,
    flags: flags(i),
    mtu: i.ifname === 'lo' ? 65536 : 1500,
    qdisc: 'noqueue',
    ...(i.master ? {master: i.master} : {}),
    operstate: 'UP',
    linkmode: 'DEFAULT',
    group: 'default',
    txqlen: 1000,
    link_type: i.ifname === 'lo' ? 'loopback' : 'ether',
    address: i.mac,
    broadcast: 'ff:ff:ff:ff:ff:ff',
    promiscuity: 0,
    ...(i.kind ? {linkinfo: {info_kind: i.kind}} : {}),
    num_tx_queues: 1,
    num_rx_queues: 1,
    stats64: stats(n),
  }))
  const routes = [
    {dst: 'default', gateway: '192.0.2.1', dev: 'eno1', protocol: 'static', flags: []},
    {dst: '192.0.2.0/24', dev: 'eno1', protocol: 'kernel', scope: 'link', prefsrc: '192.0.2.10', flags: []},
    {dst: '172.17.0.0/16', dev: 'docker0', protocol: 'kernel', scope: 'link', prefsrc: '172.17.0.1', flags: []},
    ...l.ifaces.filter((i) => i.kind === 'veth' && i.master === null).map((i) => ({dst: i.addresses[0]!.local, dev: i.ifname, scope: 'link', flags: []})),
  ]
  const sysfsNet = l.ifaces.map((i) => ({ifname: i.ifname, driver: i.driver, pciAddress: i.pci, numaNode: i.pci ? 0 : null}))
  const sysfsStats = Object.fromEntries(
    l.ifaces.map((i, n) => {
      const s = stats(n)
      return [i.ifname, {rx_bytes: s.rx.bytes, rx_packets: s.rx.packets, rx_errors: 0, rx_dropped: 0, tx_bytes: s.tx.bytes, tx_packets: s.tx.packets, tx_errors: 0, tx_dropped: 0}]
    }),
  )
  return {
    'ip-addr': JSON.stringify(addr),
    'ip-route': JSON.stringify(routes),
    'ip-link': JSON.stringify(link),
    'sysfs-net': JSON.stringify(sysfsNet),
    'sysfs-stats': JSON.stringify(sysfsStats),
    'sysctl-net': 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.arp_ignore = 0\nnet.ipv4.conf.all.rp_filter = 1\n',
    meminfo: 'MemTotal:       263842156 kB\nHugePages_Total:    8192\nHugePages_Free:     4096\nHugePages_Rsvd:        0\nHugePages_Surp:        0\nHugepagesize:       2048 kB\n',
    'ethtool-i.eno1': 'driver: tg3\nversion: 6.8\nfirmware-version: 5719-v1.46\nexpansion-rom-version: \nbus-info: 0000:01:00.0\nsupports-statistics: yes\n',
  }
}

function sample(name: string, takenAt: string, outputs: Record<string, string>): Sample {
  const sources: Record<string, SourceResult> = {}
  for (const [id, stdout] of Object.entries(outputs)) {
    sources[id] = {id, argv: [id], status: 'ok', exitCode: 0, durationMs: 20, startedAt: takenAt, stdout, stderr: ''}
  }
  return {name, takenAt, sources}
}

/** The whole capture: before and during samples of the large host, and the lab's iperf3 run. */
export function largeHostCapture(shape: LargeHostShape = LARGE_HOST): Capture {
  const l = layout(shape)
  const lab = JSON.parse(readFileSync(join(LAB, 'capture.json'), 'utf8')) as Capture['manifest']
  const loadOutput = readFileSync(join(LAB, 'load', 'output.json'), 'utf8')
  const samples = lab.samples.map((s, phase) =>
    sample(s.name, s.takenAt, {...ovsdbOutputs(l, shape, phase), ...ovsTextOutputs(l, shape, phase, prng(42)), ...kernelOutputs(l, phase)}),
  )
  return {manifest: {...lab, host: {...lab.host, hostname: 'bench-large', netns: null}}, samples, loadOutput}
}

/** Bytes of raw output in a capture (what the parsers get through). */
export function rawBytes(capture: Capture): number {
  return capture.samples.reduce((sum, s) => sum + Object.values(s.sources).reduce((a, r) => a + r.stdout.length, 0), 0)
}
