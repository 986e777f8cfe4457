/**
 * Builders for HostState and LoadWindow in rule tests: start from a small healthy OVS-DPDK host
 * (ovsbr0 netdev, dpdk0, vhost-user1, one PMD) and override what the test is about.
 */
import type {HostState, KernelInterface, OvsPortState, PmdThreadState, SourceCoverage} from '../../src/model/host-state.js'
import type {IpAddress, IpRoute, LoadResult} from '../../src/parsers/types.js'
import type {Attribution, LoadWindow, PathClass, PathDelta, PmdDelta} from '../../src/window/types.js'

const ok: SourceCoverage = {status: 'ok', parseError: null, reason: null}

export const ALL_SOURCE_IDS = [
  'ip-addr', 'ip-route', 'ip-link', 'sysctl-net', 'sysfs-net', 'sysfs-stats',
  'ovsdb-open_vswitch', 'ovsdb-bridge', 'ovsdb-port', 'ovsdb-interface',
  'dpif-show', 'dpctl-show', 'pmd-stats', 'pmd-perf', 'pmd-rxq', 'devbind', 'meminfo', 'cmdline',
  'fdb.ovsbr0', 'ofctl-show.ovsbr0', 'ofctl-ports.ovsbr0',
]

export function addr(cidr: string, extra: Partial<IpAddress> = {}): IpAddress {
  const [local, len] = cidr.split('/')
  return {
    family: local!.includes(':') ? 'inet6' : 'inet',
    local: local!,
    prefixlen: Number(len ?? 32),
    scope: 'global',
    label: null,
    dynamic: false,
    validLifetime: null,
    preferredLifetime: null,
    ...extra,
  }
}

export function route(dst: string, dev: string | null, extra: Partial<IpRoute> = {}): IpRoute {
  return {
    dst, dev, family: 'inet', gateway: null, protocol: 'kernel', scope: 'link', prefsrc: null,
    table: 'main', type: null, metric: null, ...extra,
  }
}

export function port(name: string, cls: OvsPortState['class'], extra: Partial<OvsPortState> = {}): OvsPortState {
  const type = {dpdk: 'dpdk', vhost: 'dpdkvhostuserclient', internal: 'internal', system: '', tap: 'tap', patch: 'patch', tunnel: 'vxlan', other: 'other'}[cls]
  return {
    name, bridge: 'ovsbr0', bond: null, type, class: cls, ofport: null, odpPort: null, options: {}, status: {}, otherConfig: {},
    error: null, adminState: 'up', linkState: 'up', linkSpeed: null, linkResets: 0, mtu: 1500, mac: null,
    statistics: {}, counters: null, pciAddress: null, driverName: null, kernelTwin: null, kernelTwinBy: null, numaId: 0, vlanTag: null,
    ...extra,
  }
}

export function iface(ifname: string, role: KernelInterface['role'], extra: Partial<KernelInterface> = {}): KernelInterface {
  return {
    ifname, ifindex: null, mac: null, mtu: 1500, operstate: 'UP', up: true, flags: ['UP'], kind: null,
    driver: null, pciAddress: null, numaNode: null, master: null, addresses: [], role, ovsPort: null, counters: null,
    ...extra,
  }
}

export function pmd(coreId: number, extra: Partial<PmdThreadState> = {}): PmdThreadState {
  return {
    numaId: 0, coreId, packets: 0, idleCycles: 1000, processingCycles: 0, busyPct: 0, isolated: false,
    rxqs: [], overheadPct: null, upcalls: 0, lostUpcalls: 0, sleepIterations: 0, sleepTimeUs: 0, perfDurationS: null, ...extra,
  }
}

