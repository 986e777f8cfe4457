/**
 * Special capture bundles, derived from the real lab bundles by editing their sources, so they
 * keep the lab's real numbers and shapes: the seed host's mlx5 hardware, OVS 2.17 and 4.0 output
 * formats, a static-only case, and collection failures (fixtures/bundles/README.md says what a
 * diagnosis should do with each). Deterministic: no clock, no randomness.
 *
 *   npx tsx test/tools/make-special-bundles.ts [OUT_DIR] [CAPTURES_DIR]
 */
import {mkdirSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

import type {SourceRecord} from '../../src/capture/types.js'
import {
  buildAllLabBundles,
  cloneBundle,
  DEFAULT_CAPTURES_DIR,
  DEFAULT_OUT_DIR,
  writeBundle,
} from './convert-captures.js'
import type {Bundle, BundleSample, BundleSource} from './convert-captures.js'

// ---------------------------------------------------------------- editing helpers

function source(sample: BundleSample, id: string): BundleSource {
  const s = sample.sources.find((x) => x.record.id === id)
  if (!s) throw new Error(`sample ${sample.name}: no source ${id}`)
  return s
}

function removeSource(sample: BundleSample, id: string): void {
  const i = sample.sources.findIndex((x) => x.record.id === id)
  if (i === -1) throw new Error(`sample ${sample.name}: no source ${id}`)
  sample.sources.splice(i, 1)
}

/** Applies fn to one source's stdout in every sample that has it. */
function editOut(bundle: Bundle, id: string, fn: (text: string, sample: BundleSample) => string): void {
  for (const sample of bundle.samples) {
    const s = sample.sources.find((x) => x.record.id === id)
    if (s) s.stdout = fn(s.stdout, sample)
  }
}

function replaceAllIn(bundle: Bundle, from: string, to: string): void {
  for (const sample of bundle.samples) for (const s of sample.sources) s.stdout = s.stdout.split(from).join(to)
}

/** Replaces exactly one occurrence (fails loudly if the lab output changed shape). */
function replaceOnce(text: string, from: string | RegExp, to: string): string {
  const count = typeof from === 'string' ? text.split(from).length - 1 : (text.match(new RegExp(from.source, from.flags.includes('g') ? from.flags : from.flags + 'g')) ?? []).length
  if (count !== 1) throw new Error(`expected one ${String(from)}, found ${count}`)
  return text.replace(from, to)
}

// iproute2 JSON (ip -j): compact, one line.
type Json = Record<string, unknown>
const ipJson = (text: string): Json[] => JSON.parse(text) as Json[]
const ipText = (v: unknown): string => JSON.stringify(v) + '\n'

// OVSDB (ovs-vsctl --format=json list T): {"data":[[cells...]],"headings":[...]}, compact like OVS prints it.
type Cell = unknown
interface OvsdbTable {data: Cell[][]; headings: string[]}

function editOvsdb(text: string, fn: (row: Map<string, Cell>) => void): string {
  const table = JSON.parse(text) as OvsdbTable
  table.data = table.data.map((cells) => {
    const row = new Map(table.headings.map((h, i) => [h, cells[i]]))
    fn(row)
    return table.headings.map((h) => row.get(h))
  })
  return JSON.stringify(table) + '\n'
}

type OvsMap = ['map', Array<[string, Cell]>]

function mapCell(row: Map<string, Cell>, column: string): OvsMap {
  const cell = row.get(column) as OvsMap | undefined
  if (!Array.isArray(cell) || cell[0] !== 'map') throw new Error(`column ${column} is not a map`)
  return cell
}

/** Sets map keys, keeping OVSDB's sorted key order; undefined deletes the key. */
function setMap(row: Map<string, Cell>, column: string, values: Record<string, Cell | undefined>): void {
  const cell = mapCell(row, column)
  const m = new Map(cell[1])
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) m.delete(k)
    else m.set(k, v)
  }
  cell[1] = [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

function mapValue(row: Map<string, Cell>, column: string, key: string): Cell | undefined {
  return mapCell(row, column)[1].find(([k]) => k === key)?.[1]
}

// ovs-appctl dpctl/show prints "(8.2 MiB)" after byte counts of 1 KiB and more.
function humanSize(n: number): string {
  if (n >= 1024 ** 3) return ` (${(n / 1024 ** 3).toFixed(1)} GiB)`
  if (n >= 1024 ** 2) return ` (${(n / 1024 ** 2).toFixed(1)} MiB)`
  if (n >= 1024) return ` (${(n / 1024).toFixed(1)} KiB)`
  return ''
}

interface PortCounters {rxPackets: number; rxBytes: number; txPackets: number; txBytes: number}

/** Rewrites one port's counters in dpctl/show -s, ofctl dump-ports and the OVSDB statistics column. */
function setPortCounters(sample: BundleSample, name: string, dpPort: number, ofPort: number, c: PortCounters): void {
  const dpctl = source(sample, 'dpctl-show')
  const lines = dpctl.stdout.split('\n')
  const at = lines.findIndex((l) => l.startsWith(`  port ${dpPort}: ${name}`))
  if (at === -1) throw new Error(`dpctl-show: no port ${dpPort}: ${name}`)
  lines[at + 1] = (lines[at + 1] ?? '').replace(/RX packets:\d+/, `RX packets:${c.rxPackets}`)
  lines[at + 2] = (lines[at + 2] ?? '').replace(/TX packets:\d+/, `TX packets:${c.txPackets}`)
  lines[at + 4] = `    RX bytes:${c.rxBytes}${humanSize(c.rxBytes)}  TX bytes:${c.txBytes}${humanSize(c.txBytes)}`
  dpctl.stdout = lines.join('\n')

  const ofctl = source(sample, 'ofctl-ports.ovsbr0')
  const port = String(ofPort).padStart(2)
  ofctl.stdout = replaceOnce(ofctl.stdout, new RegExp(`(port ${port}: rx pkts=)\\d+(, bytes=)\\d+`), `$1${c.rxPackets}$2${c.rxBytes}`)
  ofctl.stdout = ofctl.stdout.replace(
    new RegExp(`(port ${port}: rx [^\\n]*\\n\\s+tx pkts=)\\d+(, bytes=)\\d+`),
    `$1${c.txPackets}$2${c.txBytes}`,
  )

  const iface = source(sample, 'ovsdb-interface')
  iface.stdout = editOvsdb(iface.stdout, (row) => {
    if (row.get('name') !== name) return
    setMap(row, 'statistics', {
      rx_packets: c.rxPackets, rx_bytes: c.rxBytes, rx_q0_packets: c.rxPackets, rx_q0_bytes: c.rxBytes,
      tx_packets: c.txPackets, tx_bytes: c.txBytes, tx_q0_packets: c.txPackets, tx_q0_bytes: c.txBytes,
    })
  })
}

// ---------------------------------------------------------------- mlx5 (the seed host's shape)

const PCI = '0000:41:00.0'
const NIC = 'enp65s0f0np0'
/** dpdk0 and the bifurcated kernel netdev are one port: one MAC (ConnectX-5 OUI). */
const PORT_MAC = 'b8:ce:f6:a1:67:d5'
const MGMT_MAC = '3c:ec:ef:10:20:30'

function mgmtLink(details: boolean, counters: {rx: number; tx: number}): Json {
  const link: Json = {
    ifindex: 6, ifname: 'eno1', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, qdisc: 'mq',
    operstate: 'UP', ...(details ? {linkmode: 'DEFAULT'} : {}), group: 'default', txqlen: 1000, link_type: 'ether',
    address: MGMT_MAC, broadcast: 'ff:ff:ff:ff:ff:ff',
  }
  if (details) {
    Object.assign(link, {
      promiscuity: 0, allmulti: 0, min_mtu: 60, max_mtu: 9000, inet6_addr_gen_mode: 'eui64',
      num_tx_queues: 4, num_rx_queues: 4, gso_max_size: 65536, gso_max_segs: 65535, tso_max_size: 65536,
      tso_max_segs: 65535, gro_max_size: 65536, parentbus: 'pci', parentdev: '0000:c1:00.0',
    })
    link['stats64'] = {
      rx: {bytes: counters.rx * 180, packets: counters.rx, errors: 0, dropped: 0, over_errors: 0, multicast: 0},
      tx: {bytes: counters.tx * 160, packets: counters.tx, errors: 0, dropped: 0, carrier_errors: 0, collisions: 0},
    }
  }
  return link
}

/**
 * Turns a lab sample into the seed host's hardware: dpdk0 on a ConnectX-5 (net_mlx5, PCI
 * 0000:41:00.0), its kernel netdev enp65s0f0np0 on mlx5_core beside it, no dpdk0-veth, plus a
 * management NIC eno1 (a real host is reached through one; the lab is not).
 */
function mlx5Hardware(sample: BundleSample, broken: boolean, mgmtCounters: {rx: number; tx: number}): void {
  removeSource(sample, 'ethtool-i.dpdk0-veth')

  const nicFlags = broken ? ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'] : ['BROADCAST', 'MULTICAST', 'NOARP', 'UP', 'LOWER_UP']
  const reshapeNic = (l: Json): Json => {
    const out: Json = {}
    for (const [k, v] of Object.entries(l)) {
      if (k === 'link_index' || k === 'link_netnsid' || k === 'linkinfo') continue
      if (k === 'stats64') {
        // ip -d prints the parent device of a PCI NIC just before the stats.
        out['parentbus'] = 'pci'
        out['parentdev'] = PCI
      }
      out[k] = v
    }
    out['flags'] = nicFlags
    out['qdisc'] = 'mq'
    if ('num_tx_queues' in out) Object.assign(out, {num_tx_queues: 256, num_rx_queues: 32, max_mtu: 9978})
    return out
  }

  const addr = source(sample, 'ip-addr')
  addr.stdout = ipText(
    [...ipJson(addr.stdout).filter((l) => l['ifname'] !== 'dpdk0-veth').map((l) => {
      if (l['ifname'] === NIC) {
        const nic = reshapeNic(l)
        const mine = (l['addr_info'] as Json[]).filter((a) => a['local'] === '172.16.0.1')
        // The seed's netplan gave the mlx5 netdev 10.10.1.1/24; the fix flushes it (arp off too).
        nic['addr_info'] = broken
          ? [...mine, {family: 'inet', local: '10.10.1.1', prefixlen: 24, scope: 'global', label: NIC, valid_life_time: 4294967295, preferred_life_time: 4294967295}]
          : []
        return nic
      }
      if (l['ifname'] === 'ovsbr0') {
        return {...l, addr_info: (l['addr_info'] as Json[]).filter((a) => a['local'] !== '10.10.1.1')}
      }
      return l
    }), {...mgmtLink(false, mgmtCounters), addr_info: [{family: 'inet', local: '192.0.2.10', prefixlen: 24, broadcast: '192.0.2.255', scope: 'global', label: 'eno1', valid_life_time: 4294967295, preferred_life_time: 4294967295}]}],
  )

  const link = source(sample, 'ip-link')
  link.stdout = ipText([
    ...ipJson(link.stdout).filter((l) => l['ifname'] !== 'dpdk0-veth').map((l) => (l['ifname'] === NIC ? reshapeNic(l) : l)),
    mgmtLink(true, mgmtCounters),
  ])

  const route = source(sample, 'ip-route')
  const defaultRoute: Json = {dst: 'default', gateway: '192.0.2.1', dev: 'eno1', flags: []}
  const mgmtRoute: Json = {dst: '192.0.2.0/24', dev: 'eno1', protocol: 'kernel', scope: 'link', prefsrc: '192.0.2.10', flags: []}
  const labRoutes = ipJson(route.stdout)
  // Kernel order: default first, then prefixes in trie order.
  route.stdout = ipText(
    broken
      ? [
          defaultRoute,
          {dst: '10.10.1.0/24', dev: NIC, protocol: 'kernel', scope: 'link', prefsrc: '10.10.1.1', flags: []},
          ...labRoutes.filter((r) => r['dst'] === '172.16.0.0/24'),
          mgmtRoute,
          ...labRoutes.filter((r) => r['dst'] === '192.168.100.0/24'),
          // The seed routed the peer host's VM subnet through the mlx5 netdev.
          {dst: '192.168.200.0/24', gateway: '10.10.1.2', dev: NIC, flags: []},
        ]
      : [defaultRoute, mgmtRoute],
  )

  const stats = source(sample, 'sysfs-stats')
  const st = JSON.parse(stats.stdout) as Record<string, unknown>
  delete st['dpdk0-veth']
  st['eno1'] = {rx_bytes: mgmtCounters.rx * 180, rx_packets: mgmtCounters.rx, rx_errors: 0, rx_dropped: 0, tx_bytes: mgmtCounters.tx * 160, tx_packets: mgmtCounters.tx, tx_errors: 0, tx_dropped: 0}
  stats.stdout = JSON.stringify(Object.fromEntries(Object.entries(st).sort(([a], [b]) => (a < b ? -1 : 1)))) + '\n'

  const net = source(sample, 'sysfs-net')
  const devices = (JSON.parse(net.stdout) as Json[]).filter((d) => d['ifname'] !== 'dpdk0-veth')
  for (const d of devices) if (d['ifname'] === NIC) Object.assign(d, {driver: 'mlx5_core', pciAddress: PCI, numaNode: 0})
  devices.push({ifname: 'eno1', driver: 'tg3', pciAddress: '0000:c1:00.0', numaNode: 1})
  devices.sort((a, b) => (String(a['ifname']) < String(b['ifname']) ? -1 : 1))
  net.stdout = JSON.stringify(devices) + '\n'

  source(sample, `ethtool-i.${NIC}`).stdout = [
    'driver: mlx5_core',
    'version: 6.18.44-fc-v657',
    'firmware-version: 16.35.2000 (MT_0000000012)',
    'expansion-rom-version: ',
    `bus-info: ${PCI}`,
    'supports-statistics: yes',
    'supports-test: yes',
    'supports-eeprom-access: no',
    'supports-register-dump: no',
    'supports-priv-flags: yes',
    '',
  ].join('\n')

  // DPDK 24.11 dpdk-devbind.py --status-dev net; "*Active*" = the netdev has routes (devbind's own test).
  const devbind = source(sample, 'devbind')
  devbind.record.argv = ['dpdk-devbind.py', '--status-dev', 'net']
  devbind.stderr = ''
  devbind.stdout = [
    '',
    'Network devices using kernel driver',
    '===================================',
    `${PCI} 'MT27800 Family [ConnectX-5] 1017' numa_node=0 if=${NIC} drv=mlx5_core unused=vfio-pci ${broken ? '*Active*' : ''}`,
    "0000:c1:00.0 'NetXtreme BCM5720 Gigabit Ethernet PCIe 165f' numa_node=1 if=eno1 drv=tg3 unused=vfio-pci *Active*",
    '',
  ].join('\n')

  const ovs = source(sample, 'ovsdb-open_vswitch')
  ovs.stdout = editOvsdb(ovs.stdout, (row) => {
    // --no-pci and the lab's hugepage dir are lab-only; the seed host probes its PCI NIC.
    setMap(row, 'other_config', {'dpdk-extra': undefined, 'dpdk-hugepage-dir': undefined, 'dpdk-socket-limit': undefined, 'dpdk-socket-mem': '1024'})
    setMap(row, 'external_ids', {hostname: 'node0', 'system-id': 'node0'})
  })

  const iface = source(sample, 'ovsdb-interface')
  iface.stdout = editOvsdb(iface.stdout, (row) => {
    if (row.get('name') !== 'dpdk0') return
    setMap(row, 'options', {'dpdk-devargs': PCI})
    row.set('link_speed', 25_000_000_000)
    const status = mapCell(row, 'status')
    status[1] = []
    setMap(row, 'status', {
      bus_info: 'bus_name=pci, vendor_id=15b3, device_id=1017',
      driver_name: 'net_mlx5',
      if_descr: 'DPDK 22.11.11 net_mlx5',
      if_type: '6',
      link_speed: '25Gbps',
      max_hash_mac_addrs: '0',
      max_mac_addrs: '128',
      max_rx_pktlen: '1518',
      max_rx_queues: '1024',
      max_tx_queues: '1024',
      max_vfs: '0',
      max_vmdq_pools: '0',
      min_rx_bufsize: '32',
      numa_id: '0',
      port_no: '0',
    })
  })
}

function mlx5Bundle(base: Bundle, name: string, broken: boolean): Bundle {
  const b = cloneBundle(base, name)
  b.manifest.host = {...b.manifest.host, hostname: 'node0', netns: null}
  replaceAllIn(b, '02:00:00:00:0e:01', PORT_MAC)
  replaceAllIn(b, '02:00:00:00:d0:00', PORT_MAC)
  b.samples.forEach((s, i) => mlx5Hardware(s, broken, {rx: 48_210 + i * 61, tx: 39_877 + i * 55}))
  if (broken) {
    // The seed's dpdk0: ~138 packets, all ND/LLDP/broadcast noise, while iperf3 ran through the kernel.
    const before = b.samples[0]
    const during = b.samples[1]
    if (!before || !during) throw new Error(`${name}: needs before and during`)
    setPortCounters(before, 'dpdk0', 2, 1, {rxPackets: 131, rxBytes: 8742, txPackets: 143, txBytes: 11440})
    setPortCounters(during, 'dpdk0', 2, 1, {rxPackets: 138, rxBytes: 9216, txPackets: 151, txBytes: 12080})
  }
  return b
}

// ---------------------------------------------------------------- OVS 2.17 and 4.0 output formats

function setOvsVersion(b: Bundle, ovs: string, dpdk: string, db: string, otherConfig: Record<string, Cell | undefined>): void {
  editOut(b, 'ovsdb-open_vswitch', (t) =>
    editOvsdb(t, (row) => {
      row.set('ovs_version', ovs)
      row.set('dpdk_version', `DPDK ${dpdk}`)
      row.set('db_version', db)
      setMap(row, 'other_config', otherConfig)
    }),
  )
  editOut(b, 'ovsdb-interface', (t) =>
    editOvsdb(t, (row) => {
      const descr = mapValue(row, 'status', 'if_descr')
      if (typeof descr === 'string') setMap(row, 'status', {if_descr: descr.replace(/^DPDK \S+/, `DPDK ${dpdk}`)})
    }),
  )
}

/** OVS 2.17: no sleep lines in pmd-perf-show (3.1 added them), no header line in pmd-rxq-show (3.1). */
function ovs217(base: Bundle): Bundle {
  const b = cloneBundle(base, 'ovs2.17-broken-load')
  editOut(b, 'pmd-perf', (t) => t.split('\n').filter((l) => !/^ {2}(- sleep iterations:|Sleep time \(us\):)/.test(l)).join('\n'))
  editOut(b, 'pmd-rxq', (t) => replaceOnce(t, /^Displaying last \d+ seconds pmd usage %\n/, ''))
  // dpif/show, dpctl/show (configured_* keys), pmd-stats-show and fdb/show already have 2.17's shape.
  setOvsVersion(b, '2.17.9', '21.11.6', '8.3.0', {'pmd-maxsleep': undefined})
  return b
}

interface ThreadStats {
  rx: number
  recirc: number
  emc: number
  smc: number
  megaflow: number
  simple: number
  phwol: number
  lookupsPerHit: string
  upcalls: number
  lost: number
  pktsPerBatch: number
}

function parseMainThread(pmdStats: string): ThreadStats | null {
  const at = pmdStats.indexOf('main thread:\n')
  if (at === -1) return null
  const block = pmdStats.slice(at)
  const num = (label: string): number => Number(new RegExp(`^ {2}${label.replace(/\./g, '\\.')}: ([0-9.]+)`, 'm').exec(block)?.[1] ?? '0')
  return {
    rx: num('packets received'),
    recirc: num('packet recirculations'),
    emc: num('emc hits'),
    smc: num('smc hits'),
    megaflow: num('megaflow hits'),
    simple: num('simple match hits'),
    phwol: num('phwol hits'),
    lookupsPerHit: /^ {2}avg\. subtable lookups per megaflow hit: ([0-9.]+)/m.exec(block)?.[1] ?? '0.00',
    upcalls: num('miss with success upcall'),
    lost: num('miss with failed upcall'),
    pktsPerBatch: num('avg. packets per output batch'),
  }
}

const pct = (part: number, whole: number): string => (whole ? (100 * part) / whole : 0).toFixed(1).padStart(5)
const field = (label: string, value: number | string): string => `  ${label}`.padEnd(22) + String(value).padStart(12)

/**
 * The `main thread:` block OVS 4.0 adds to pmd-perf-show (lib/dpif-netdev-perf.c on master): no
 * iteration/TSC/sleep lines, no cycles/pkt or us/upcall. Numbers from 3.1's pmd-stats-show main
 * thread; 3.1 prints no main-thread tx count, so tx = rx (the internal port's traffic is forwarded
 * one to one) and tx batches = rx / "avg. packets per output batch".
 */
function mainThreadBlock(s: ThreadStats, time: string, duration: string): string {
  const lines = ['', `Time: ${time}`, `Measurement duration: ${duration} s`, '', 'main thread:', '']
  const secs = Number(duration)
  if (s.rx > 0) {
    const passes = s.rx + s.recirc
    lines.push(
      `${field('Rx packets:', s.rx)}  (${(s.rx / secs / 1000).toFixed(0)} Kpps)`,
      `${field('Datapath passes:', passes)}  (${(passes / s.rx).toFixed(2)} passes/pkt)`,
      `${field('- PHWOL hits:', s.phwol)}  (${pct(s.phwol, passes)} %)`,
      `${field('- Simple Match hits:', s.simple)}  (${pct(s.simple, passes)} %)`,
      `${field('- EMC hits:', s.emc)}  (${pct(s.emc, passes)} %)`,
      `${field('- SMC hits:', s.smc)}  (${pct(s.smc, passes)} %)`,
      `${field('- Megaflow hits:', s.megaflow)}  (${pct(s.megaflow, passes)} %, ${s.lookupsPerHit} subtbl lookups/hit)`,
      `${field('- Upcalls:', s.upcalls)}  (${pct(s.upcalls, passes)} %)`,
      `${field('- Lost upcalls:', s.lost)}  (${pct(s.lost, passes)} %)`,
    )
  } else {
    lines.push(field('Rx packets:', 0))
  }
  const tx = s.rx
  if (tx > 0) {
    const batches = Math.round(tx / (s.pktsPerBatch || 1))
    lines.push(
      `${field('Tx packets:', tx)}  (${(tx / secs / 1000).toFixed(0)} Kpps)`,
      `${field('Tx batches:', batches)}  (${(tx / batches).toFixed(2)} pkts/batch)`,
    )
  } else {
    lines.push(field('Tx packets:', 0), '')
  }
  return lines.join('\n') + '\n'
}

/** pmd-perf-show as OVS master/4.0 prints it, from 3.1's pmd-perf-show and pmd-stats-show. */
function perf40(perf31: string, pmdStats31: string, timeShiftMs = 0): string {
  // PMD blocks keep their layout (same column widths); only the MFEX Opt line is gone (AVX512 removed).
  let out = perf31.split('\n').filter((l) => !l.startsWith('  - MFEX Opt hits:')).join('\n')
  const time = /^Time: (\S+)$/m.exec(perf31)?.[1]
  const duration = /^Measurement duration: (\S+) s$/m.exec(perf31)?.[1]
  if (!time || !duration) throw new Error('pmd-perf-show without Time/Measurement duration')
  const main = parseMainThread(pmdStats31)
  if (main) out += mainThreadBlock(main, time, duration)
  if (timeShiftMs !== 0) {
    // The alias ran a few ms before pmd-perf-show: shift its clock and measurement duration.
    const [h, m, s] = time.split(':').map(Number) as [number, number, number]
    const t = new Date(Date.UTC(2000, 0, 1, h, m, 0, Math.round(s * 1000) + timeShiftMs)).toISOString().slice(11, 23)
    const d = (Number(duration) + timeShiftMs / 1000).toFixed(3)
    out = out.split(`Time: ${time}`).join(`Time: ${t}`).split(`Measurement duration: ${duration} s`).join(`Measurement duration: ${d} s`)
  }
  return out
}

/** dpif/show and dpctl/show port config after OVS 3.3 (netdev_dpdk_get_config_common on master). */
function config40(text: string, devargs: string, vhostPath: string): string {
  return text
    .replace(/\(dpdk: ([^)]*)\)/g, (_m, cfg: string) => {
      const kv = new Map(cfg.split(', ').map((p) => p.split('=') as [string, string]))
      return `(dpdk: dpdk-devargs=${devargs}, dpdk-lsc-interrupt=${kv.get('lsc_interrupt_mode') ?? 'false'}, n_rxq=${kv.get('requested_rx_queues') ?? '1'}, n_rxq_desc=${kv.get('requested_rxq_descriptors') ?? '2048'}, n_txq_desc=${kv.get('requested_txq_descriptors') ?? '2048'})`
    })
    .replace(/\(dpdkvhostuserclient: [^)]*\)/g, `(dpdkvhostuserclient: vhost-server-path=${vhostPath})`)
}

