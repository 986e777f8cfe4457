/**
 * Builds a HostState from one sample: parses every source (a parse failure is a warning, the raw
 * text stays in the bundle) and joins them: OVSDB rows into bridges and ports, kernel interfaces
 * with their drivers and roles, live counters, PMD threads, FDB with port names.
 */
import type {PsVmm} from '../parsers/ps-vmm.js'
import type {HostInfo, Sample, SourceResult} from '../capture/types.js'
import {printable} from '../util/text.js'
import {sourceInstance} from '../capture/types.js'
import {parseSource} from '../parsers/index.js'
import type {
  DevbindDevice, DpctlShow, DpifShow, EthtoolInfo, FdbEntry, IpAddrInterface, IpLink, IpRoute, KernelCmdline,
  LinkCounters, Meminfo, OfctlPortStats, OfctlShowPort, OvsBridge, OvsInterfaceRow, OvsOpenVswitch, OvsPortRow,
  PmdPerf, PmdRxqShow, PmdStats, SysctlValues, SysfsNetDevice, SysfsStats,
} from '../parsers/types.js'
import type {
  BridgeState, FdbRow, HostState, KernelInterface, KernelRole, OvsPortState, PmdThreadState, PortClass, PortCounters, SourceCoverage,
} from './host-state.js'

const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i
const TUNNEL_TYPES = new Set(['vxlan', 'geneve', 'gre', 'stt', 'erspan', 'ip6erspan', 'ip6gre', 'lisp', 'gtpu', 'bareudp', 'srv6'])
const LOCAL_OFPORT = 65534

export function portClassOf(type: string): PortClass {
  if (type === 'dpdk') return 'dpdk'
  if (type === 'dpdkvhostuser' || type === 'dpdkvhostuserclient') return 'vhost'
  if (type === 'internal') return 'internal'
  if (type === '' || type === 'system') return 'system'
  if (type === 'tap') return 'tap'
  if (type === 'patch') return 'patch'
  if (TUNNEL_TYPES.has(type)) return 'tunnel'
  return 'other'
}

/** PCI address of a dpdk port from its devargs ("0000:41:00.0" or "0000:41:00.0,representor=..."). */
export function pciFromDevargs(devargs: string | undefined): string | null {
  const first = devargs?.split(',')[0]?.trim()
  return first && PCI_ADDRESS.test(first) ? first.toLowerCase() : null
}

/** The kernel device a vdev DPDK port sits on: net_af_packet0,iface=X / net_tap0,iface=X. */
export function backendFromDevargs(devargs: string | undefined): string | null {
  if (!devargs || !/^net_(af_packet|tap|af_xdp)/.test(devargs)) return null
  const match = /(?:^|,)iface=([^,]+)/.exec(devargs)
  return match?.[1] ?? null
}

function num(value: string | undefined): number | null {
  if (value === undefined) return null
  const n = Number(value)
  return Number.isFinite(n) ? n : null
}

/**
 * Parses by source object: watch reads each live sample through the last full one, whose
 * configuration sources (OVSDB tables, addresses, FDB) are the same objects second after second;
 * parsing them once, not every second, is most of what a live sample would cost. Parsed values
 * are only read by the model, never changed.
 */
const parseCache = new WeakMap<SourceResult, {id: string; parsed: ReturnType<typeof parseSource>}>()

function parsedOf(id: string, r: SourceResult): ReturnType<typeof parseSource> {
  const hit = parseCache.get(r)
  if (hit && hit.id === id) return hit.parsed
  const parsed = parseSource(id, r.stdout)
  parseCache.set(r, {id, parsed})
  return parsed
}

class SampleReader {
  readonly coverage: Record<string, SourceCoverage> = {}
  readonly warnings: string[] = []
  private readonly cache = new Map<string, unknown>()

  constructor(private readonly sample: Sample) {
    for (const [id, r] of Object.entries(sample.sources)) {
      this.coverage[id] = {status: r.status, parseError: null, reason: r.reason ?? null}
    }
  }

  ids(prefix: string): string[] {
    return Object.keys(this.sample.sources).filter((id) => id.startsWith(`${prefix}.`)).sort()
  }