/** A healthy pure-L2 host: ovsbr0 (netdev) with dpdk0 and vhost-user1, no IP on ovsbr0. */
export function makeState(extra: Partial<HostState> = {}): HostState {
  const sources: Record<string, SourceCoverage> = {}
  for (const id of ALL_SOURCE_IDS) sources[id] = ok
  return {
    sample: 'before',
    takenAt: '2026-11-21T04:37:20.000Z',
    host: {hostname: 'host0', netns: null},
    versions: {ovs: '3.1.0', dpdk: 'DPDK 22.11.11', db: '8.3.1'},
    ovs: {reachable: true, dpdkInitRequested: true, dpdkInitialized: true, dpdkCompiled: true, netdevDatapath: true, otherConfig: {'dpdk-init': 'true', 'pmd-cpu-mask': '0x2', 'dpdk-lcore-mask': '0x1'}},
    bridges: [{name: 'ovsbr0', datapathType: 'netdev', ports: ['ovsbr0', 'dpdk0', 'vhost-user1'], otherConfig: {}}],
    ports: [
      port('ovsbr0', 'internal', {ofport: 65534, odpPort: 1, mac: '02:00:00:00:b0:00'}),
      port('dpdk0', 'dpdk', {ofport: 1, odpPort: 2, options: {'dpdk-devargs': '0000:41:00.0'}, pciAddress: '0000:41:00.0', driverName: 'net_mlx5', mac: '02:00:00:00:d0:00', kernelTwin: 'enp65s0f0np0', kernelTwinBy: 'pci'}),
      port('vhost-user1', 'vhost', {ofport: 2, odpPort: 3, status: {mode: 'client', status: 'connected', n_rxq: '1', num_of_vrings: '2'}}),
    ],
    interfaces: [
      iface('lo', 'loopback', {addresses: [addr('127.0.0.1/8', {scope: 'host'})]}),
      iface('enp65s0f0np0', 'dpdk-twin', {driver: 'mlx5_core', pciAddress: '0000:41:00.0', numaNode: 0, mac: '0c:42:a1:67:d5:e7', ovsPort: 'dpdk0'}),
      iface('ovsbr0', 'ovs-internal', {driver: 'tun', kind: 'tun', mac: '02:00:00:00:b0:00', ovsPort: 'ovsbr0'}),
      iface('eno1', 'physical', {driver: 'tg3', pciAddress: '0000:c1:00.0', addresses: [addr('192.0.2.10/24')]}),
    ],
    routes: [route('192.0.2.0/24', 'eno1'), route('default', 'eno1', {gateway: '192.0.2.1', protocol: 'static', scope: 'global'})],
    sysctl: {'net.ipv4.ip_forward': '0'},
    ipv4Forwarding: false,
    pmds: [pmd(1)],
    mainThreadPackets: 0,
    rxqWindowSeconds: 60,
    datapathLookups: {hit: 0, missed: 0, lost: 0},
    fdb: [],
    hugepages: {total: 1024, free: 512, sizeKb: 2048},
    nics: [],
    cmdline: {},
    vmms: null,
    sources,
    warnings: [],
    ...extra,
  }
}

/** Marks sources as missing (status error) to test that rules report unknown. */
export function without(state: HostState, ...ids: string[]): HostState {
  const sources = {...state.sources}
  for (const id of ids) {
    for (const sid of Object.keys(sources)) {
      if (sid === id || sid.startsWith(`${id}.`)) sources[sid] = {status: 'error', parseError: null, reason: 'test: removed'}
    }
  }
  return {...state, sources}
}

export function path(name: string, cls: PathClass, bytes: number, packets = Math.round(bytes / 1500), extra: Partial<PathDelta> = {}): PathDelta {
  return {
    name, class: cls, detail: null,
    rxPackets: Math.round(packets / 2), txPackets: packets - Math.round(packets / 2),
    rxBytes: Math.round(bytes / 2), txBytes: bytes - Math.round(bytes / 2),
    rxDropped: 0, txDropped: 0, byteShare: null, packetShare: null, bytesPerSec: null, packetsPerSec: null, counterReset: false,
    ...extra,
  }
}

const CLASSES: PathClass[] = ['dpdk', 'vhost', 'internal', 'kernel-nic', 'ovs-kernel-port']

/** Attribution with shares relative to the vhost total (as the window builder computes them). */
export function attribution(paths: PathDelta[]): Attribution {
  const vhost = paths.filter((p) => p.class === 'vhost')
  const sum = (ps: PathDelta[], f: (p: PathDelta) => number) => ps.reduce((s, p) => s + f(p), 0)
  const refBytes = sum(vhost, (p) => p.rxBytes + p.txBytes)
  const refPackets = sum(vhost, (p) => p.rxPackets + p.txPackets)
  const share = (v: number, ref: number) => (ref > 0 ? v / ref : null)
  const withShares = paths.map((p) => ({
    ...p,
    byteShare: share(p.rxBytes + p.txBytes, refBytes),
    packetShare: share(p.rxPackets + p.txPackets, refPackets),
  }))
  const byClass = {} as Attribution['byClass']
  for (const c of CLASSES) {
    const ps = withShares.filter((p) => p.class === c)
    const bytes = sum(ps, (p) => p.rxBytes + p.txBytes)
    const packets = sum(ps, (p) => p.rxPackets + p.txPackets)
    byClass[c] = {bytes, packets, byteShare: share(bytes, refBytes), packetShare: share(packets, refPackets)}
  }
  return {reference: refBytes > 0 ? 'vhost' : 'none', referenceBytes: refBytes, referencePackets: refPackets, paths: withShares, byClass}
}

export function iperf(extra: Partial<LoadResult> = {}): LoadResult {
  return {
    tool: 'iperf3', protocol: 'TCP', target: '10.10.1.20', localHost: '10.10.1.10', bytes: 1_000_000_000,
    bitsPerSecond: 8e8, retransmits: 0, durationS: 10, reverse: false, startedAtSecs: 1795235853, intervals: [], error: null,
    ...extra,
  }
}

