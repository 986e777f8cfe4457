import {defineRule} from '../src/engine/types.js'
import type {FindingDraft} from '../src/engine/types.js'
import type {OvsPortState} from '../src/model/host-state.js'
import type {LoadWindow} from '../src/window/types.js'
import {otherConfig, unquote} from './lib/ovs-config.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'
import {isConnectedVhost, VIRTIO_NET_F, virtioFeatures} from './lib/vhost.js'

/** Seen on the lab (OVS 3.1, net_af_packet): with TSO on, the guest's TCP to a NIC without TSO was dropped. */
const EGRESS_CAVEAT =
  'First check that every DPDK NIC the guests send through offers TSO (ethtool -k of its kernel twin, or the port\'s status): ' +
  'before OVS 3.3 (no software segmentation) a TSO packet to a port without it is dropped ("Tx TSO offload is not supported").'
const RESTART = 'restart ovs-vswitchd, then restart the VMs (a guest keeps the features it negotiated when it connected)'

/** A TCP load (or traffic of unknown kind) in the window is what TSO would have helped; UDP is not. */
function tcpLoad(window: LoadWindow | null): boolean {
  if (!window) return false
  const protocol = window.load?.result?.protocol ?? null
  return protocol === null || protocol.toUpperCase() === 'TCP'
}

/** What the vhost status says about TSO towards the host (the guest's TSO). */
function tsoEvidence(port: OvsPortState) {
  const features = virtioFeatures(port)
  const segOffload = port.status['tx_tcp_seg_offload']
  return {
    features: features?.hex ?? null,
    hostTso4: features ? features.has(VIRTIO_NET_F.HOST_TSO4) : null,
    hostTso6: features ? features.has(VIRTIO_NET_F.HOST_TSO6) : null,
    csum: features ? features.has(VIRTIO_NET_F.CSUM) : null,
    // A guest driver that asked for offloads of its own (a kernel's virtio-net does; a DPDK
    // virtio-user app such as testpmd asks for none) is one that TSO would serve.
    guestOffloads: features ? features.has(VIRTIO_NET_F.GUEST_CSUM) || features.has(VIRTIO_NET_F.GUEST_TSO4) || features.has(VIRTIO_NET_F.GUEST_TSO6) : null,
    // Newer OVS prints the port's Tx offloads in its status; older versions only the features.
    txTcpSegOffload: segOffload === undefined ? null : unquote(segOffload),
    userspaceTso: port.status['userspace-tso'] ?? null,
  }
}

