/**
 * A11: a kernel port (system or tap) on a netdev bridge carried a real share of the load. The
 * userspace datapath copies every packet to or from the kernel for such a port.
 */
import {defineRule} from '../src/engine/types.js'
import {formatBytes, formatShare, roundShare} from './lib/format.js'
import {bridgeOfPort, datapathTypeOf} from './lib/host.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'kernel-port-on-netdev-bridge',
    title: 'Kernel port on a netdev bridge carries the load',
    severity: 'warning',
    group: 'kernel-bypass',
    kind: 'window',
    rationale:
      'On a netdev (userspace) bridge, kernel-attached ports (system, veth, tap) are serviced through kernel sockets and copies, not DPDK queues. ' +
      'kube-ovn users measured 1.5 ms pod-to-pod latency and ~211 Mbit/s with kernel ports on a netdev bridge (kubeovn/kube-ovn #1837). ' +
      'Such a port is only a problem if traffic uses it, so this is judged on a load window, not on configuration alone.',
    inputs: [...OVS_PORT_SOURCES],
    thresholds: {failShare: 0.1},
    remediation:
      'Attach VMs with dpdkvhostuserclient ports (cloud-hypervisor vhost_user=true) instead of kernel taps, or move kernel ports to a bridge with datapath_type=system.',
    field: 'A11',
    appliesTo: 'Userspace-datapath hosts with a system or tap port on a netdev bridge, under load.',
  },
  check({state, window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const {attribution} = window
    if (attribution.reference === 'none' || attribution.referenceBytes <= 0) return {unknown: 'no load traffic seen in the window'}
    const failShare = thresholds['failShare']!
    const findings = []
    for (const p of attribution.paths) {
      if (p.class !== 'ovs-kernel-port' || (p.byteShare ?? 0) <= failShare) continue
      const port = state.ports.find((x) => x.name === p.name)
      if (!port || (port.class !== 'system' && port.class !== 'tap')) continue
      const bridge = bridgeOfPort(state, port.name)
      if (!bridge || datapathTypeOf(bridge) !== 'netdev') continue
      findings.push({
        subject: p.name,
        message:
          `${p.name} (${port.class === 'tap' ? 'tap' : 'system'} port on netdev bridge ${bridge.name}) moved ${formatBytes(p.rxBytes + p.txBytes)}, ` +
          `${formatShare(p.byteShare)} of the load (warn > ${formatShare(failShare)}): every packet is copied between OVS and the kernel`,
        evidence: {
          bridge: bridge.name,
          portType: port.type === '' ? 'system' : port.type,
          bytes: p.rxBytes + p.txBytes,
          packets: p.rxPackets + p.txPackets,
          byteShare: roundShare(p.byteShare),
          referenceBytes: attribution.referenceBytes,
          failShare,
        },
        fixes: [],
      })
    }
    return {findings}
  },
})
