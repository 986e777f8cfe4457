import {defineRule} from '../src/engine/types.js'
import {hasSource} from '../src/model/host-state.js'
import type {HostState, OvsPortState} from '../src/model/host-state.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

/** Drivers that hand a PCI device to a DPDK process (DPDK linux_gsg/linux_drivers.rst). */
const USERSPACE_DRIVERS = new Set(['vfio-pci', 'uio_pci_generic', 'igb_uio'])
/** Bifurcated NICs keep their kernel driver; DPDK drives them through it (DPDK nics/mlx5.rst). */
const BIFURCATED_KERNEL_DRIVERS = new Set(['mlx5_core', 'mlx4_core'])
const BIFURCATED_DPDK_DRIVERS = new Set(['net_mlx5', 'net_mlx4', 'mlx5_pci', 'mlx4_pci'])
const BIFURCATED_DESCRIPTION = /connectx|mellanox|bluefield/i

interface Binding {
  driver: string | null
  active: boolean | null
  description: string | null
  otherDrivers: string[]
  seenBy: 'devbind' | 'sysfs-net'
}

/** "41:00.0" and "0000:41:00.0" name the same device. */
function normalizePci(pci: string): string {
  const lower = pci.trim().toLowerCase()
  return /^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(lower) ? `0000:${lower}` : lower
}

/** The device's driver, from devbind when it lists the device, else from the kernel netdev in sysfs. */
function bindingOf(state: HostState, pci: string): Binding | null {
  if (hasSource(state, 'devbind')) {
    const dev = state.nics.find((n) => normalizePci(n.pci) === pci)
    if (dev) return {driver: dev.driver, active: dev.active, description: dev.description, otherDrivers: dev.unused, seenBy: 'devbind'}
  }
  if (hasSource(state, 'sysfs-net')) {
    const netdev = state.interfaces.find((i) => i.pciAddress !== null && normalizePci(i.pciAddress) === pci)
    // A kernel netdev means a kernel driver owns the device; none means it is not a kernel NIC now.
    return {driver: netdev ? netdev.driver : null, active: null, description: null, otherDrivers: [], seenBy: 'sysfs-net'}
  }
  return null
}

function isBifurcated(port: OvsPortState, binding: Binding): boolean {
  if (port.driverName !== null && BIFURCATED_DPDK_DRIVERS.has(port.driverName)) return true
  if (binding.description !== null && BIFURCATED_DESCRIPTION.test(binding.description)) return true
  return [binding.driver, ...binding.otherDrivers].some((d) => d !== null && BIFURCATED_KERNEL_DRIVERS.has(d))
}

export default defineRule({
  meta: {
    id: 'dpdk-nic-driver-binding',
    title: 'NIC of a DPDK port is bound to the wrong driver',
    severity: 'critical',
    group: 'port-health',
    kind: 'snapshot',
    rationale:
      'Intel-class NICs must be bound to vfio-pci (or uio) before OVS can open them as dpdk ports, and a NIC the ' +
      'kernel still routes over (*Active*) must not be taken (DPDK linux_gsg/linux_drivers.rst). mlx5 is bifurcated: ' +
      'it stays on mlx5_core, "UIO, VFIO are not used", so vfio-pci breaks it (DPDK nics/mlx5.rst; FIELD B3, §0.5).',
    inputs: [...OVS_PORT_SOURCES],
    thresholds: {},
    remediation:
      'Intel-class NICs: take the kernel interface down and `dpdk-devbind.py -b vfio-pci <pci>`. mlx5: re-bind to ' +
      'mlx5_core (`dpdk-devbind.py -b mlx5_core <pci>`) with ib_uverbs and mlx5_ib loaded. Then re-add the OVS port.',
    field: 'B3',
    appliesTo: 'Userspace-datapath hosts with a PCI-backed DPDK port (not vdevs such as net_af_packet).',
  },
  check({state}) {
    const pciPorts = state.ports.filter((p) => p.class === 'dpdk' && p.pciAddress !== null)
    if (pciPorts.length === 0) return {notApplicable: 'no PCI-backed dpdk port (vdevs only, or no dpdk ports)'}
    const findings = []
    const undetermined: string[] = []
    for (const port of pciPorts) {
      const pci = normalizePci(port.pciAddress!)
      const binding = bindingOf(state, pci)
      if (!binding) {
        undetermined.push(port.name)
        continue
      }
      const bifurcated = isBifurcated(port, binding)
      const evidence = {
        pci, driver: binding.driver, active: binding.active, dpdkDriver: port.driverName,
        description: binding.description, nicFamily: bifurcated ? 'bifurcated (mlx)' : 'non-bifurcated', seenBy: binding.seenBy,
      }
      if (bifurcated) {
        if (binding.driver !== null && BIFURCATED_KERNEL_DRIVERS.has(binding.driver)) continue
        // No netdev in sysfs: unbound, or its netdev lives in another namespace; only devbind can tell.
        if (binding.seenBy === 'sysfs-net' && binding.driver === null) {
          undetermined.push(port.name)
          continue
        }
        findings.push({
          subject: port.name,
          message: `${port.name} (${pci}) is a bifurcated mlx NIC on ${binding.driver ?? 'no driver'}; it must stay on mlx5_core`,
          evidence,
          fixes: [{kind: 'manual' as const, text: `dpdk-devbind.py -b mlx5_core ${pci}; modprobe ib_uverbs mlx5_ib; then re-add ${port.name}`}],
        })
        continue
      }
      if (binding.driver !== null && USERSPACE_DRIVERS.has(binding.driver) && binding.active !== true) continue
      // sysfs without a netdev on this device: the kernel does not own it, which is what a dpdk port needs.
      if (binding.seenBy === 'sysfs-net' && binding.driver === null) continue
      findings.push({
        subject: port.name,
        message: `${port.name} (${pci}) is on kernel driver ${binding.driver ?? 'none'}${binding.active ? ' and *Active*' : ''}; DPDK needs vfio-pci`,
        evidence,
        fixes: [{kind: 'manual' as const, text: `ip link set <netdev of ${pci}> down; dpdk-devbind.py -b vfio-pci ${pci}; then re-add ${port.name}`}],
      })
    }
    if (findings.length === 0 && undetermined.length > 0) {
      return {unknown: `driver binding of ${undetermined.join(', ')} not seen (devbind and sysfs-net missing)`}
    }
    return {findings}
  },
})