function ovs40(base: Bundle): Bundle {
  const b = cloneBundle(base, 'ovs4.0-broken-load')
  for (const sample of b.samples) {
    let devargs = ''
    let vhostPath = ''
    editOvsdb(source(sample, 'ovsdb-interface').stdout, (row) => {
      if (row.get('name') === 'dpdk0') devargs = String(mapValue(row, 'options', 'dpdk-devargs'))
      if (row.get('name') === 'vhost-user1') vhostPath = String(mapValue(row, 'options', 'vhost-server-path'))
    })
    for (const id of ['dpif-show', 'dpctl-show']) source(sample, id).stdout = config40(source(sample, id).stdout, devargs, vhostPath)

    const stats = source(sample, 'pmd-stats')
    const perf = source(sample, 'pmd-perf')
    const perf31 = perf.stdout
    perf.stdout = perf40(perf31, stats.stdout)
    // 4.0 keeps pmd-stats-show only as an alias printing pmd-perf-show's output.
    stats.stdout = perf40(perf31, stats.stdout, Date.parse(stats.record.startedAt) - Date.parse(perf.record.startedAt))

    const fdb = source(sample, 'fdb.ovsbr0')
    // One bridge asked for: no Bridge column, only the header rename.
    fdb.stdout = replaceOnce(fdb.stdout, /^ port {2}VLAN {2}MAC {16}Age$/m, ' Port  VLAN  MAC                Age')
  }
  setOvsVersion(b, '4.0.0', '24.11.3', '8.8.0', {'pmd-maxsleep': undefined, 'pmd-sleep-max': '0'})
  return b
}

