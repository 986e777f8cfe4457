/**
 * The kernel network state fix touches, as `ip -j` prints it (kept raw so a rollback can restore
 * flags, labels, lifetimes, tables and metrics exactly), and the argv that change or restore it.
 * Every argv names its namespace with `ip -n NS`, never a shell.
 */
import {createHash} from 'node:crypto'
import {DoctorError} from '../errors.js'
import type {Runner} from '../exec/runner.js'
import {canonicalPrefix, networkOf, prefixContains} from '../../rules/lib/ip.js'

/** One entry of `ip -j addr show` addr_info. */
export interface RawAddr {
  family: 'inet' | 'inet6'
  local: string
  prefixlen: number
  scope?: string
  label?: string
  broadcast?: string
  secondary?: boolean
  noprefixroute?: boolean
  dynamic?: boolean
  valid_life_time?: number
  preferred_life_time?: number
  [key: string]: unknown
}

/** One interface of `ip -j addr show`. */
export interface RawLink {
  ifname: string
  flags: string[]
  mtu?: number
  operstate?: string
  addr_info: RawAddr[]
  [key: string]: unknown
}

/** One route of `ip -j route show table all`. */
export interface RawRoute {
  dst: string
  type?: string
  gateway?: string
  dev?: string
  table?: string
  protocol?: string
  scope?: string
  prefsrc?: string
  metric?: number
  flags?: string[]
  pref?: string
  [key: string]: unknown
}

export interface IpState {
  links: RawLink[]
  routes: RawRoute[]
}

/** ip's "forever". */
export const FOREVER = 4294967295

/** The environment a step's command needs: the OVS tools find their sockets through OVS_RUNDIR. */
export function stepEnv(argv: readonly string[], ovsRundir: string | null): Record<string, string> | undefined {
  return ovsRundir && (argv[0] ?? '').startsWith('ovs-') ? {OVS_RUNDIR: ovsRundir} : undefined
}

/** `ip [-n NS] ARGS...`: one namespace keyword, never `ip netns exec ... sh`. */
export function ipArgv(netns: string | null, ...args: string[]): string[] {
  return netns ? ['ip', '-n', netns, ...args] : ['ip', ...args]
}

export const ADDR_SHOW = ['-j', 'addr', 'show']
export const ROUTE_SHOW_ALL = ['-j', 'route', 'show', 'table', 'all']

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const STRING_FIELDS = ['type', 'gateway', 'dev', 'table', 'protocol', 'scope', 'prefsrc', 'pref'] as const

/** A route as ip prints it, or null when a bundle's JSON does not have that shape (dst a string, ...). */
function routeOf(v: unknown): RawRoute | null {
  if (!isObject(v) || typeof v.dst !== 'string') return null
  if (STRING_FIELDS.some((k) => v[k] !== undefined && typeof v[k] !== 'string')) return null
  if (v.metric !== undefined && !Number.isSafeInteger(v.metric)) return null
  if (v.flags !== undefined && !(Array.isArray(v.flags) && v.flags.every((f) => typeof f === 'string'))) return null
  return v as RawRoute
}

function addrOf(v: unknown): RawAddr | null {
  if (!isObject(v) || (v.family !== 'inet' && v.family !== 'inet6') || typeof v.local !== 'string' || !Number.isInteger(v.prefixlen)) return null
  return v as RawAddr
}

function rawLinkOf(v: unknown): RawLink | null {
  if (!isObject(v) || typeof v.ifname !== 'string') return null
  const flags = Array.isArray(v.flags) ? v.flags.filter((f): f is string => typeof f === 'string') : []
  const addrInfo = Array.isArray(v.addr_info) ? v.addr_info.map(addrOf).filter((a): a is RawAddr => a !== null) : []
  return {...v, ifname: v.ifname, flags, addr_info: addrInfo}
}

