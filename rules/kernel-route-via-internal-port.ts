/**
 * A2/A3: the host kernel routes through a netdev bridge's internal port (a TAP) while it forwards,
 * i.e. it is the L3 hop for the VMs; or a prefix is connected on both that port and a kernel NIC,
 * so the kernel may send the traffic out of the NIC, past DPDK.
 */
import {defineRule} from '../src/engine/types.js'
import type {FixAction} from '../src/engine/types.js'
import type {KernelInterface} from '../src/model/host-state.js'
import type {IpRoute} from '../src/parsers/types.js'
import {plural} from './lib/format.js'
import {formatRoute, forwards, isConnectedRoute, netdevInternalPorts, routesByDevice} from './lib/host.js'
import {canonicalPrefix} from './lib/ip.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

/** Kernel interfaces that put packets on a wire: the DPDK NIC's twin or another NIC. */
const KERNEL_NIC_ROLES = new Set<KernelInterface['role']>(['dpdk-twin', 'physical'])

function removeRoute(r: IpRoute): FixAction {
  return {kind: 'remove-route', dst: r.dst, dev: r.dev, table: r.table, gateway: r.gateway}
}

/** On-link routes (no gateway) by canonical prefix. */
function onLinkPrefixes(routes: IpRoute[]): Map<string, IpRoute> {
  const byPrefix = new Map<string, IpRoute>()
  for (const r of routes) {
    if (r.gateway !== null || r.dst === 'default') continue
    const prefix = canonicalPrefix(r.dst, r.family)
    if (prefix !== null && !byPrefix.has(prefix)) byPrefix.set(prefix, r)
  }
  return byPrefix
}

export default defineRule({
  meta: {
    id: 'kernel-route-via-internal-port',
    title: 'Host kernel routes VM traffic through the bridge internal port',
    severity: 'critical',
    group: 'kernel-bypass',
    kind: 'snapshot',
    rationale:
      'With forwarding on and routes via the netdev bridge internal port (a TAP), the host kernel is the L3 hop between VM subnets: every VM packet goes TAP in, kernel routing, TAP or kernel NIC out, and DPDK carries none of the payload. ' +
      'A prefix connected on both the internal port and a kernel NIC lets the kernel pick the NIC (FIELD A3). ' +
      'This is how the seed case reached 3 Gbit/s on a 25 Gbit/s link with dpdk0 at ~138 packets (bookpanda/microvm-networking BOTTLENECK_FOUND.md).',
    inputs: ['ip-route', 'ip-addr', 'sysctl-net', ...OVS_PORT_SOURCES],
    thresholds: {},
    remediation:
      'Flatten the VMs onto one L2 segment across hosts (same subnet on the wire, no host gateway), or route on the physical network or inside the VMs; ' +
      'remove the static and default routes via the internal port, and remove its addresses (internal-port-has-ip): their connected routes go with them. ' +
      'Keep each prefix on one interface only.',
    field: 'A2',
    appliesTo: 'Userspace-datapath hosts with a netdev bridge (routes via its internal TAP).',
  },
  check({state}) {
    const findings = []
    const kernelNics = state.interfaces.filter((i) => KERNEL_NIC_ROLES.has(i.role))
    // Filtered and grouped once: per NIC and per internal port it was O(interfaces x routes).
    const byDev = routesByDevice(state)
    const nicPrefixes = kernelNics.map((nic) => ({nic, prefixes: onLinkPrefixes(byDev.get(nic.ifname) ?? [])}))
    for (const {iface, bridge} of netdevInternalPorts(state)) {
      const routes = byDev.get(iface.ifname) ?? []

      const forwarded = routes.filter((r) => forwards(state, r.family ?? 'inet') === true)
      if (forwarded.length > 0) {
        const connected = forwarded.filter((r) => isConnectedRoute(r, iface))
        const steering = forwarded.filter((r) => !isConnectedRoute(r, iface))
        const connectedNote = connected.length > 0 ? `; the ${plural(connected.length, 'connected route')} go${connected.length === 1 ? 'es' : ''} with its addresses` : ''
        findings.push({
          subject: iface.ifname,
          message:
            `${iface.ifname} (TAP of netdev bridge ${bridge.name}) routes ${forwarded.map((r) => r.dst).join(', ')} while the host forwards: ` +
            `the kernel is the L3 hop for the VMs, DPDK is bypassed${connectedNote}`,
          evidence: {
            bridge: bridge.name,
            routes: forwarded.map(formatRoute),
            connectedRoutes: connected.map(formatRoute),
            staticRoutes: steering.map(formatRoute),
            ipv4Forwarding: state.ipv4Forwarding,
          },
          fixes: steering.map(removeRoute),
        })
      }

      // The same prefix connected on the TAP and on a kernel NIC: the kernel may choose the NIC.
      const tapPrefixes = onLinkPrefixes(routes)
      for (const {nic, prefixes} of nicPrefixes) {
        for (const [prefix, nicRoute] of prefixes) {
          const tapRoute = tapPrefixes.get(prefix)
          if (!tapRoute) continue
          const forwarding = forwards(state, tapRoute.family ?? 'inet') === true
          findings.push({
            subject: prefix,
            severity: forwarding ? ('critical' as const) : ('warning' as const),
            message: `${prefix} is on-link on both ${iface.ifname} and ${nic.ifname}: the kernel can send traffic for it out of ${nic.ifname}, past DPDK`,
            evidence: {
              prefix,
              internalPort: iface.ifname,
              kernelNic: nic.ifname,
              kernelNicRole: nic.role,
              routes: [formatRoute(tapRoute), formatRoute(nicRoute)],
              ipv4Forwarding: state.ipv4Forwarding,
            },
            fixes: [
              {
                kind: 'manual' as const,
                text: `keep ${prefix} on one interface only: remove the address or route from ${iface.ifname} (internal-port-has-ip) or from ${nic.ifname} (dpdk-nic-kernel-active)`,
              },
            ],
          })
        }
      }
    }
    return {findings}
  },
})
