/**
 * A7: a bridge internal port (the TAP on a netdev bridge) carried a share of the VM load: the
 * kernel is in the path, and the OVS main thread, not a PMD, copies every packet.
 */
import {defineRule} from '../src/engine/types.js'
import {formatBytes, formatCount, formatShare, shareOfVmTraffic, roundShare} from './lib/format.js'
import {LOAD_VALIDITY_INPUTS, invalidLoadOutcome} from './lib/load-validity.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'internal-port-carries-load',
    title: 'Bridge internal port (TAP) carries the VM load',
    severity: 'critical',
    group: 'kernel-bypass',
    kind: 'window',
    rationale:
      'On a netdev bridge the internal/LOCAL port is a kernel TAP (OVS userspace.rst), polled by the OVS main thread. ' +
      'Load through it means VM packets are handed to the host kernel (usually because the port has the VMs\' gateway address) and copied between user space and the kernel. ' +
      'In the seed lab the main thread handled 117,614 packets during iperf3 while dpdk0 moved none (LAB.md section 10).',
    inputs: [...LOAD_VALIDITY_INPUTS, ...OVS_PORT_SOURCES],
    thresholds: {failShare: 0.1},
    remediation:
      'Make the bridge pure L2: remove the internal port\'s addresses (internal-port-has-ip) and the routes through it (kernel-route-via-internal-port), and give the VMs addresses on the wire subnet.',
    field: 'A7',
    appliesTo: "Userspace-datapath hosts with a netdev bridge, under a VM load (vhost traffic or the load's byte count as the reference).",
  },
  check({window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const invalid = invalidLoadOutcome(window)
    if (invalid) return invalid
    const {attribution} = window
    const paths = attribution.paths.filter((p) => p.class === 'internal')
    if (paths.length === 0) return {unknown: 'no counters for the bridge internal ports in the window'}
    const failShare = thresholds['failShare']!
    const internal = attribution.byClass.internal
    const share = internal.byteShare ?? 0
    if (share <= failShare) return {findings: []}
    const busiest = [...paths].sort((a, b) => b.rxBytes + b.txBytes - (a.rxBytes + a.txBytes))[0]!
    const mainThread = window.mainThreadPackets
    const corroboration =
      mainThread !== null && mainThread > 0 ? `; the OVS main thread (not a PMD) handled ${formatCount(mainThread)} packets` : ''
    return {
      findings: [
        {
          subject: busiest.name,
          message:
            `${busiest.name} (bridge TAP) moved ${formatBytes(busiest.rxBytes + busiest.txBytes)} (${formatCount(busiest.rxPackets + busiest.txPackets)} packets), ` +
            `${shareOfVmTraffic(share)} (fail > ${formatShare(failShare)}): the kernel is in the path${corroboration}`,
          evidence: {
            paths: paths.map((p) => ({name: p.name, bytes: p.rxBytes + p.txBytes, packets: p.rxPackets + p.txPackets})),
            bytes: internal.bytes,
            packets: internal.packets,
            referenceBytes: attribution.referenceBytes,
            byteShare: roundShare(share),
            failShare,
            mainThreadPackets: mainThread,
          },
          fixes: [],
        },
      ],
    }
  },
})