  /** Parsed value of an ok source, or null (missing, failed, or unparseable: recorded). */
  get<T>(id: string): T | null {
    if (!this.cache.has(id)) this.cache.set(id, this.parse(id))
    return this.cache.get(id) as T | null
  }

  private parse(id: string): unknown {
    const r = this.sample.sources[id]
    if (!r || r.status !== 'ok') return null
    const parsed = parsedOf(id, r)
    if (!parsed.ok) {
      this.coverage[id] = {...this.coverage[id]!, parseError: parsed.error}
      this.warnings.push(`${this.sample.name}/${id}: could not parse the output (${printable(parsed.error)}); kept raw in the capture`)
      return null
    }
    for (const w of parsed.warnings) this.warnings.push(`${this.sample.name}/${id}: ${printable(w)}`)
    return parsed.value
  }
}

/** A counter as a rule may see it: a finite count, never negative (a damaged or hostile output); else unknown. */
function count(n: number | null | undefined): number | null {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 2 ** 64 ? n : null
}

/** Every value of a counters object through count(). */
function counts<T extends object>(c: T | null | undefined): T | null {
  if (!c) return null
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, count(v as number | null)])) as T
}

/** OVSDB statistics: a key with a value that is not a count is left out. */
function statisticsOf(s: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(s).filter(([, v]) => count(v) !== null))
}

function countersFromOfctl(s: OfctlPortStats): PortCounters {
  return {
    rxPackets: s.rx.packets, rxBytes: s.rx.bytes, rxDropped: s.rx.drop, rxErrors: s.rx.errs,
    txPackets: s.tx.packets, txBytes: s.tx.bytes, txDropped: s.tx.drop, txErrors: s.tx.errs,
  }
}

/** One sample's OVSDB tables, parsed (null where a table could not be read). */
interface OvsdbTables {
  ovs: OvsOpenVswitch | null
  bridges: OvsBridge[] | null
  ports: OvsPortRow[] | null
  interfaces: OvsInterfaceRow[] | null
}

function readOvsdb(read: SampleReader): OvsdbTables {
  return {
    ovs: read.get<OvsOpenVswitch[]>('ovsdb-open_vswitch')?.[0] ?? null,
    bridges: read.get<OvsBridge[]>('ovsdb-bridge'),
    ports: read.get<OvsPortRow[]>('ovsdb-port'),
    interfaces: read.get<OvsInterfaceRow[]>('ovsdb-interface'),
  }
}

/**
 * Bridges and their ports: Bridge -> Port -> Interface rows, with the live counters (dpctl/show -s,
 * else dump-ports) and datapath port numbers. One OvsPortState per interface; a bond's members
 * name their Port in `bond`.
 */