export default defineRule({
  meta: {
    id: 'guest-tso-off-by-host',
    title: 'Guest TSO off because of the host',
    severity: 'warning',
    group: 'vhost',
    kind: 'snapshot',
    rationale:
      'Unless other_config:userspace-tso-enable=true, OVS registers its vhost-user sockets with the HOST_TSO4/HOST_TSO6 ' +
      'virtio features disabled (lib/netdev-dpdk.c, rte_vhost_driver_disable_features; some versions CSUM too), so the guest cannot turn TSO on: ' +
      '`ethtool -K tso on` in the VM does nothing and every TCP segment crosses the PMD as an MTU-sized frame. ' +
      'The setting is read when ovs-vswitchd starts (topics/userspace-tso.rst), and a guest keeps the features it ' +
      'negotiated when it connected. Evidence per connected vhost port: the negotiated features (status:features, ' +
      'bits 11/12), status:tx_tcp_seg_offload (where OVS lists the port\'s Tx offloads in its status, 3.2+ per the issue), and status:userspace-tso=disabled (TSO on globally but ' +
      'refused for that guest). A warning when a TCP load (or unclassified traffic) ran in the window, info otherwise (FIELD E6); ' +
      'info without a limit when the guest negotiated no offloads of its own (no GUEST_CSUM/GUEST_TSO4/GUEST_TSO6, as a DPDK ' +
      'virtio-user application such as testpmd): a driver that uses no offloads is not held back by the missing TSO.',
    inputs: ['ovsdb-open_vswitch', ...OVS_PORT_SOURCES],
    thresholds: {},
    remediation:
      `ovs-vsctl set Open_vSwitch . other_config:userspace-tso-enable=true, ${RESTART}. The feature is marked ` +
      'experimental upstream; all ports in the path need TSO support (the egress NIC segments).',
    field: 'E6',
    appliesTo: 'Userspace-datapath hosts with a connected vhost-user guest.',
  },
  check({state, window}) {
    const guests = state.ports.filter(isConnectedVhost)
    if (guests.length === 0) return {notApplicable: 'no connected vhost-user guest'}
    const setting = otherConfig(state, 'userspace-tso-enable')
    const enabled = setting?.toLowerCase() === 'true'
    const severity = tcpLoad(window) ? ('warning' as const) : ('info' as const)
    const findings = guests.flatMap((port): FindingDraft[] => {
      const ev = tsoEvidence(port)
      const negotiated = ev.hostTso4 === true && ev.hostTso6 === true
      const evidence = {userspaceTsoEnable: setting, ...ev, tcpLoadInWindow: tcpLoad(window)}
      const features = ev.features ? ` (negotiated features ${ev.features}: no HOST_TSO4/HOST_TSO6)` : ''
      if (!enabled) {
        // The guest has TSO: it connected before the setting was turned off; nothing limits it yet.
        if (negotiated || ev.txTcpSegOffload === 'true') return []
        // No offloads asked for at all: the host setting is not what bounds this guest (info, no limit).
        if (ev.guestOffloads === false) {
          return [{
            severity: 'info' as const,
            subject: port.name,
            message: `${port.name}: the host offers no TSO (other_config:userspace-tso-enable ${setting === null ? 'unset' : `"${setting}"`}), but this guest negotiated no offloads of its own${features.replace(': no HOST_TSO4/HOST_TSO6', ': no GUEST_CSUM/GUEST_TSO')} (a DPDK virtio-user application?): TSO is not what limits it`,
            evidence,
            fixes: [],
          }]
        }
        return [{
          severity,
          subject: port.name,
          message: `${port.name}: guest TSO is off because the host offers none: other_config:userspace-tso-enable is ${setting === null ? 'unset' : `"${setting}"`}${features}`,
          evidence,
          limit: 'guest TSO off (host setting)',
          fixes: [{kind: 'manual' as const, text: `Set other_config:userspace-tso-enable=true (ovs-vsctl set Open_vSwitch . other_config:userspace-tso-enable=true), ${RESTART}. ${EGRESS_CAVEAT}`}],
        }]
      }
      if (ev.userspaceTso === 'disabled') {
        return [{
          severity,
          subject: port.name,
          message: `${port.name}: userspace TSO is enabled, but OVS disabled it for this guest (status:userspace-tso=disabled: its virtio features did not allow it)`,
          evidence,
          limit: 'guest TSO off (refused for this guest)',
          fixes: [{kind: 'manual' as const, text: `Give ${port.name}'s guest csum/guest_csum/TSO virtio features (QEMU virtio-net-pci csum=on,guest_csum=on,guest_tso4=on,guest_tso6=on) and restart the VM.`}],
        }]
      }
      const offNow = ev.txTcpSegOffload === 'false' || (ev.hostTso4 === false || ev.hostTso6 === false)
      if (!offNow) return []
      return [{
        severity,
        subject: port.name,
        message: `${port.name}: userspace-tso-enable is true, but this guest negotiated no TSO${features}: ovs-vswitchd was not restarted since, the VM connected before, or its driver declined TSO`,
        evidence,
        limit: 'guest TSO off (restart pending)',
        fixes: [{kind: 'manual' as const, text: `${RESTART.replace(/^restart/, 'Restart')} so ${port.name} renegotiates.`}],
      }]
    })
    return {findings}
  },
})
