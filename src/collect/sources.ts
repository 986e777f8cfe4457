/**
 * The sources dpdk-doctor reads: stable ids (never rename one), how to get each, and which are
 * live counters sampled during a load window. Collection never decides: it only runs these.
 */
import {baseSourceId} from '../capture/types.js'
import type {SourceResult} from '../capture/types.js'

export interface CollectTarget {
  /** Run the kernel-side sources (ip, ethtool, sysfs, devbind) inside this network namespace. */
  netns: string | null
  /** Point the OVS tools at this run directory (OVS_RUNDIR). */
  ovsRundir: string | null
  /** The runner runs on another host (ssh): in-process readers become remote commands there. */
  remote?: boolean
}

export type SourceSide = 'kernel' | 'ovs' | 'proc'

export interface SourceSpec {
  id: string
  side: SourceSide
  /** argv of a command; absent for in-process readers (sysfs, /proc). */
  argv?: string[]
  /** File or directory read in-process (when not in another netns). */
  path?: string
  /** The same request as JSON-RPC on ovs-vswitchd's control socket (ovs-appctl sources; watch uses it). */
  unixctl?: {method: string; params: string[]}
  /** In-process reader kind, for sources without argv. */
  reader?: 'file' | 'sysfs-net' | 'sysfs-stats' | 'sysctl-net' | 'ps-vmm'
  /** Sampled during a load window (live counters only, never OVSDB statistics). */
  live: boolean
  /** Slow and not needed by the core rules: never holds up the rest. */
  slow: boolean
  timeoutMs: number
}

/** Seconds given to OVS tools' own timeouts (ovs-vsctl -t, ovs-appctl -T, ovs-ofctl -t). */
export const OVS_TOOL_TIMEOUT_S = 5
/** Outer deadline for one source: the OVS timeout plus a margin; kills the whole process group. */
export const SOURCE_DEADLINE_MS = 8_000

const vsctl = (table: string) => ['ovs-vsctl', `-t`, String(OVS_TOOL_TIMEOUT_S), '--format=json', 'list', table]
/** An ovs-appctl source: its argv, and the same command for the control socket. */
const appctl = (method: string, ...params: string[]) => ({
  argv: ['ovs-appctl', '-T', String(OVS_TOOL_TIMEOUT_S), method, ...params],
  unixctl: {method, params},
})
const ofctl = (...args: string[]) => ['ovs-ofctl', '-t', String(OVS_TOOL_TIMEOUT_S), ...args]

/** sysctl keys of the sysctl-net source (read from /proc/sys). */
export const SYSCTL_NET_KEYS = [
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.forwarding',
  'net.ipv4.conf.all.rp_filter',
  'net.ipv4.conf.all.arp_ignore',
  'net.ipv4.conf.all.arp_announce',
  'net.ipv6.conf.all.forwarding',
]