function buildBridgesAndPorts(read: SampleReader, db: OvsdbTables): {bridges: BridgeState[]; ports: OvsPortState[]} {
  const dpif = read.get<DpifShow>('dpif-show')
  const dpctl = read.get<DpctlShow>('dpctl-show')
  const portByUuid = new Map((db.ports ?? []).map((p) => [p.uuid, p]))
  const ifaceByUuid = new Map((db.interfaces ?? []).map((i) => [i.uuid, i]))
  const odpPorts = new Map<string, number | null>()
  for (const b of dpif?.bridges ?? []) for (const p of b.ports) odpPorts.set(p.name, p.odpPort)
  const dpctlPorts = new Map((dpctl?.datapaths ?? []).flatMap((d) => d.ports.map((p) => [p.name, p] as const)))

  const bridges: BridgeState[] = []
  const ports: OvsPortState[] = []
  for (const b of db.bridges ?? []) {
    const ofctlStats = read.get<OfctlPortStats[]>(`ofctl-ports.${b.name}`)
    // By port number (LOCAL as 65534), first row wins like a find: a lookup per interface, not a scan.
    const ofctlByPort = new Map<number, OfctlPortStats>()
    for (const s of ofctlStats ?? []) {
      const key = s.port === 'LOCAL' ? LOCAL_OFPORT : s.port
      if (typeof key === 'number' && !ofctlByPort.has(key)) ofctlByPort.set(key, s)
    }
    const names: string[] = []
    for (const portUuid of b.portUuids) {
      const portRow = portByUuid.get(portUuid)
      const ifaces = portRow ? portRow.interfaceUuids.map((u) => ifaceByUuid.get(u)).filter((i) => i !== undefined) : []
      for (const i of ifaces) {
        names.push(i.name)
        const cls = portClassOf(i.type)
        const ofport = i.ofport
        const ofctl = ofport === null ? undefined : ofctlByPort.get(ofport)
        const dp = dpctlPorts.get(i.name)
        // dpctl/show -s first: one source for every bridge's ports, which watch reads each second over
        // the control socket; dump-ports (the same netdev counters) where dpctl has no row.
        const counters = counts(dp?.stats ? {...dp.stats} : ofctl ? countersFromOfctl(ofctl) : null)
        const devargs = i.options['dpdk-devargs']
        ports.push({
          name: i.name,
          bridge: b.name,
          bond: ifaces.length > 1 && portRow ? portRow.name : null,
          type: i.type,
          class: cls,
          ofport,
          odpPort: odpPorts.get(i.name) ?? dp?.portNo ?? null,
          options: i.options,
          status: i.status,
          otherConfig: i.otherConfig,
          error: i.error,
          adminState: i.adminState,
          linkState: i.linkState,
          linkSpeed: i.linkSpeed,
          linkResets: i.linkResets,
          mtu: i.mtu,
          mac: i.macInUse,
          statistics: statisticsOf(i.statistics),
          counters,
          pciAddress: cls === 'dpdk' ? pciFromDevargs(devargs) : null,
          driverName: i.status['driver_name'] ?? null,
          kernelTwin: null,
          kernelTwinBy: null,
          numaId: num(i.status['numa_id'] ?? i.status['numa']),
          vlanTag: portRow?.tag ?? null,
        })
      }
    }
    bridges.push({name: b.name, datapathType: b.datapathType === '' ? 'system' : b.datapathType, ports: names.sort(), otherConfig: b.otherConfig})
  }
  return {bridges, ports}
}

/** FDB entries of every bridge, with port names from ofctl show (or the OVSDB ofport as a fallback). */
function buildFdb(read: SampleReader, ports: OvsPortState[]): FdbRow[] {
  const fdb: FdbRow[] = []
  // Port names by bridge and ofport, first match wins (as the finds they replace): one lookup per
  // FDB entry instead of a scan of ofctl show and of every port (100k entries x 10k ports).
  const shownNames = new Map<string, Map<number, string>>()
  const shownOf = (br: string): Map<number, string> | null => {
    if (!shownNames.has(br)) {
      const shown = read.get<OfctlShowPort[]>(`ofctl-show.${br}`)
      const byPort = new Map<number, string>()
      for (const p of shown ?? []) if (typeof p.port === 'number' && !byPort.has(p.port)) byPort.set(p.port, p.name)
      shownNames.set(br, byPort)
    }
    return shownNames.get(br)!
  }
  const ovsNames = new Map<string, string>()
  for (const p of ports) {
    const key = `${p.bridge}\u0000${p.ofport}`
    if (p.ofport !== null && !ovsNames.has(key)) ovsNames.set(key, p.name)
  }
  for (const id of read.ids('fdb')) {
    const bridge = sourceInstance(id)!
    const entries = read.get<FdbEntry[]>(id) ?? []
    for (const e of entries) {
      const br = e.bridge ?? bridge
      let portName: string | null = null
      if (e.port === 'LOCAL') portName = br
      else {
        const n = Number(e.port)
        portName = shownOf(br)?.get(n) ?? ovsNames.get(`${br}\u0000${n}`) ?? null
      }
      fdb.push({bridge: br, port: e.port, vlan: e.vlan, mac: e.mac, age: e.age, static: e.static, portName})
    }
  }
  return fdb
}

