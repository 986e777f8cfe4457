/**
 * Host-side helpers shared by the kernel-bypass rules: which kernel interfaces are a netdev
 * bridge's internal ports, which addresses and routes really matter, whether the host forwards.
 */
import type {BridgeState, HostState, KernelInterface} from '../../src/model/host-state.js'
import type {IpAddress, IpRoute} from '../../src/parsers/types.js'
import {canonicalPrefix, isLinkLocal, isLoopback, isMulticast, networkOf} from './ip.js'

/** Scopes iproute2 prints for addresses that never leave the host or the link. */
const NON_GLOBAL_SCOPES = new Set(['link', 'host', 'nowhere'])

/** Route types that describe the host's own addresses, not a forwarding decision. */
const NON_FORWARDING_ROUTE_TYPES = new Set(['local', 'broadcast', 'multicast', 'anycast', 'nat'])

/** Addresses other hosts can reach: not link-local, not loopback, not scope host/link. */
export function globalAddresses(iface: KernelInterface): IpAddress[] {
  return iface.addresses.filter(
    (a) => !NON_GLOBAL_SCOPES.has(a.scope ?? 'global') && !isLinkLocal(a.local) && !isLoopback(a.local),
  )
}

export function formatAddress(a: IpAddress): string {
  return `${a.local}/${a.prefixlen}`
}

/** "" is how OVSDB spells the kernel datapath. */
export function datapathTypeOf(bridge: BridgeState): string {
  return bridge.datapathType === '' ? 'system' : bridge.datapathType
}

export function bridgeOfPort(state: HostState, portName: string): BridgeState | null {
  const port = state.ports.find((p) => p.name === portName)
  const bridgeName = port?.bridge ?? portName // a bridge's LOCAL port is named after it
  return state.bridges.find((b) => b.name === bridgeName) ?? null
}

export interface NetdevInternalPort {
  iface: KernelInterface
  bridge: BridgeState
}

/**
 * Kernel interfaces that are internal ports of a netdev bridge: on the userspace datapath each is
 * a TAP, so whatever the kernel sends to it costs a user/kernel copy in the OVS main thread.
 */
export function netdevInternalPorts(state: HostState): NetdevInternalPort[] {
  const result: NetdevInternalPort[] = []
  for (const iface of state.interfaces) {
    if (iface.role !== 'ovs-internal') continue
    const bridge = bridgeOfPort(state, iface.ovsPort ?? iface.ifname)
    if (bridge && datapathTypeOf(bridge) === 'netdev') result.push({iface, bridge})
  }
  return result
}

/** Routes that steer traffic: not the local/broadcast bookkeeping, not link-local or multicast. */
export function forwardingRoutes(routes: readonly IpRoute[]): IpRoute[] {
  return routes.filter((r) => {
    if (r.type !== null && NON_FORWARDING_ROUTE_TYPES.has(r.type)) return false
    if (r.table === 'local') return false
    const prefix = r.dst === 'default' ? null : r.dst.split('/')[0]!
    return prefix === null || (!isLinkLocal(prefix) && !isMulticast(prefix))
  })
}

export function routesVia(state: HostState, ifname: string): IpRoute[] {
  return forwardingRoutes(state.routes).filter((r) => r.dev === ifname)
}

/** Forwarding routes grouped by device, for rules that look at every interface (one pass, not one per interface). */
export function routesByDevice(state: HostState): Map<string, IpRoute[]> {
  const byDev = new Map<string, IpRoute[]>()
  for (const r of forwardingRoutes(state.routes)) {
    if (r.dev === null) continue
    const list = byDev.get(r.dev)
    if (list) list.push(r)
    else byDev.set(r.dev, [r])
  }
  return byDev
}

/**
 * A connected route: the kernel added it for one of the device's own addresses, so it goes away
 * with the address (removing it separately would only fail).
 */
export function isConnectedRoute(route: IpRoute, iface: KernelInterface | undefined): boolean {
  if (route.gateway !== null || route.dst === 'default' || route.protocol !== 'kernel') return false
  const dst = canonicalPrefix(route.dst, route.family)
  return (iface?.addresses ?? []).some((a) => networkOf(a.local, a.prefixlen) === dst)
}

export function formatRoute(r: IpRoute): string {
  const parts = [r.dst]
  if (r.gateway) parts.push(`via ${r.gateway}`)
  if (r.dev) parts.push(`dev ${r.dev}`)
  if (r.table !== 'main') parts.push(`table ${r.table}`)
  if (r.protocol && r.protocol !== 'boot') parts.push(`proto ${r.protocol}`)
  return parts.join(' ')
}

/** Whether the host routes between interfaces for this family; null when the sysctl was not read. */
export function forwards(state: HostState, family: 'inet' | 'inet6' | null): boolean | null {
  if (family === 'inet6') {
    const v = state.sysctl['net.ipv6.conf.all.forwarding']
    return v === undefined ? null : v.trim() === '1'
  }
  return state.ipv4Forwarding
}

/** Every address configured on the host's kernel interfaces, across the given samples. */
export function hostAddresses(...states: HostState[]): Map<string, string> {
  const owners = new Map<string, string>()
  for (const state of states) {
    for (const iface of state.interfaces) {
      for (const a of iface.addresses) if (!owners.has(a.local)) owners.set(a.local, iface.ifname)
    }
  }
  return owners
}