/**
 * A load window. Defaults: 10 s, the given paths, one PMD at the given busy %, iperf3 to 10.10.1.20.
 */
export function makeWindow(opts: {
  paths: PathDelta[]
  before?: HostState
  during?: HostState
  pmds?: PmdDelta[]
  load?: LoadResult | null
  mainThreadPackets?: number | null
  statisticsDeltas?: Record<string, Record<string, number>>
  durationS?: number
}): LoadWindow {
  const before = opts.before ?? makeState()
  const during = opts.during ?? {...before, sample: 'during', takenAt: '2026-11-21T04:37:30.000Z'}
  const load = opts.load === undefined ? iperf() : opts.load
  return {
    before,
    during,
    samples: [before, during],
    startedAt: before.takenAt,
    endedAt: during.takenAt,
    durationS: opts.durationS ?? 10,
    load: load === null ? null : {record: {argv: ['iperf3', '-c', load.target ?? 'x', '-J'], exitCode: 0, startedAt: before.takenAt, endedAt: during.takenAt, output: 'load/output.json'}, result: load, parseError: null},
    loadTarget: load?.target ?? null,
    loadBytesInWindow: load?.bytes ?? null,
    attribution: attribution(opts.paths),
    pmds: opts.pmds ?? [{numaId: 0, coreId: 1, busyPct: 40, packets: 1_000_000, upcalls: 0, lostUpcalls: 0}],
    mainThreadPackets: opts.mainThreadPackets ?? 0,
    datapathLostDelta: 0,
    statisticsDeltas: opts.statisticsDeltas ?? {},
    warnings: [],
  }
}

/** The seed's broken host under load: VM traffic leaves through ovsbr0 and the kernel NIC. */
export function brokenWindow(): LoadWindow {
  const before = makeState({
    interfaces: makeState().interfaces.map((i) =>
      i.ifname === 'ovsbr0' ? {...i, addresses: [addr('192.168.100.1/24'), addr('10.10.1.1/24')]} : i.ifname === 'enp65s0f0np0' ? {...i, addresses: [addr('172.16.0.1/24')]} : i),
    routes: [route('10.10.1.0/24', 'ovsbr0'), route('192.168.100.0/24', 'ovsbr0'), route('172.16.0.0/24', 'enp65s0f0np0')],
    ipv4Forwarding: true,
    sysctl: {'net.ipv4.ip_forward': '1'},
  })
  const during: HostState = {
    ...before,
    sample: 'during',
    fdb: [
      {bridge: 'ovsbr0', port: '1', portName: 'dpdk0', vlan: 0, mac: '0c:42:a1:67:d5:e7', age: 15, static: false},
      {bridge: 'ovsbr0', port: 'LOCAL', portName: 'ovsbr0', vlan: 0, mac: '02:00:00:00:b0:00', age: 0, static: false},
      {bridge: 'ovsbr0', port: '2', portName: 'vhost-user1', vlan: 0, mac: '02:00:00:00:10:10', age: 0, static: false},
    ],
  }
  return makeWindow({
    before,
    during,
    paths: [path('vhost-user1', 'vhost', 560e6), path('ovsbr0', 'internal', 560e6), path('enp65s0f0np0', 'kernel-nic', 560e6), path('dpdk0', 'dpdk', 84, 2)],
    pmds: [{numaId: 0, coreId: 1, busyPct: 3, packets: 350_000, upcalls: 4, lostUpcalls: 0}],
    load: iperf({target: '172.16.0.2', localHost: '192.168.100.10', bitsPerSecond: 2.76e9}),
    mainThreadPackets: 117_614,
  })
}

/** The fixed host under load: VM traffic goes vhost-user1 <-> dpdk0. */
export function fixedWindow(): LoadWindow {
  const before = makeState()
  const during: HostState = {
    ...before,
    sample: 'during',
    fdb: [
      {bridge: 'ovsbr0', port: '1', portName: 'dpdk0', vlan: 0, mac: '02:00:00:00:20:20', age: 0, static: false},
      {bridge: 'ovsbr0', port: '2', portName: 'vhost-user1', vlan: 0, mac: '02:00:00:00:10:10', age: 0, static: false},
    ],
  }
  return makeWindow({
    before,
    during,
    paths: [path('vhost-user1', 'vhost', 1.4e9), path('dpdk0', 'dpdk', 1.4e9), path('ovsbr0', 'internal', 0, 0), path('enp65s0f0np0', 'kernel-nic', 0, 0)],
    pmds: [{numaId: 0, coreId: 1, busyPct: 46, packets: 1_300_000, upcalls: 4, lostUpcalls: 0}],
  })
}