/** ip -j addr and route output, kept to entries of the shape ip prints (a bundle's may be anything). */
export function parseIpState(addrJson: string, routeJson: string): IpState {
  const links: unknown = JSON.parse(addrJson || '[]')
  const routes: unknown = JSON.parse(routeJson || '[]')
  if (!Array.isArray(links) || !Array.isArray(routes)) throw new Error('not a JSON array')
  return {
    links: links.map(rawLinkOf).filter((l): l is RawLink => l !== null),
    routes: routes.map(routeOf).filter((r): r is RawRoute => r !== null),
  }
}

/** Reads addresses, link flags and every route of the target namespace (read-only commands). */
export async function readIpState(runner: Runner, netns: string | null): Promise<IpState> {
  const addr = await runner.run({argv: ipArgv(netns, ...ADDR_SHOW), timeoutMs: 8_000})
  const route = await runner.run({argv: ipArgv(netns, ...ROUTE_SHOW_ALL), timeoutMs: 8_000})
  for (const r of [addr, route]) {
    if (r.exitCode !== 0) {
      throw new DoctorError('E_READ_STATE', `could not read the network state: \`${r.argv.join(' ')}\` ${r.notFound ? 'not found' : `exited ${r.exitCode ?? r.signal}`}: ${r.stderr.trim().split('\n')[0] ?? ''}`)
    }
  }
  try {
    return parseIpState(addr.stdout, route.stdout)
  } catch (error) {
    throw new DoctorError('E_READ_STATE', `could not parse ip -j output: ${(error as Error).message}`)
  }
}

export const routeFamily = (r: RawRoute): 'inet' | 'inet6' =>
  r.dst.includes(':') || (r.gateway ?? '').includes(':') || r.pref !== undefined ? 'inet6' : 'inet'

const table = (r: RawRoute) => r.table ?? 'main'

/** What identifies a route to the kernel (two routes with the same key cannot coexist). */
export function routeKey(r: RawRoute): string {
  return [routeFamily(r), table(r), r.type ?? 'unicast', canonicalPrefix(r.dst, routeFamily(r)) ?? r.dst, r.metric ?? '', r.dev ?? '', r.gateway ?? ''].join('|')
}

/** "default via 192.168.100.254 dev ovsbr0" in ip's words, with the table when not main. */
export function describeRoute(r: RawRoute): string {
  const parts = [r.type && r.type !== 'unicast' ? r.type : null, r.dst, r.gateway ? `via ${r.gateway}` : null, r.dev ? `dev ${r.dev}` : null,
    r.table && r.table !== 'main' ? `table ${r.table}` : null, r.protocol ? `proto ${r.protocol}` : null, r.prefsrc ? `src ${r.prefsrc}` : null,
    r.metric !== undefined ? `metric ${r.metric}` : null]
  return parts.filter((p) => p !== null).join(' ')
}

/** The words after `ip route del|replace` that name this route exactly. */
export function routeSpec(r: RawRoute): string[] {
  const spec: string[] = []
  if (r.type && r.type !== 'unicast') spec.push(r.type)
  spec.push(r.dst)
  if (r.gateway) spec.push('via', r.gateway)
  if (r.dev) spec.push('dev', r.dev)
  if (r.table && r.table !== 'main') spec.push('table', r.table)
  if (r.protocol) spec.push('proto', r.protocol)
  if (r.scope) spec.push('scope', r.scope)
  if (r.prefsrc) spec.push('src', r.prefsrc)
  if (r.metric !== undefined) spec.push('metric', String(r.metric))
  if (r.pref) spec.push('pref', r.pref)
  if (r.flags?.includes('onlink')) spec.push('onlink')
  return spec
}

const familyFlag = (r: RawRoute) => (routeFamily(r) === 'inet6' ? ['-6'] : [])

export function routeDelArgv(netns: string | null, r: RawRoute): string[] {
  return ipArgv(netns, ...familyFlag(r), 'route', 'del', ...routeSpec(r))
}

