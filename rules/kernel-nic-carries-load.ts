/**
 * A5: a kernel NIC (the DPDK NIC's own kernel netdev, or another NIC) moved a share of the VM
 * load: direct proof that the payload is on the kernel path, not DPDK.
 */
import {defineRule} from '../src/engine/types.js'
import {formatBytes, formatCount, formatShare, shareOfVmTraffic, roundShare} from './lib/format.js'
import {LOAD_VALIDITY_INPUTS, invalidLoadOutcome} from './lib/load-validity.js'
import {KERNEL_COUNTER_SOURCES, OVS_PORT_SOURCES, windowHasAnySource} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'kernel-nic-carries-load',
    title: 'Kernel NIC carries the VM load',
    severity: 'critical',
    group: 'kernel-bypass',
    kind: 'window',
    rationale:
      'During a cross-host VM load the wire side should be the DPDK port only. Bytes on a kernel NIC, above all the mlx5 kernel netdev of the NIC DPDK drives, mean the host kernel routed the VM traffic onto the wire itself. ' +
      'In the seed lab every packet the VM sent left through enp65s0f0np0, one for one, while dpdk0 moved none (LAB.md section 7; DPDK mlx5 guide on the bifurcated netdev).',
    inputs: [...LOAD_VALIDITY_INPUTS, ...OVS_PORT_SOURCES],
    thresholds: {failShare: 0.1, warnShare: 0.01},
    remediation:
      'Remove the addresses and routes that make the kernel the VMs\' L3 hop: the IPs on the bridge internal port (internal-port-has-ip) and on the NIC\'s kernel netdev (dpdk-nic-kernel-active), then re-run the load.',
    field: 'A5',
    appliesTo: "Userspace-datapath hosts with a kernel NIC, under a VM load (vhost traffic or the load's byte count as the reference).",
  },
  check({window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const invalid = invalidLoadOutcome(window)
    if (invalid) return invalid
    if (!windowHasAnySource(window, KERNEL_COUNTER_SOURCES)) {
      return {unknown: `no kernel interface counters in both samples (${KERNEL_COUNTER_SOURCES.join(' or ')})`}
    }
    const {attribution} = window
    const paths = attribution.paths.filter((p) => p.class === 'kernel-nic')
    if (paths.length === 0) return {notApplicable: 'no kernel NIC on this host'}
    const failShare = thresholds['failShare']!
    const warnShare = thresholds['warnShare']!
    const nic = attribution.byClass['kernel-nic']
    const share = nic.byteShare ?? 0
    if (share <= warnShare) return {findings: []}
    const busiest = [...paths].sort((a, b) => b.rxBytes + b.txBytes - (a.rxBytes + a.txBytes))[0]!
    return {
      findings: [
        {
          subject: busiest.name,
          severity: share > failShare ? ('critical' as const) : ('warning' as const),
          message:
            `${busiest.name} moved ${formatBytes(busiest.rxBytes + busiest.txBytes)} (${formatCount(busiest.rxPackets + busiest.txPackets)} packets) during the load; ` +
            `kernel NICs carried ${shareOfVmTraffic(share)} (warn > ${formatShare(warnShare)}, fail > ${formatShare(failShare)}): the payload is on the kernel path`,
          evidence: {
            paths: paths.map((p) => ({name: p.name, driver: p.detail, bytes: p.rxBytes + p.txBytes, packets: p.rxPackets + p.txPackets})),
            bytes: nic.bytes,
            packets: nic.packets,
            referenceBytes: attribution.referenceBytes,
            byteShare: roundShare(share),
            warnShare,
            failShare,
          },
          fixes: [],
        },
      ],
    }
  },
})