// ---------------------------------------------------------------- collection failures

const VSCTL_ERR_MISSING = 'ovs-vsctl: unix:/var/run/openvswitch/db.sock: database connection failed (No such file or directory)\n'
const VSCTL_ERR_DENIED = 'ovs-vsctl: unix:/var/run/openvswitch/db.sock: database connection failed (Permission denied)\n'
const APPCTL_ERR_MISSING = 'ovs-appctl: cannot read pidfile "/var/run/openvswitch/ovs-vswitchd.pid" (No such file or directory)\n'
const APPCTL_ERR_DENIED = 'ovs-appctl: cannot connect to "/var/run/openvswitch/ovs-vswitchd.2145.ctl" (Permission denied)\n'
const OFCTL_ERR_MISSING = 'ovs-ofctl: ovsbr0 is not a bridge or a socket\n'
const OFCTL_ERR_DENIED = 'ovs-ofctl: /var/run/openvswitch/ovsbr0.mgmt: failed to open socket (Permission denied)\n'

const tool = (s: BundleSource): string => s.record.argv?.[0] ?? ''

function fail(s: BundleSource, status: SourceRecord['status'], exitCode: number | null, stderr: string, reason: string, durationMs = s.record.durationMs): void {
  s.record = {...s.record, status, exitCode, durationMs, reason}
  s.stdout = ''
  s.stderr = stderr
}