/** Kernel interfaces with their addresses, drivers, counters and role towards OVS and DPDK. */
function buildInterfaces(read: SampleReader, sample: Sample, ports: OvsPortState[]): KernelInterface[] {
  const addrs = read.get<IpAddrInterface[]>('ip-addr') ?? []
  const links = read.get<IpLink[]>('ip-link') ?? []
  const sysfs = read.get<SysfsNetDevice[]>('sysfs-net') ?? []
  const stats = read.get<SysfsStats>('sysfs-stats')
  const linksFresh = sample.sources['ip-link']?.carried !== true
  const linkByName = new Map(links.map((l) => [l.ifname, l]))
  const addrByName = new Map<string, IpAddrInterface>()
  for (const a of addrs) if (!addrByName.has(a.ifname)) addrByName.set(a.ifname, a) // first wins, like find
  const sysfsByName = new Map(sysfs.map((d) => [d.ifname, d]))
  const names = [...new Set([...addrs.map((a) => a.ifname), ...links.map((l) => l.ifname), ...sysfs.map((d) => d.ifname)])]
  const portByName = new Map(ports.map((p) => [p.name, p]))
  const dpdkPorts = ports.filter((p) => p.class === 'dpdk')
  const backends = new Map(dpdkPorts.map((p) => [backendFromDevargs(p.options['dpdk-devargs']), p.name] as const).filter(([b]) => b !== null))

  return names.map((ifname) => {
    const a = addrByName.get(ifname)
    const l = linkByName.get(ifname)
    const d = sysfsByName.get(ifname)
    const ethtool = read.get<EthtoolInfo>(`ethtool-i.${ifname}`)
    const flags = a?.flags ?? l?.flags ?? []
    const pciAddress = d?.pciAddress?.toLowerCase() ?? (ethtool?.busInfo && PCI_ADDRESS.test(ethtool.busInfo) ? ethtool.busInfo.toLowerCase() : null)
    const kind = l?.kind ?? null
    const master = l?.master ?? a?.master ?? null
    const ovsPort = portByName.get(ifname)
    const twinOf = pciAddress ? dpdkPorts.find((p) => p.pciAddress === pciAddress) : undefined
    let role: KernelRole
    let owner: string | null = null
    if (ifname === 'lo' || flags.includes('LOOPBACK')) role = 'loopback'
    else if (ifname === 'ovs-netdev' || ifname === 'ovs-system') role = 'ovs-datapath'
    else if (ovsPort?.class === 'internal') [role, owner] = ['ovs-internal', ifname]
    else if (ovsPort && (ovsPort.class === 'system' || ovsPort.class === 'tap')) [role, owner] = ['ovs-system-port', ifname]
    else if (backends.has(ifname)) [role, owner] = ['dpdk-backend', backends.get(ifname)!]
    else if (twinOf) [role, owner] = ['dpdk-twin', twinOf.name]
    else if (pciAddress || (master === null && (kind === null || kind === 'veth'))) role = 'physical'
    else role = 'virtual'
    // ip-link carried over from a full sample (a live sample without it) has stale counters.
    const counters: LinkCounters | null = counts(stats?.[ifname] ?? (linksFresh ? l?.counters : null) ?? null)
    return {
      ifname,
      ifindex: a?.ifindex ?? l?.ifindex ?? null,
      mac: a?.mac ?? l?.mac ?? null,
      mtu: a?.mtu ?? l?.mtu ?? null,
      operstate: a?.operstate ?? l?.operstate ?? null,
      up: flags.includes('UP'),
      flags,
      kind,
      driver: d?.driver ?? ethtool?.driver ?? (kind === 'tun' || kind === 'veth' ? kind : null),
      pciAddress,
      numaNode: d?.numaNode ?? null,
      master,
      addresses: a?.addresses ?? [],
      role,
      ovsPort: owner,
      counters,
    }
  })
}

/**
 * The DPDK port's kernel twin: same PCI device (mlx5 bifurcation), else a host NIC whose own MAC
 * the bridge learned on the DPDK port (it sits on the same wire: the seed's FDB signature).
 * Sets kernelTwin on the ports and the twin role on the interfaces.
 */
