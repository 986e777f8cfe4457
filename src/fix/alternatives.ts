/**
 * The other ways out that the seed weighed, with what each costs, for the plan's text.
 */
import type {HostState} from '../model/host-state.js'
import {isValidIfname, isValidOvsName} from '../util/names.js'
import type {Alternative} from './types.js'

export function alternatives(state: HostState): Alternative[] {
  // Only plain names go into these command lines; a hostile one leaves its placeholder.
  const dpdk = state.ports.find((p) => p.class === 'dpdk' && isValidOvsName(p.name))?.name ?? 'dpdk0'
  const vhost = state.ports.filter((p) => p.class === 'vhost' && isValidOvsName(p.name)).map((p) => p.name)
  const bridge = state.bridges.find((b) => b.datapathType === 'netdev' && isValidIfname(b.name))?.name ?? 'ovsbr0'
  const firstVhost = vhost[0] ?? 'vhost-user1'
  return [
    {
      name: 'Explicit OpenFlow rules between the vhost-user ports and the DPDK port',
      how: `ovs-ofctl add-flow ${bridge} "priority=100,in_port=${firstVhost},actions=output:${dpdk}" and the reverse per port, keeping the host's addresses on ${bridge}`,
      cost: 'Every VM and port change needs matching flows (and ARP/broadcast handling); the host still answers on the internal port, so its TAP traffic stays on the slow main thread; easy to drift from what the MAC learning would do.',
    },
    {
      name: 'A Linux bridge (or macvtap) for the VMs, OVS-DPDK only for the NIC',
      how: `move the VM ports and the host's gateway addresses to a kernel bridge; keep ${dpdk} on an OVS netdev bridge for the traffic that must be fast`,
      cost: 'VM traffic then runs through the kernel by design (vhost-net instead of vhost-user): simpler, but it gives up the DPDK fast path for the VMs, which is what the host was built for.',
    },
  ]
}