function staticOf(base: Bundle, name: string): Bundle {
  const b = cloneBundle(base, name)
  b.samples = b.samples.slice(0, 1)
  b.manifest.load = null
  b.loadOutput = null
  return b
}

function ovsDown(baseIdle: Bundle): Bundle {
  const b = cloneBundle(baseIdle, 'ovs-down')
  for (const s of b.samples[0]?.sources ?? []) {
    if (tool(s) === 'ovs-vsctl') fail(s, 'error', 1, VSCTL_ERR_MISSING, 'ovsdb-server is not running')
    if (tool(s) === 'ovs-appctl') fail(s, 'error', 1, APPCTL_ERR_MISSING, 'ovs-vswitchd is not running')
    if (tool(s) === 'ovs-ofctl') fail(s, 'error', 1, OFCTL_ERR_MISSING, 'ovs-vswitchd is not running')
  }
  return b
}

function appctlMissing(baseLoad: Bundle): Bundle {
  const b = cloneBundle(baseLoad, 'appctl-missing')
  for (const sample of b.samples) {
    for (const s of sample.sources) if (tool(s) === 'ovs-appctl') fail(s, 'not-installed', null, '', 'ovs-appctl: not found', 0)
  }
  return b
}

function appctlTimeout(baseLoad: Bundle): Bundle {
  const b = cloneBundle(baseLoad, 'appctl-timeout')
  const during = b.samples[1]
  if (!during) throw new Error('appctl-timeout: needs a during sample')
  // ovs-vswitchd's main thread is busy forwarding the internal port's traffic: appctl hangs under load.
  const ids = ['dpif-show', 'dpctl-show', 'pmd-stats', 'pmd-perf', 'pmd-rxq', 'fdb.ovsbr0']
  ids.forEach((id, i) => fail(source(during, id), 'timeout', null, '', 'no answer within 8000 ms; process group killed', 8_000 + 2 * i + 1))
  return b
}

