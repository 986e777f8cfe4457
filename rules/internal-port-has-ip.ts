/**
 * A1: a global address on a netdev bridge's internal port. On the userspace datapath that port
 * is a kernel TAP, so every packet to or through the address leaves DPDK for the kernel.
 */
import {defineRule} from '../src/engine/types.js'
import type {FixAction} from '../src/engine/types.js'
import {hasSource} from '../src/model/host-state.js'
import {
  datapathTypeOf,
  formatAddress,
  formatRoute,
  forwards,
  globalAddresses,
  isConnectedRoute,
  netdevInternalPorts,
  routesVia,
} from './lib/host.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'internal-port-has-ip',
    title: 'IP address on a netdev bridge internal port',
    severity: 'critical',
    group: 'kernel-bypass',
    kind: 'snapshot',
    rationale:
      'On a netdev (userspace) bridge the internal/LOCAL port is a kernel TAP device (OVS userspace.rst), serviced by the OVS main thread, not a PMD. ' +
      'An address on it makes the host kernel an endpoint or, with forwarding on, the L3 hop for the VMs: their traffic crosses user/kernel copies and leaves through the kernel, bypassing DPDK. ' +
      'In the seed case ovsbr0 carried 10.10.1.1/24 and 192.168.100.1/24: dpdk0 saw ~138 packets under iperf3 and throughput was 3 Gbit/s on a 25 Gbit/s link.',
    inputs: ['ip-addr', ...OVS_PORT_SOURCES],
    thresholds: {},
    remediation:
      'Make the bridge pure L2: remove each address from the internal port (ip addr del, one by one) and from netplan/NetworkManager/ifupdown so it stays removed; ' +
      'put host management on a separate NIC or VLAN port and give the VMs addresses on the wire subnet so OVS switches vhost-user <-> dpdk in the PMDs.',
    field: 'A1',
    appliesTo: 'Userspace-datapath hosts with a netdev bridge (its internal port is a kernel TAP).',
  },
  check({state}) {
    const routesRead = hasSource(state, 'ip-route')
    const findings = []
    for (const {iface, bridge} of netdevInternalPorts(state)) {
      const addresses = globalAddresses(iface)
      if (addresses.length === 0) continue
      const forwarding = addresses.map((a) => forwards(state, a.family))
      // Connected routes exist for every address; what escalates is a route steering other traffic here.
      const steeringRoutes = routesVia(state, iface.ifname).filter((r) => !isConnectedRoute(r, iface))
      const steering = steeringRoutes.map(formatRoute).join('; ')
      // Only a forwarding kernel can be the VMs' L3 hop. With forwarding off, routes via the TAP
      // carry the host's own traffic (a management address): slow, but not the VMs'. Unknown
      // forwarding with steering routes is judged as the worse case.
      const critical = forwarding.includes(true) || (forwarding.includes(null) && steeringRoutes.length > 0)
      const list = addresses.map(formatAddress).join(', ')
      const why = forwarding.includes(true)
        ? 'the host forwards, so the kernel routes VM traffic through this TAP instead of DPDK'
        : steeringRoutes.length === 0
          ? 'the kernel, not DPDK, handles traffic to them'
          : critical
            ? `routes steer traffic into this TAP (${steering}) and whether the host forwards is unknown`
            : `forwarding is off, so the kernel cannot route the VMs' traffic; routes steer the host's own traffic into this TAP (${steering}), which takes the slow path`
      const fixes: FixAction[] = addresses.map((a) => ({
        kind: 'remove-address',
        ifname: iface.ifname,
        address: a.local,
        prefixlen: a.prefixlen,
        family: a.family,
      }))
      findings.push({
        subject: iface.ifname,
        severity: critical ? ('critical' as const) : ('warning' as const),
        message: `${iface.ifname} carries ${list} on ${datapathTypeOf(bridge)} bridge ${bridge.name}: ${why}`,
        evidence: {
          bridge: bridge.name,
          datapathType: datapathTypeOf(bridge),
          addresses: addresses.map(formatAddress),
          ipv4Forwarding: state.ipv4Forwarding,
          steeringRoutes: steeringRoutes.map(formatRoute),
          routesRead,
        },
        fixes,
      })
    }
    return {findings}
  },
})