function linkKernelTwins(ports: OvsPortState[], interfaces: KernelInterface[], fdb: FdbRow[]): void {
  const dpdkPorts = ports.filter((p) => p.class === 'dpdk')
  // MACs learned on each DPDK port (bridge -> port name -> MACs), in one pass over the FDB.
  const learnedOn = new Map<string, Map<string, Set<string>>>()
  for (const p of dpdkPorts) {
    if (!learnedOn.has(p.bridge)) learnedOn.set(p.bridge, new Map())
    learnedOn.get(p.bridge)!.set(p.name, new Set())
  }
  for (const e of fdb) if (e.portName !== null) learnedOn.get(e.bridge)?.get(e.portName)?.add(e.mac.toLowerCase())
  for (const p of dpdkPorts) {
    const byPci = interfaces.find((i) => i.role === 'dpdk-twin' && i.ovsPort === p.name)
    if (byPci) {
      p.kernelTwin = byPci.ifname
      p.kernelTwinBy = 'pci'
      continue
    }
    const learned = learnedOn.get(p.bridge)!.get(p.name)!
    const sameWire = interfaces.find((i) => i.role === 'physical' && i.mac !== null && learned.has(i.mac.toLowerCase()))
    if (sameWire) {
      p.kernelTwin = sameWire.ifname
      p.kernelTwinBy = 'fdb'
      sameWire.role = 'dpdk-twin'
      sameWire.ovsPort = p.name
    }
  }
}

/** PMD threads: pmd-stats for packets and cycles, pmd-rxq for queues, pmd-perf for upcalls and sleep. */
function buildPmds(read: SampleReader): {pmds: PmdThreadState[]; mainThreadPackets: number | null; rxqWindowSeconds: number | null} {
  const pmdStats = read.get<PmdStats>('pmd-stats')
  const pmdPerf = read.get<PmdPerf>('pmd-perf')
  const pmdRxq = read.get<PmdRxqShow>('pmd-rxq')
  const sameCore = (a: {numaId: number | null; coreId: number | null}, b: {numaId: number | null; coreId: number | null}) =>
    a.numaId === b.numaId && a.coreId === b.coreId
  const pmdKeys = [
    ...(pmdStats?.threads ?? []).filter((t) => t.kind === 'pmd'),
    ...(pmdPerf?.threads ?? []).filter((t) => t.kind === 'pmd'),
    ...(pmdRxq?.pmds ?? []),
  ]
  const uniqueCores = pmdKeys.filter((k, i) => pmdKeys.findIndex((o) => sameCore(o, k)) === i)
  const pmds: PmdThreadState[] = uniqueCores.map((k) => {
    const s = pmdStats?.threads.find((t) => t.kind === 'pmd' && sameCore(t, k))
    const perf = pmdPerf?.threads.find((t) => t.kind === 'pmd' && sameCore(t, k))
    const rxq = pmdRxq?.pmds.find((t) => sameCore(t, k))
    return {
      numaId: k.numaId,
      coreId: k.coreId,
      packets: count(s?.packetsReceived ?? perf?.rxPackets),
      // Cycles from pmd-perf-show only when pmd-stats-show has no such thread (the same counters).
      idleCycles: count(s ? s.idleCycles : perf?.idleCycles),
      processingCycles: count(s ? s.processingCycles : perf?.busyCycles),
      busyPct: s?.busyPct ?? perf?.busyPct ?? null,
      isolated: rxq?.isolated ?? null,
      rxqs: rxq?.rxqs ?? [],
      overheadPct: rxq?.overheadPct ?? null,
      upcalls: count(perf?.upcalls ?? s?.missWithSuccessUpcall),
      lostUpcalls: count(perf?.lostUpcalls ?? s?.missWithFailedUpcall),
      sleepIterations: perf?.sleepIterations ?? null,
      sleepTimeUs: perf?.sleepTimeUs ?? null,
      perfDurationS: perf ? (pmdPerf?.measurementDurationS ?? null) : null,
    }
  })
  const main = pmdStats?.threads.find((t) => t.kind === 'main') ?? pmdPerf?.threads.find((t) => t.kind === 'main')
  const mainThreadPackets = main ? count('packetsReceived' in main ? main.packetsReceived : main.rxPackets) : null
  return {pmds, mainThreadPackets, rxqWindowSeconds: pmdRxq?.windowSeconds ?? null}
}

/** ovs-vswitchd's reply to a dpif-netdev command when it has no userspace datapath. */
const NO_NETDEV_DATAPATH = /please specify an existing datapath/i
const PMD_SOURCES = ['pmd-stats', 'pmd-perf', 'pmd-rxq'] as const

