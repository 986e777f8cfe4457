import {defineRule} from '../src/engine/types.js'
import type {OvsPortState} from '../src/model/host-state.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

/** Interface options OVS ignores where they are set, and why (vswitch.xml, topics/dpdk/*.rst). */
interface IneffectiveOption {
  key: string
  applies(port: OvsPortState): boolean
  why: string
}

const VHOST_TYPES = new Set(['dpdkvhostuser', 'dpdkvhostuserclient'])
const isVhost = (p: OvsPortState) => VHOST_TYPES.has(p.type)

const OPTIONS: IneffectiveOption[] = [
  {
    key: 'n_rxq',
    applies: isVhost,
    why: 'a vhost-user port takes its queue count from the guest when it connects (topics/dpdk/vhost-user.rst); set the queues in the VM (QEMU queues=, cloud-hypervisor num_queues=)',
  },
  {
    key: 'n_txq',
    // netdev-dummy (OVS's own tests) is the one type that reads it.
    applies: (p) => !p.type.startsWith('dummy'),
    why: 'no Interface option n_txq exists for real ports (vswitch.xml): OVS sizes Tx queues itself, one per thread where the device has them',
  },
  {
    key: 'n_rxq_desc',
    applies: isVhost,
    why: 'descriptor counts apply to DPDK physical ports (vswitch.xml); a vhost ring size is the guest\'s (QEMU rx_queue_size/tx_queue_size, cloud-hypervisor queue_size)',
  },
  {
    key: 'n_txq_desc',
    applies: isVhost,
    why: 'descriptor counts apply to DPDK physical ports (vswitch.xml); a vhost ring size is the guest\'s (QEMU rx_queue_size/tx_queue_size, cloud-hypervisor queue_size)',
  },
  {
    key: 'dpdk-devargs',
    applies: isVhost,
    why: 'dpdk-devargs selects the device of a type=dpdk port; a vhost-user port is its socket (vhost-server-path)',
  },
]

export default defineRule({
  meta: {
    id: 'option-has-no-effect',
    title: 'Interface option that does nothing',
    severity: 'info',
    group: 'vhost',
    kind: 'snapshot',
    rationale:
      'OVSDB accepts any key in Interface:options, and OVS silently ignores those the interface type does not read: ' +
      'options:n_rxq on a vhost-user port (the guest decides), options:n_txq anywhere (no such option), descriptor ' +
      'counts and dpdk-devargs on vhost ports. Tuning that does nothing hides the knob that would (vswitch.xml, ' +
      'topics/dpdk/vhost-user.rst).',
    inputs: [...OVS_PORT_SOURCES],
    thresholds: {},
    remediation: 'Remove the option (ovs-vsctl remove Interface <port> options <key>) and tune where it takes effect (the VM for vhost queues).',
    field: 'E1',
    appliesTo: 'Userspace-datapath hosts (any OVS interface).',
  },
  check({state}) {
    const findings = state.ports.flatMap((port) =>
      OPTIONS.filter((o) => port.options[o.key] !== undefined && o.applies(port)).map((o) => ({
        subject: port.name,
        message: `${port.name} (type ${port.type || 'system'}): options:${o.key}=${port.options[o.key]} has no effect: ${o.why}`,
        evidence: {option: o.key, value: port.options[o.key], type: port.type},
        fixes: [{kind: 'manual' as const, text: `ovs-vsctl remove Interface ${port.name} options ${o.key}`}],
      })),
    )
    return {findings}
  },
})
