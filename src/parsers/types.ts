/**
 * Typed records produced by the parsers (pure text -> records).
 * Conventions: a counter or value the tool printed as "?" or "NOT AVAIL" is null (unknown), never 0.
 */

/** What every parser returns: records, or why the text could not be read. Never throws. */
export type ParseResult<T> =
  | {ok: true; value: T; warnings: string[]}
  | {ok: false; error: string}

// ---------------------------------------------------------------- iproute2 (ip -j ...)

export interface IpAddress {
  family: 'inet' | 'inet6'
  local: string
  prefixlen: number
  scope: string | null
  label: string | null
  dynamic: boolean
  validLifetime: number | null
  preferredLifetime: number | null
}

export interface IpAddrInterface {
  ifindex: number
  ifname: string
  flags: string[]
  mtu: number | null
  operstate: string | null
  linkType: string | null
  mac: string | null
  master: string | null
  addresses: IpAddress[]
}

export interface IpRoute {
  /** "default" or a prefix as ip prints it ("10.10.1.0/24", "172.16.0.2"). */
  dst: string
  family: 'inet' | 'inet6' | null
  gateway: string | null
  dev: string | null
  protocol: string | null
  scope: string | null
  prefsrc: string | null
  /** "main" when ip did not print a table. */
  table: string
  type: string | null
  metric: number | null
}

export interface LinkCounters {
  rxBytes: number | null
  rxPackets: number | null
  rxErrors: number | null
  rxDropped: number | null
  txBytes: number | null
  txPackets: number | null
  txErrors: number | null
  txDropped: number | null
}

export interface IpLink {
  ifindex: number
  ifname: string
  flags: string[]
  mtu: number | null
  operstate: string | null
  mac: string | null
  master: string | null
  /** linkinfo.info_kind from `ip -d`: veth, tun, bridge, openvswitch, vlan ...; null for a plain NIC. */
  kind: string | null
  promiscuity: number | null
  counters: LinkCounters | null
}

// ---------------------------------------------------------------- sysctl, /proc, /sys

/** `key = value` lines, as sysctl prints them. */
export type SysctlValues = Record<string, string>

export interface Meminfo {
  hugepagesTotal: number | null
  hugepagesFree: number | null
  hugepagesRsvd: number | null
  hugepageSizeKb: number | null
  memTotalKb: number | null
}

export interface KernelCmdline {
  raw: string
  params: Record<string, string | true>
}

/** One entry of the sysfs-net source. */
export interface SysfsNetDevice {
  ifname: string
  driver: string | null
  pciAddress: string | null
  numaNode: number | null
}

/** sysfs-stats source: /sys/class/net/<if>/statistics, per interface. */
export type SysfsStats = Record<string, LinkCounters>

export interface EthtoolInfo {
  driver: string | null
  version: string | null
  firmwareVersion: string | null
  busInfo: string | null
}

// ---------------------------------------------------------------- OVSDB (ovs-vsctl --format=json list T)

/** An OVSDB datum converted from JSON: atoms, sets as arrays, maps as records, uuids as strings. */
export type OvsdbAtom = string | number | boolean
export type OvsdbDatum = OvsdbAtom | OvsdbAtom[] | Record<string, OvsdbAtom>
export type OvsdbRow = Record<string, OvsdbDatum>

export interface OvsOpenVswitch {
  uuid: string
  ovsVersion: string | null
  dpdkVersion: string | null
  /** dpdk_initialized column; null when the column is absent (OVS without DPDK support). */
  dpdkInitialized: boolean | null
  dbVersion: string | null
  otherConfig: Record<string, string>
  externalIds: Record<string, string>
  bridgeUuids: string[]
  ifaceTypes: string[]
}

export interface OvsBridge {
  uuid: string
  name: string
  /** "" (means system), "system" or "netdev". */
  datapathType: string
  portUuids: string[]
  /** OpenFlow versions the bridge accepts ("OpenFlow13", ...); empty = OVS's default set. */
  protocols: string[]
  otherConfig: Record<string, string>
  externalIds: Record<string, string>
}

export interface OvsPortRow {
  uuid: string
  name: string
  interfaceUuids: string[]
  tag: number | null
  trunks: number[]
  bondMode: string | null
  otherConfig: Record<string, string>
}

export interface OvsInterfaceRow {
  uuid: string
  name: string
  /** "" means system. */
  type: string
  ofport: number | null
  error: string | null
  adminState: string | null
  linkState: string | null
  linkSpeed: number | null
  linkResets: number | null
  mtu: number | null
  mtuRequest: number | null
  macInUse: string | null
  options: Record<string, string>
  status: Record<string, string>
  statistics: Record<string, number>
  otherConfig: Record<string, string>
  externalIds: Record<string, string>
}

// ---------------------------------------------------------------- ovs-appctl dpctl/show -s, dpif/show

export interface DatapathPortStats {
  rxPackets: number | null
  rxBytes: number | null
  rxErrors: number | null
  rxDropped: number | null
  txPackets: number | null
  txBytes: number | null
  txErrors: number | null
  txDropped: number | null
}

export interface DpctlPort {
  portNo: number
  name: string
  /** As printed: "tap", "dpdk", "dpdkvhostuserclient", ...; "system" when printed without parentheses. */
  type: string
  config: Record<string, string>
  stats: DatapathPortStats | null
}