function permissionDenied(baseIdle: Bundle): Bundle {
  const b = cloneBundle(baseIdle, 'permission-denied')
  for (const s of b.samples[0]?.sources ?? []) {
    if (tool(s) === 'ovs-vsctl') fail(s, 'permission-denied', 1, VSCTL_ERR_DENIED, 'not allowed to open the OVSDB socket (run as root)')
    if (tool(s) === 'ovs-appctl') fail(s, 'permission-denied', 1, APPCTL_ERR_DENIED, 'not allowed to open the ovs-vswitchd control socket (run as root)')
    if (tool(s) === 'ovs-ofctl') fail(s, 'permission-denied', 1, OFCTL_ERR_DENIED, 'not allowed to open the bridge management socket (run as root)')
  }
  return b
}

function garbled(baseLoad: Bundle): Bundle {
  const b = cloneBundle(baseLoad, 'garbled')
  const during = b.samples[1]
  if (!during) throw new Error('garbled: needs a during sample')
  // Cut mid-line, as when a pipe closes or a disk fills: the first block's numbers stop mid-way.
  const stats = source(during, 'pmd-stats')
  stats.stdout = stats.stdout.slice(0, stats.stdout.indexOf('  megaflow hits:') + '  megaflow hits: 2'.length)
  source(during, 'fdb.ovsbr0').stdout = ' port  VLAN  MAC                Age\n    1     0  02:00:00:00:0e:\u001b[0m\ufffd\ufffd LOCAL 0 ?? 02:00:00:00:b0:00\n#\u0000\u0000\u0000 garbage %%%% 0x7f 0x45 0x4c 0x46\n'
  const dpctl = source(during, 'dpctl-show')
  dpctl.stdout = 'netdev@ovs-netdev:\n  lookups: hit:491744 missed:6 lost:0\n  flows: 2\n  port 0: ovs-netdev (tap)\n    RX packets:0 errors:0 dropped:0 overruns:0 frame:0\n    TX packets:0 errors:0 dropped:0 aborted:0 carrier:0\n    collisions:0\n    RX bytes:0  TX bytes:0\n  port 1: ovsbr0 (tap)\n    RX packets:12399\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000'
  return b
}

