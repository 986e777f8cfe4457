/**
 * HostState: one sample of the host, joined from the parsed sources. Rules read only this and
 * the LoadWindow; they never see raw text and never run commands.
 */
import type {SourceStatus} from '../capture/types.js'
import type {VmmProcess} from '../parsers/ps-vmm.js'
import type {DevbindDevice, FdbEntry, IpAddress, IpRoute, LinkCounters, PmdRxq} from '../parsers/types.js'

/** How a port is used, from its OVS interface type. */
export type PortClass = 'dpdk' | 'vhost' | 'internal' | 'system' | 'tap' | 'patch' | 'tunnel' | 'other'

export interface PortCounters {
  rxPackets: number | null
  rxBytes: number | null
  rxDropped: number | null
  rxErrors: number | null
  txPackets: number | null
  txBytes: number | null
  txDropped: number | null
  txErrors: number | null
}

export interface OvsPortState {
  name: string
  bridge: string
  /** The OVS Port this interface is a member of, when that Port is a bond (more than one interface). */
  bond: string | null
  /** OVS interface type as configured: "dpdk", "dpdkvhostuserclient", "internal", "" (system) ... */
  type: string
  class: PortClass
  ofport: number | null
  /** Datapath port number (dpif/show, dpctl/show); not the OpenFlow number. */
  odpPort: number | null
  options: Record<string, string>
  status: Record<string, string>
  /** OVSDB Interface:other_config (tx-steering, pmd-rxq-affinity, ...). */
  otherConfig: Record<string, string>
  error: string | null
  adminState: string | null
  linkState: string | null
  linkSpeed: number | null
  linkResets: number | null
  mtu: number | null
  mac: string | null
  /** OVSDB Interface:statistics (refreshed every >= 5 s: fine for totals, not for rates). */
  statistics: Record<string, number>
  /** Live counters (ofctl dump-ports, else dpctl/show -s), null when neither was read. */
  counters: PortCounters | null
  /** For class "dpdk": the PCI address from dpdk-devargs or status:bus_info, if any. */
  pciAddress: string | null
  /** For class "dpdk": the PMD driver (status:driver_name), e.g. net_mlx5. */
  driverName: string | null
  /** For class "dpdk": the kernel netdev on the same PCI device (mlx5 bifurcation), if any. */
  kernelTwin: string | null
  /** How the twin was found: same PCI device (mlx5 bifurcation), or its MAC learned on this port (same wire). */
  kernelTwinBy: 'pci' | 'fdb' | null
  numaId: number | null
  vlanTag: number | null
}

export interface BridgeState {
  name: string
  /** "netdev" (userspace) or "system" ("" is reported as "system"). */
  datapathType: string
  ports: string[]
  otherConfig: Record<string, string>
}

/** What a kernel interface is to OVS and DPDK. */
export type KernelRole =
  | 'ovs-internal' // a bridge's internal/LOCAL port: a TAP on a netdev bridge
  | 'ovs-system-port' // a kernel port attached to an OVS bridge (type system/tap)
  | 'dpdk-twin' // kernel netdev of a NIC that OVS drives with DPDK (mlx5 bifurcation)
  | 'dpdk-backend' // the kernel device a DPDK vdev port sits on (net_af_packet iface=, net_tap): mirrors the DPDK port
  | 'physical' // a NIC-like interface not used by OVS (PCI device, or an unenslaved veth)
  | 'ovs-datapath' // ovs-netdev / ovs-system
  | 'loopback'
  | 'virtual' // veth, bridge, vlan, ... not in OVS

export interface KernelInterface {
  ifname: string
  ifindex: number | null
  mac: string | null
  mtu: number | null
  operstate: string | null
  up: boolean
  flags: string[]
  /** ip -d linkinfo kind (veth, tun, bridge, ...), null for a plain NIC. */
  kind: string | null
  driver: string | null
  pciAddress: string | null
  numaNode: number | null
  master: string | null
  addresses: IpAddress[]
  role: KernelRole
  /** The OVS port this interface is (internal/system port), or the DPDK port it is the twin of. */
  ovsPort: string | null
  counters: LinkCounters | null
}

export interface PmdThreadState {
  numaId: number | null
  coreId: number | null
  packets: number | null
  idleCycles: number | null
  processingCycles: number | null
  /** Cumulative busy % since the last pmd-stats-clear (not a window figure). */
  busyPct: number | null
  isolated: boolean | null
  rxqs: PmdRxq[]
  overheadPct: number | null
  upcalls: number | null
  lostUpcalls: number | null
  sleepIterations: number | null
  /** pmd-perf-show "Sleep time (us)" and its "Measurement duration" (s): both cumulative since the last clear. */
  sleepTimeUs: number | null
  perfDurationS: number | null
}

export interface FdbRow extends FdbEntry {
  bridge: string
  /** Port name resolved through ovs-ofctl show ("ovsbr0" for LOCAL), null if unknown. */
  portName: string | null
}

export interface SourceCoverage {
  status: SourceStatus
  /** Set when the output could not be parsed (the raw text is kept in the bundle). */
  parseError: string | null
  reason: string | null
}

export interface HostState {
  sample: string
  takenAt: string
  host: {hostname: string | null; netns: string | null}
  versions: {ovs: string | null; dpdk: string | null; db: string | null}
  ovs: {
    /** null when OVSDB could not be read. */
    reachable: boolean
    dpdkInitRequested: boolean | null
    dpdkInitialized: boolean | null
    /** false when OVS was built without DPDK (dpdk_version "none", no "dpdk" in iface_types). */
    dpdkCompiled: boolean | null
    /** false when ovs-vswitchd answered the PMD commands "please specify an existing datapath". */
    netdevDatapath: boolean | null
    otherConfig: Record<string, string>
  }
  bridges: BridgeState[]
  ports: OvsPortState[]
  interfaces: KernelInterface[]
  routes: IpRoute[]
  sysctl: Record<string, string>
  /** net.ipv4.ip_forward (or conf.all.forwarding) = 1; null if unknown. */
  ipv4Forwarding: boolean | null
  pmds: PmdThreadState[]
  /** Packets handled by the main (non-PMD) thread: the internal ports' traffic. */
  mainThreadPackets: number | null
  /** pmd-rxq-show's rolling window in seconds (3.1+), null if not printed. */
  rxqWindowSeconds: number | null
  datapathLookups: {hit: number | null; missed: number | null; lost: number | null} | null
  fdb: FdbRow[]
  hugepages: {total: number | null; free: number | null; sizeKb: number | null} | null
  nics: DevbindDevice[]
  cmdline: Record<string, string | true> | null
  /** VMM processes (qemu-system-*, cloud-hypervisor) from ps-vmm; null when not read. */
  vmms: VmmProcess[] | null
  /** Coverage per source id present in the sample. */
  sources: Record<string, SourceCoverage>
  /** Parse and join warnings, for the report. */
  warnings: string[]
}

/** Whether a source (or any instance of a templated base id, e.g. "fdb") was read and parsed. */
export function hasSource(state: HostState, id: string): boolean {
  const ok = (c: SourceCoverage | undefined) => c !== undefined && c.status === 'ok' && c.parseError === null
  if (ok(state.sources[id])) return true
  const prefix = `${id}.`
  return Object.entries(state.sources).some(([sid, c]) => sid.startsWith(prefix) && ok(c))
}