/** Idempotent: `replace` returns 0 when the route is already there (finding 4). */
export function routeReplaceArgv(netns: string | null, r: RawRoute): string[] {
  return ipArgv(netns, ...familyFlag(r), 'route', 'replace', ...routeSpec(r))
}

export function addrDelArgv(netns: string | null, dev: string, a: Pick<RawAddr, 'local' | 'prefixlen'>): string[] {
  return ipArgv(netns, 'addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', dev)
}

/** Re-adds an address with its broadcast, scope, label, lifetimes and noprefixroute; idempotent. */
export function addrReplaceArgv(netns: string | null, dev: string, a: RawAddr): string[] {
  const args = ['addr', 'replace', `${a.local}/${a.prefixlen}`, 'dev', dev]
  if (a.broadcast) args.push('broadcast', a.broadcast)
  if (a.scope && a.scope !== 'global') args.push('scope', a.scope)
  if (a.label && a.label !== dev) args.push('label', a.label)
  if (a.valid_life_time !== undefined && a.valid_life_time !== FOREVER) {
    args.push('valid_lft', String(a.valid_life_time), 'preferred_lft', String(a.preferred_life_time ?? a.valid_life_time))
  }
  if (a.noprefixroute) args.push('noprefixroute')
  return ipArgv(netns, ...args)
}

export function linkArpArgv(netns: string | null, dev: string, on: boolean): string[] {
  return ipArgv(netns, 'link', 'set', 'dev', dev, 'arp', on ? 'on' : 'off')
}

export function linkUpArgv(netns: string | null, dev: string, up: boolean): string[] {
  return ipArgv(netns, 'link', 'set', 'dev', dev, up ? 'up' : 'down')
}

export function linkOf(state: IpState, dev: string): RawLink | undefined {
  return state.links.find((l) => l.ifname === dev)
}

export function hasAddress(state: IpState, dev: string, a: Pick<RawAddr, 'local' | 'prefixlen'>): boolean {
  return (linkOf(state, dev)?.addr_info ?? []).some((x) => x.local === a.local && x.prefixlen === a.prefixlen)
}

export function hasRoute(state: IpState, r: RawRoute): boolean {
  const key = routeKey(r)
  return state.routes.some((x) => routeKey(x) === key)
}

/** A route the kernel manages for an address (connected prefix, local/broadcast entries): it comes and goes with the address. */
export function isKernelRoute(r: RawRoute): boolean {
  return r.protocol === 'kernel' || table(r) === 'local'
}

/** Global (not link-local) addresses of a device, as the planner removes them. */
export function globalAddrs(link: RawLink | undefined): RawAddr[] {
  return (link?.addr_info ?? []).filter((a) => (a.scope ?? 'global') === 'global')
}

/** Routes through the devices, or with a source address on them, in every table. */
export function routesTouching(state: IpState, devices: readonly string[]): RawRoute[] {
  const addrs = new Set(devices.flatMap((d) => (linkOf(state, d)?.addr_info ?? []).map((a) => a.local)))
  return state.routes.filter((r) => (r.dev !== undefined && devices.includes(r.dev)) || (r.prefsrc !== undefined && addrs.has(r.prefsrc)))
}

/**
 * The routes that go when `removed` addresses leave `dev` (what `ip addr del` does, [V] on 6.x):
 * routes with the address as source; the connected prefix and local/broadcast entries when no
 * other address keeps them; and, when the device loses its last IPv4 address, every IPv4 route
 * through it in every table (default and static routes included: SAFETY finding 3).
 */
