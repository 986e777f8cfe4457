/**
 * A4: the kernel netdev of a NIC that OVS drives with DPDK (mlx5 bifurcation, or a kernel NIC on
 * the same wire) still has addresses or routes, so the kernel sends on the wire beside DPDK.
 */
import {defineRule} from '../src/engine/types.js'
import type {FixAction} from '../src/engine/types.js'
import type {OvsPortState} from '../src/model/host-state.js'
import {plural} from './lib/format.js'
import {formatAddress, formatRoute, globalAddresses, isConnectedRoute, routesVia} from './lib/host.js'
import {OVS_PORT_SOURCES, hasAnySource} from './lib/sources.js'

/** Sources that can tie a kernel netdev to a DPDK port's PCI device. */
const PCI_TWIN_SOURCES = ['sysfs-net', 'ethtool-i']

function twinDescription(p: OvsPortState, driver: string | null): string {
  if (p.kernelTwinBy !== 'pci') return `on ${p.name}'s wire: its MAC was learned on ${p.name}`
  return [`kernel netdev of ${p.name}'s NIC`, p.pciAddress, driver].filter((s) => s !== null).join(', ')
}

export default defineRule({
  meta: {
    id: 'dpdk-nic-kernel-active',
    title: 'Kernel netdev of a DPDK NIC has addresses or routes',
    severity: 'critical',
    group: 'kernel-bypass',
    kind: 'snapshot',
    rationale:
      'mlx5 is a bifurcated driver: DPDK drives the port while mlx5_core keeps the kernel netdev up on the same wire (DPDK mlx5 guide, linux_drivers.rst "Bifurcated Driver"). ' +
      'With an address or a route on that netdev the kernel transmits cross-host traffic itself and DPDK never sees it; in the seed case dpdk0 counted ~138 packets during iperf3. ' +
      'A netdev found only through the FDB (its MAC learned on the DPDK port) shares the wire but not the device, so that evidence is weaker (warning).',
    inputs: ['ip-addr', 'ip-route', ...OVS_PORT_SOURCES],
    thresholds: {},
    remediation:
      'Remove the addresses and routes from the kernel netdev and turn ARP off on it (ip link set <if> arp off), then remove its netplan/NetworkManager stanza so it stays that way. ' +
      'Keep the netdev up and keep mlx5 bound to mlx5_core: that is its correct driver, DPDK mlx5 needs it (do not bind it to vfio-pci).',
    field: 'A4',
    appliesTo: 'Userspace-datapath hosts with a DPDK port whose NIC also has a kernel netdev (mlx5 bifurcation) or shares its wire.',
  },
  check({state}) {
    const withTwin = state.ports.filter((p) => p.class === 'dpdk' && p.kernelTwin !== null)
    if (withTwin.length === 0) {
      if (!hasAnySource(state, PCI_TWIN_SOURCES)) {
        return {unknown: 'cannot tell which kernel netdev shares a DPDK NIC: sysfs-net (and ethtool -i) not read'}
      }
      return {notApplicable: 'no DPDK port has a kernel netdev on the same NIC or wire'}
    }
    const findings = []
    for (const p of withTwin) {
      const twin = state.interfaces.find((i) => i.ifname === p.kernelTwin)
      if (!twin) continue
      const addresses = globalAddresses(twin)
      const routes = routesVia(state, twin.ifname)
      if (addresses.length === 0 && routes.length === 0) continue
      const staticRoutes = routes.filter((r) => !isConnectedRoute(r, twin))
      const arpOn = !twin.flags.includes('NOARP')
      const fixes: FixAction[] = [
        ...addresses.map((a): FixAction => ({kind: 'remove-address', ifname: twin.ifname, address: a.local, prefixlen: a.prefixlen, family: a.family})),
        ...staticRoutes.map((r): FixAction => ({kind: 'remove-route', dst: r.dst, dev: r.dev, table: r.table, gateway: r.gateway})),
        ...(arpOn ? [{kind: 'set-arp-off', ifname: twin.ifname} as const] : []),
      ]
      const has = [
        addresses.length > 0 ? addresses.map(formatAddress).join(', ') : null,
        routes.length > 0 ? `${plural(routes.length, 'route')} (${routes.map((r) => r.dst).join(', ')})` : null,
      ].filter((s) => s !== null)
      findings.push({
        subject: twin.ifname,
        severity: p.kernelTwinBy === 'pci' ? ('critical' as const) : ('warning' as const),
        message: `${twin.ifname} (${twinDescription(p, twin.driver)}) has ${has.join(' and ')}: the kernel sends on the wire ${p.name} drives, bypassing DPDK`,
        evidence: {
          dpdkPort: p.name,
          twinBy: p.kernelTwinBy,
          pciAddress: p.pciAddress,
          dpdkDriver: p.driverName,
          kernelDriver: twin.driver,
          addresses: addresses.map(formatAddress),
          routes: routes.map(formatRoute),
          arp: arpOn ? 'on' : 'off',
        },
        fixes,
      })
    }
    return {findings}
  },
})