export interface DpctlDatapath {
  name: string
  lookups: {hit: number | null; missed: number | null; lost: number | null} | null
  flows: number | null
  ports: DpctlPort[]
}

export interface DpctlShow {
  datapaths: DpctlDatapath[]
}

export interface DpifPort {
  name: string
  /** OpenFlow port number; 65534 is LOCAL. */
  ofport: number | null
  odpPort: number | null
  type: string
  config: Record<string, string>
}

export interface DpifShow {
  datapaths: Array<{name: string; hit: number | null; missed: number | null}>
  bridges: Array<{name: string; datapath: string | null; ports: DpifPort[]}>
}

// ---------------------------------------------------------------- PMD commands

export interface PmdStatsThread {
  kind: 'pmd' | 'main'
  numaId: number | null
  coreId: number | null
  packetsReceived: number | null
  emcHits: number | null
  smcHits: number | null
  megaflowHits: number | null
  missWithSuccessUpcall: number | null
  missWithFailedUpcall: number | null
  /** "lost:" in OVS <= 2.8. */
  lost: number | null
  avgPacketsPerOutputBatch: number | null
  /** "idle cycles" (or "polling cycles" in 2.6). */
  idleCycles: number | null
  processingCycles: number | null
  /** processing / (idle + processing), 0-100, null when cycles are absent. */
  busyPct: number | null
}

export interface PmdStats {
  /** "pmd-perf-alias" when OVS >= 4.0 printed pmd-perf-show output for pmd-stats-show. */
  format: 'pmd-stats' | 'pmd-perf-alias'
  threads: PmdStatsThread[]
}

export interface PmdPerfThread {
  kind: 'pmd' | 'main'
  numaId: number | null
  coreId: number | null
  iterations: number | null
  usedTscCycles: number | null
  idleIterations: number | null
  busyIterations: number | null
  /** busy iterations' share of used cycles, 0-100. */
  busyPct: number | null
  sleepIterations: number | null
  /** "Sleep time (us)" (OVS 3.1+): time slept since the last clear, on the clock of measurementDurationS. */
  sleepTimeUs: number | null
  rxPackets: number | null
  datapathPasses: number | null
  emcHits: number | null
  smcHits: number | null
  megaflowHits: number | null
  upcalls: number | null
  lostUpcalls: number | null
  txPackets: number | null
  txBatches: number | null
  pktsPerBatch: number | null
  /**
   * Busy and idle cycles (the counters pmd-stats-show prints as processing / idle cycles), derived:
   * busy = Rx packets x "cycles/pkt" (busy cycles per packet, %.0f), else used cycles x busy %;
   * idle = used - busy. Null when the thread prints no cycle lines (main thread).
   */
  busyCycles: number | null
  idleCycles: number | null
}

export interface PmdPerf {
  measurementDurationS: number | null
  threads: PmdPerfThread[]
}

export interface PmdRxq {
  port: string
  queueId: number
  /** null before OVS 2.13 (no "(enabled)" marker). */
  enabled: boolean | null
  /** null for "NOT AVAIL" and before OVS 2.9. */
  usagePct: number | null
}

export interface PmdRxqThread {
  numaId: number | null
  coreId: number | null
  isolated: boolean | null
  overheadPct: number | null
  rxqs: PmdRxq[]
}

export interface PmdRxqShow {
  /** "Displaying last N seconds" (OVS 3.1+), else null. */
  windowSeconds: number | null
  pmds: PmdRxqThread[]
}

// ---------------------------------------------------------------- bridge-level sources

export interface FdbEntry {
  /** Set for the OVS 4.0 multi-bridge table; otherwise the bridge the source was run for. */
  bridge: string | null
  /** "LOCAL" or the OpenFlow port number as text ("1"). */
  port: string
  vlan: number
  mac: string
  /** null for static entries. */
  age: number | null
  static: boolean
}

export interface OfctlShowPort {
  /** number, or "LOCAL". */
  port: number | 'LOCAL'
  name: string
  mac: string | null
  linkDown: boolean | null
  portDown: boolean | null
}

export interface OfctlPortCounters {
  packets: number | null
  bytes: number | null
  drop: number | null
  errs: number | null
}

export interface OfctlPortStats {
  port: number | 'LOCAL'
  rx: OfctlPortCounters
  tx: OfctlPortCounters
}

// ---------------------------------------------------------------- DPDK

export interface DevbindDevice {
  pci: string
  description: string
  deviceId: string | null
  numaNode: number | null
  ifnames: string[]
  driver: string | null
  unused: string[]
  active: boolean
  section: 'dpdk' | 'kernel' | 'other'
}

// ---------------------------------------------------------------- load

export interface LoadResult {
  tool: 'iperf3'
  protocol: string | null
  /** The address iperf3 connected to (client side) or null. */
  target: string | null
  localHost: string | null
  /** Bytes the sender sent (end.sum_sent.bytes, or the sum of the intervals). */
  bytes: number | null
  bitsPerSecond: number | null
  retransmits: number | null
  durationS: number | null
  reverse: boolean
  /** Unix seconds of the test start, from iperf3's own timestamp. */
  startedAtSecs: number | null
  intervals: Array<{start: number; end: number; bytes: number; bitsPerSecond: number; retransmits: number | null}>
  error: string | null
}