/**
 * Whether ovs-vswitchd runs a userspace (netdev) datapath, from its answers to the PMD commands:
 * false when they reply "please specify an existing datapath", true when one printed threads,
 * null when neither is known.
 */
function netdevDatapathRunning(sample: Sample, pmdCount: number, mainThreadPackets: number | null): boolean | null {
  for (const id of PMD_SOURCES) {
    const r = sample.sources[id]
    if (r && r.status !== 'ok' && NO_NETDEV_DATAPATH.test(`${r.stderr}\n${r.stdout}`)) return false
  }
  return pmdCount > 0 || mainThreadPackets !== null ? true : null
}

/**
 * dpdk_version "none" is what an OVS built without DPDK writes (lib/dpdk-stub.c), not a version; a
 * real version string means DPDK is compiled in. iface_types lists "dpdk" only once DPDK is
 * initialised, so its absence says nothing about the build (OVS 3.5 + DPDK 24.11, not initialised).
 */
function dpdkCompiled(ovs: OvsOpenVswitch | null): boolean | null {
  if (!ovs) return null
  const version = ovs.dpdkVersion?.trim() ?? ''
  if (version.toLowerCase() === 'none') return false
  if (version !== '' || ovs.ifaceTypes.includes('dpdk')) return true
  return null
}

export function buildHostState(sample: Sample, host: Pick<HostInfo, 'hostname' | 'netns'>): HostState {
  const read = new SampleReader(sample)
  const db = readOvsdb(read)
  const otherConfig = db.ovs?.otherConfig ?? {}
  const {bridges, ports} = buildBridgesAndPorts(read, db)
  const fdb = buildFdb(read, ports)
  const interfaces = buildInterfaces(read, sample, ports)
  linkKernelTwins(ports, interfaces, fdb)
  const {pmds, mainThreadPackets, rxqWindowSeconds} = buildPmds(read)

  const routes = read.get<IpRoute[]>('ip-route') ?? []
  const sysctl = read.get<SysctlValues>('sysctl-net') ?? {}
  const fwd = sysctl['net.ipv4.ip_forward'] ?? sysctl['net.ipv4.conf.all.forwarding']
  const meminfo = read.get<Meminfo>('meminfo')
  const psVmm = read.get<PsVmm>('ps-vmm')
  const cmdline = read.get<KernelCmdline>('cmdline')
  const nics = read.get<DevbindDevice[]>('devbind') ?? []
  const dpctl = read.get<DpctlShow>('dpctl-show')
  const netdevDp = dpctl?.datapaths.find((d) => d.name.startsWith('netdev@')) ?? dpctl?.datapaths[0]
  const compiled = dpdkCompiled(db.ovs)

  return {
    sample: sample.name,
    takenAt: sample.takenAt,
    host: {hostname: host.hostname, netns: host.netns},
    versions: {ovs: db.ovs?.ovsVersion ?? null, dpdk: compiled === false ? null : (db.ovs?.dpdkVersion ?? null), db: db.ovs?.dbVersion ?? null},
    ovs: {
      // Ports are joined Bridge -> Port -> Interface: without any of the three tables they are unknown.
      reachable: db.bridges !== null && db.ports !== null && db.interfaces !== null,
      dpdkInitRequested: otherConfig['dpdk-init'] === undefined ? (db.ovs ? false : null) : ['true', 'try'].includes(otherConfig['dpdk-init']),
      dpdkInitialized: db.ovs?.dpdkInitialized ?? null,
      dpdkCompiled: compiled,
      netdevDatapath: netdevDatapathRunning(sample, pmds.length, mainThreadPackets),
      otherConfig,
    },
    bridges,
    ports,
    interfaces,
    routes,
    sysctl,
    ipv4Forwarding: fwd === undefined ? null : fwd.trim() === '1',
    pmds,
    mainThreadPackets,
    rxqWindowSeconds,
    datapathLookups: counts(netdevDp?.lookups),
    fdb,
    hugepages: meminfo ? {total: meminfo.hugepagesTotal, free: meminfo.hugepagesFree, sizeKb: meminfo.hugepageSizeKb} : null,
    nics,
    cmdline: cmdline?.params ?? null,
    vmms: psVmm?.processes ?? null,
    sources: read.coverage,
    warnings: read.warnings,
  }
}