export function routesLostWith(state: IpState, dev: string, removed: readonly RawAddr[]): RawRoute[] {
  const link = linkOf(state, dev)
  const removedSet = new Set(removed.map((a) => `${a.local}/${a.prefixlen}`))
  const remaining = (link?.addr_info ?? []).filter((a) => !removedSet.has(`${a.local}/${a.prefixlen}`))
  const remainingV4 = remaining.filter((a) => a.family === 'inet')
  const removedLocals = new Set(removed.map((a) => a.local))
  const lost = new Map<string, RawRoute>()
  const add = (r: RawRoute) => lost.set(routeKey(r), r)
  for (const r of state.routes) {
    const fam = routeFamily(r)
    if (fam === 'inet' && r.dev === dev && remainingV4.length === 0 && removed.some((a) => a.family === 'inet')) {
      add(r)
      continue
    }
    if (r.prefsrc !== undefined && removedLocals.has(r.prefsrc) && !remaining.some((a) => a.local === r.prefsrc)) {
      add(r)
      continue
    }
    if (r.dev !== dev || !isKernelRoute(r)) continue
    for (const a of removed) {
      if (a.family !== fam) continue
      const net = networkOf(a.local, a.prefixlen)
      const dst = canonicalPrefix(r.dst, fam)
      const keptByOther = remaining.some((o) => o.family === fam && networkOf(o.local, o.prefixlen) === net)
      if (r.dst === a.local || (dst === net && !keptByOther) || (table(r) === 'local' && r.type === 'broadcast' && net !== null && prefixContains(net, r.dst) && !keptByOther)) {
        add(r)
      }
    }
  }
  return [...lost.values()]
}

// ---------------------------------------------------------------------------------------------
// normalised state and fingerprint

export interface NormalAddr {
  family: string
  local: string
  prefixlen: number
  scope: string
  label: string | null
  broadcast: string | null
  secondary: boolean
  noprefixroute: boolean
  /** Lifetimes tick; only whether they are finite is stable. */
  finite: boolean
}

export function normalAddr(a: RawAddr): NormalAddr {
  return {
    family: a.family, local: a.local, prefixlen: a.prefixlen, scope: a.scope ?? 'global', label: a.label ?? null, broadcast: a.broadcast ?? null,
    secondary: a.secondary === true, noprefixroute: a.noprefixroute === true, finite: a.valid_life_time !== undefined && a.valid_life_time !== FOREVER,
  }
}

export function normalRoute(r: RawRoute): string {
  // Only configured flags: linkdown and the like follow the carrier, not the configuration.
  return [routeKey(r), r.protocol ?? '', r.scope ?? '', r.prefsrc ?? '', r.pref ?? '', (r.flags ?? []).filter((f) => f === 'onlink').join(',')].join('|')
}

/** Flags that state configuration (not carrier or runtime state). */
const CONFIG_FLAGS = new Set(['UP', 'NOARP', 'PROMISC', 'ALLMULTI', 'MULTICAST'])

export interface DeviceSnapshot {
  ifname: string
  present: boolean
  flags: string[]
  mtu: number | null
  addresses: NormalAddr[]
}

export function deviceSnapshot(state: IpState, dev: string): DeviceSnapshot {
  const link = linkOf(state, dev)
  return {
    ifname: dev,
    present: link !== undefined,
    flags: (link?.flags ?? []).filter((f) => CONFIG_FLAGS.has(f)).sort(),
    mtu: link?.mtu ?? null,
    addresses: (link?.addr_info ?? []).filter((a) => !(a.family === 'inet6' && a.scope === 'link')).map(normalAddr)
      .sort((a, b) => `${a.family}${a.local}`.localeCompare(`${b.family}${b.local}`)),
  }
}

/** The pre-state of the touched objects, normalised: what a plan was made from. */
export function touchedSnapshot(state: IpState, devices: readonly string[]): {devices: DeviceSnapshot[]; routes: string[]} {
  const devs = [...new Set(devices)].sort()
  return {devices: devs.map((d) => deviceSnapshot(state, d)), routes: routesTouching(state, devs).map(normalRoute).sort()}
}

export function fingerprintOf(parts: {machineId: string | null; netns: string | null; state: IpState; devices: readonly string[]}): string {
  const doc = JSON.stringify({machineId: parts.machineId, netns: parts.netns, ...touchedSnapshot(parts.state, parts.devices)})
  return `sha256:${createHash('sha256').update(doc).digest('hex')}`
}
