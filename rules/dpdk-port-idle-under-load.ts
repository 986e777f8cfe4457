/**
 * A6: the DPDK ports stayed (almost) flat while the VMs pushed cross-host traffic: the headline
 * kernel-bypass symptom. Compared in bytes, not packets: with TSO the vhost side counts
 * super-packets while the wire side counts MTU frames.
 */
import {defineRule} from '../src/engine/types.js'
import {formatBytes, formatCount, formatShare, roundShare} from './lib/format.js'
import {LOAD_VALIDITY_INPUTS, invalidLoadOutcome} from './lib/load-validity.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'dpdk-port-idle-under-load',
    title: 'DPDK port idle while VMs push cross-host traffic',
    severity: 'critical',
    group: 'kernel-bypass',
    kind: 'window',
    rationale:
      'VM traffic to another host must leave through the DPDK port; if its byte counters barely move while the vhost-user ports carry the load, the payload took another path (the kernel). ' +
      'This is the headline symptom of the seed case: dpdk0 counted ~138 packets during iperf3 while the VM pushed 3 Gbit/s (bookpanda/microvm-networking verify_dpdk_path.sh). ' +
      'Bytes, not packets, are compared because TSO makes the vhost side count super-packets.',
    inputs: [...LOAD_VALIDITY_INPUTS, ...OVS_PORT_SOURCES],
    thresholds: {failShare: 0.1},
    remediation:
      'Find where the bytes went: internal-port-carries-load, kernel-nic-carries-load, internal-port-has-ip, kernel-route-via-internal-port and dpdk-nic-kernel-active name the path and the fix. ' +
      'Make the bridge pure L2 so OVS switches vhost-user <-> dpdk in the PMDs.',
    field: 'A6',
    appliesTo: 'Userspace-datapath hosts with a DPDK port, under a cross-host VM load.',
  },
  check({state, window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const invalid = invalidLoadOutcome(window)
    if (invalid) return invalid
    if (!state.ports.some((p) => p.class === 'dpdk')) return {notApplicable: 'no DPDK port on this host'}
    const {attribution} = window
    const dpdkPaths = attribution.paths.filter((p) => p.class === 'dpdk')
    if (dpdkPaths.length === 0) return {unknown: 'no counters for the DPDK ports in the window'}
    const failShare = thresholds['failShare']!
    const dpdk = attribution.byClass.dpdk
    const share = dpdk.byteShare ?? 0
    if (share >= failShare) return {findings: []}
    const names = dpdkPaths.map((p) => p.name).join(', ')
    return {
      findings: [
        {
          subject: names,
          message:
            `${names} moved ${formatBytes(dpdk.bytes)} (${formatCount(dpdk.packets)} packets) while the VMs moved ${formatBytes(attribution.referenceBytes)}: ` +
            `${formatShare(share)} of the load went through DPDK (expected >= ${formatShare(failShare)})`,
          evidence: {
            ports: dpdkPaths.map((p) => ({name: p.name, bytes: p.rxBytes + p.txBytes, packets: p.rxPackets + p.txPackets})),
            dpdkBytes: dpdk.bytes,
            dpdkPackets: dpdk.packets,
            reference: attribution.reference,
            referenceBytes: attribution.referenceBytes,
            byteShare: roundShare(share),
            failShare,
          },
          fixes: [],
        },
      ],
    }
  },
})