// ---------------------------------------------------------------- all special bundles

export function buildSpecialBundles(capturesDir: string = DEFAULT_CAPTURES_DIR): Bundle[] {
  const lab = new Map(buildAllLabBundles(capturesDir).map((b) => [b.name, b]))
  const get = (name: string): Bundle => {
    const b = lab.get(name)
    if (!b) throw new Error(`no lab bundle ${name}`)
    return b
  }
  const brokenLoad = get('lab-broken-huge-load')
  const brokenIdle = get('lab-broken-huge-idle')
  const mlx5Broken = mlx5Bundle(brokenLoad, 'mlx5-broken-load', true)
  return [
    mlx5Broken,
    mlx5Bundle(get('lab-fixed-huge-load'), 'mlx5-fixed-load', false),
    ovs217(brokenLoad),
    ovs40(brokenLoad),
    // The seed host's broken state, snapshot only (the lab's own idle bundles cover the lab shape).
    staticOf(mlx5Broken, 'broken-static'),
    ovsDown(brokenIdle),
    appctlMissing(brokenLoad),
    appctlTimeout(brokenLoad),
    permissionDenied(brokenIdle),
    garbled(brokenLoad),
  ]
}

export function makeSpecialBundles(outDir: string, capturesDir: string = DEFAULT_CAPTURES_DIR): string[] {
  mkdirSync(outDir, {recursive: true})
  const bundles = buildSpecialBundles(capturesDir)
  for (const b of bundles) writeBundle(outDir, b)
  return bundles.map((b) => b.name)
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outDir = resolve(process.argv[2] ?? DEFAULT_OUT_DIR)
  const capturesDir = resolve(process.argv[3] ?? DEFAULT_CAPTURES_DIR)
  for (const name of makeSpecialBundles(outDir, capturesDir)) console.log(`wrote ${join(outDir, name)}`)
}
