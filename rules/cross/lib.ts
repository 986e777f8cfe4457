/** What the cross-host rules read of one side: DPDK and kernel NIC bytes in the window, VM MACs. */
import type {HostState} from '../../src/model/host-state.js'
import type {LoadWindow} from '../../src/window/types.js'

export interface WireBytes {
  tx: number
  rx: number
  ports: string[]
}

function sum(window: LoadWindow, cls: 'dpdk' | 'kernel-nic'): WireBytes {
  const paths = window.attribution.paths.filter((p) => p.class === cls && !p.counterReset)
  return {tx: paths.reduce((n, p) => n + p.txBytes, 0), rx: paths.reduce((n, p) => n + p.rxBytes, 0), ports: paths.map((p) => p.name)}
}

/** Bytes the DPDK ports sent to and received from the wire during the window. */
export const dpdkBytes = (window: LoadWindow): WireBytes => sum(window, 'dpdk')

/** Bytes the kernel netdevs of NICs moved during the window (the bypass path to the wire). */
export const kernelNicBytes = (window: LoadWindow): WireBytes => sum(window, 'kernel-nic')

const isZeroMac = (mac: string) => /^(00:){5}00$/i.test(mac)

/** MACs learned on the host's vhost-user ports: its VMs. */
export function vmMacs(state: HostState): Map<string, string> {
  const vhost = new Set(state.ports.filter((p) => p.class === 'vhost').map((p) => p.name))
  const macs = new Map<string, string>()
  for (const row of state.fdb) if (row.portName && vhost.has(row.portName) && !isZeroMac(row.mac)) macs.set(row.mac.toLowerCase(), row.portName)
  return macs
}

/** MACs of the host's own kernel interfaces (not loopback, not OVS's datapath devices). */
export function kernelMacs(state: HostState): Map<string, string> {
  const macs = new Map<string, string>()
  for (const i of state.interfaces) {
    if (!i.mac || isZeroMac(i.mac) || i.role === 'loopback' || i.role === 'ovs-datapath') continue
    if (!macs.has(i.mac.toLowerCase())) macs.set(i.mac.toLowerCase(), i.ifname)
  }
  return macs
}

/** MACs of interfaces backed by a PCI device (NICs): two hosts never share one. */
export function nicMacs(state: HostState): Map<string, string> {
  const macs = new Map<string, string>()
  for (const i of state.interfaces) if (i.mac && !isZeroMac(i.mac) && i.pciAddress) macs.set(i.mac.toLowerCase(), i.ifname)
  for (const p of state.ports) if (p.class === 'dpdk' && p.mac && !isZeroMac(p.mac)) macs.set(p.mac.toLowerCase(), p.name)
  return macs
}

export const pct = (x: number) => `${(x * 100).toFixed(1)} %`