/** Sources collected for every snapshot. Order is the order shown in reports. */
export const STATIC_SOURCES: readonly SourceSpec[] = [
  {id: 'ip-addr', side: 'kernel', argv: ['ip', '-j', 'addr', 'show'], live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'ip-route', side: 'kernel', argv: ['ip', '-j', 'route', 'show', 'table', 'all'], live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'ip-link', side: 'kernel', argv: ['ip', '-j', '-s', '-d', 'link', 'show'], live: true, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'sysctl-net', side: 'kernel', reader: 'sysctl-net', path: '/proc/sys/net/ipv4', live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'sysfs-net', side: 'kernel', reader: 'sysfs-net', path: '/sys/class/net', live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'sysfs-stats', side: 'kernel', reader: 'sysfs-stats', path: '/sys/class/net', live: true, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'ovsdb-open_vswitch', side: 'ovs', argv: vsctl('Open_vSwitch'), live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'ovsdb-bridge', side: 'ovs', argv: vsctl('Bridge'), live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'ovsdb-port', side: 'ovs', argv: vsctl('Port'), live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'ovsdb-interface', side: 'ovs', argv: vsctl('Interface'), live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'dpif-show', side: 'ovs', ...appctl('dpif/show'), live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'dpctl-show', side: 'ovs', ...appctl('dpctl/show', '-s'), live: true, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'pmd-stats', side: 'ovs', ...appctl('dpif-netdev/pmd-stats-show'), live: true, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'pmd-perf', side: 'ovs', ...appctl('dpif-netdev/pmd-perf-show', '-nh'), live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'pmd-rxq', side: 'ovs', ...appctl('dpif-netdev/pmd-rxq-show'), live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'devbind', side: 'kernel', argv: ['dpdk-devbind.py', '--status-dev', 'net'], live: false, slow: true, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'meminfo', side: 'proc', reader: 'file', path: '/proc/meminfo', live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  {id: 'cmdline', side: 'proc', reader: 'file', path: '/proc/cmdline', live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  // Optional: the VMMs' command lines (vCPUs, vhost-user queues), from /proc/<pid>/cmdline, never ps or a shell.
  {id: 'ps-vmm', side: 'proc', reader: 'ps-vmm', path: '/proc', live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
]

/** The OpenFlow version names ovs-ofctl's -O accepts, oldest first: nothing else reaches argv. */
export const OPENFLOW_VERSIONS = ['OpenFlow10', 'OpenFlow11', 'OpenFlow12', 'OpenFlow13', 'OpenFlow14', 'OpenFlow15'] as const

/**
 * ovs-ofctl's `-O` value for a bridge's `protocols` column, or null to leave ovs-ofctl at its
 * default (OpenFlow 1.0). ovs-ofctl speaks only 1.0 unless told, and fails "version negotiation
 * failed" on a bridge that allows only 1.3+ (OVN, Sunbeam). An empty column means OVS's default
 * set, which includes 1.0: no -O then, so such bridges keep the output they gave so far. Names
 * outside the allow-list are dropped (the column comes from the host).
 */
export function openflowVersionsArg(protocols: readonly string[]): string | null {
  const allowed = OPENFLOW_VERSIONS.filter((v) => protocols.includes(v))
  return allowed.length > 0 ? allowed.join(',') : null
}

/** Per-bridge sources, once the bridge names (and, for ovs-ofctl, the Bridge row's protocols) are known. */
export function bridgeSources(bridge: string, protocols: readonly string[] = []): SourceSpec[] {
  const versions = openflowVersionsArg(protocols)
  const negotiate = versions === null ? [] : ['-O', versions]
  return [
    {id: `fdb.${bridge}`, side: 'ovs', ...appctl('fdb/show', bridge), live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
    {id: `ofctl-show.${bridge}`, side: 'ovs', argv: ofctl(...negotiate, 'show', bridge), live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
    {id: `ofctl-ports.${bridge}`, side: 'ovs', argv: ofctl(...negotiate, 'dump-ports', bridge), live: true, slow: false, timeoutMs: SOURCE_DEADLINE_MS},
  ]
}

/** Whether a per-bridge source runs ovs-ofctl (and so needs the bridge's OpenFlow versions). */
export function isOfctlSource(spec: SourceSpec): boolean {
  return spec.argv?.[0] === 'ovs-ofctl'
}

/** Per-interface ethtool -i, for the NICs that matter (physical, or the kernel twin of a DPDK port). */
export function ethtoolSource(ifname: string): SourceSpec {
  return {id: `ethtool-i.${ifname}`, side: 'kernel', argv: ['ethtool', '-i', ifname], live: false, slow: false, timeoutMs: SOURCE_DEADLINE_MS}
}

/**
 * Sources whose absence means dpdk-doctor cannot judge the datapath at all: without OVSDB there
 * is no bridge, port or interface to reason about (exit 3, UNKNOWN).
 */
export const REQUIRED_SOURCES = ['ovsdb-bridge', 'ovsdb-interface'] as const

/** Whether a source id is a live counter (sampled during a window), templated ids included. */
export function isLiveSourceId(id: string): boolean {
  return LIVE_BASE_IDS.has(baseSourceId(id))
}

const LIVE_BASE_IDS = new Set([
  ...STATIC_SOURCES.filter((s) => s.live).map((s) => s.id),
  ...bridgeSources('x').filter((s) => s.live).map((s) => baseSourceId(s.id)),
])

/** A sample that holds the OVSDB tables (before, or a final full snapshot), not only live counters. */
export function isFullSample(sample: {sources: Record<string, unknown>}): boolean {
  return sample.sources['ovsdb-bridge'] !== undefined && sample.sources['ovsdb-interface'] !== undefined
}

/**
 * A live sample seen through a full one: its live counters over the full sample's configuration
 * (bridges, ports, addresses), so its counters can be joined to named ports. The full sample's own
 * counters are left out: one the live sample lacks (ofctl-ports, which watch does not sample)
 * would otherwise shadow the fresh ones with frozen values. ip-link also carries link
 * configuration (kind, master, flags): when the live sample lacks it, the full sample's is kept,
 * marked `carried` so its counters are not read as this sample's.
 */
export function overlayLive<S extends {name: string; takenAt: string; sources: Record<string, SourceResult>}>(full: S, live: S): S {
  const config = Object.fromEntries(Object.entries(full.sources).filter(([id]) => !isLiveSourceId(id)))
  const link = full.sources['ip-link']
  const carried = link && !live.sources['ip-link'] ? {'ip-link': carriedCopy(link)} : {}
  return {...live, sources: {...config, ...carried, ...live.sources}}
}

/** One carried copy per source object, so the model's parse cache (keyed by object) hits every second. */
const carriedCopies = new WeakMap<SourceResult, SourceResult>()
function carriedCopy(r: SourceResult): SourceResult {
  let copy = carriedCopies.get(r)
  if (!copy) carriedCopies.set(r, (copy = {...r, carried: true}))
  return copy
}
