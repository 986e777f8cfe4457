/**
 * G2: the load stayed between VMs on this host (vhost <-> vhost). OVS switches it in the PMDs
 * without touching dpdk0, so an idle DPDK port is expected and the bypass rules skip the window.
 */
import {defineRule} from '../src/engine/types.js'
import {formatBytes, formatShare, roundShare} from './lib/format.js'
import {SAME_HOST_MAX_OTHER_SHARE, SAME_HOST_MIN_VHOST_SHARE, sameHostLoad} from './lib/load-validity.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'same-host-vm-test',
    title: 'Load test between VMs on the same host',
    severity: 'info',
    group: 'load-validity',
    kind: 'window',
    rationale:
      'When both iperf3 ends are VMs on this host, OVS switches the traffic vhost-user <-> vhost-user and dpdk0 stays idle by design; ' +
      'bookpanda/microvm-networking verify_dpdk_path.sh lists this as the benign cause of a flat dpdk0. ' +
      'Saying so keeps an idle dpdk0 from being read as kernel bypass (FIELD G2).',
    inputs: [...OVS_PORT_SOURCES],
    thresholds: {maxOtherShare: SAME_HOST_MAX_OTHER_SHARE, minVhostShare: SAME_HOST_MIN_VHOST_SHARE},
    remediation: 'To test the DPDK path, run iperf3 from a VM on this host to a VM (or host) on another machine.',
    field: 'G2',
    appliesTo: 'Userspace-datapath hosts with vhost-user ports, under load.',
  },
  check({window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const {attribution} = window
    if (attribution.reference === 'none' || attribution.referenceBytes <= 0) return {unknown: 'no load traffic seen in the window'}
    const sameHost = sameHostLoad(window, {maxOtherShare: thresholds['maxOtherShare']!, minVhostShare: thresholds['minVhostShare']!})
    if (!sameHost) return {findings: []}
    const names = sameHost.vhostPaths.map((p) => p.name)
    const {otherShares} = sameHost
    return {
      findings: [
        {
          subject: names.join(', '),
          message:
            `the load stayed between ${names.join(' and ')} (${formatBytes(attribution.referenceBytes)}; dpdk ${formatShare(otherShares.dpdk)}, ` +
            `internal ${formatShare(otherShares.internal)}, kernel NIC ${formatShare(otherShares['kernel-nic'])}): a same-host VM test, dpdk0 idle is expected`,
          evidence: {
            vhostPorts: sameHost.vhostPaths.map((p) => ({name: p.name, bytes: p.rxBytes + p.txBytes, byteShare: roundShare(p.byteShare)})),
            referenceBytes: attribution.referenceBytes,
            dpdkShare: roundShare(otherShares.dpdk),
            internalShare: roundShare(otherShares.internal),
            kernelNicShare: roundShare(otherShares['kernel-nic']),
            maxOtherShare: thresholds['maxOtherShare'],
            minVhostShare: thresholds['minVhostShare'],
          },
          fixes: [],
        },
      ],
    }
  },
})
