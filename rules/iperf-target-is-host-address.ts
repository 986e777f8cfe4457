/**
 * G1: iperf3 talked to (or ran from) an address of this host. Host <-> VM traffic always crosses
 * the bridge's internal TAP and the kernel, so the test says nothing about the DPDK path.
 */
import {defineRule} from '../src/engine/types.js'
import {hostEndpoints} from './lib/load-validity.js'

export default defineRule({
  meta: {
    id: 'iperf-target-is-host-address',
    title: 'Load test endpoint is a host address',
    severity: 'warning',
    group: 'load-validity',
    kind: 'window',
    rationale:
      'Traffic between a VM and the host itself always goes through the bridge internal port, a kernel TAP on a netdev bridge (OVS userspace.rst), never through dpdk0. ' +
      'A load test against the host (often the bridge IP) measures the kernel/tap path: a slow result and an idle dpdk0 are expected, and the kernel-bypass window rules skip such a window (FIELD G1).',
    inputs: ['ip-addr'],
    thresholds: {},
    remediation: 'Run iperf3 between VMs on different hosts (or from a VM to a remote host), not against or from this host.',
    field: 'G1',
    appliesTo: 'Userspace-datapath hosts, under an iperf3 load whose target is known.',
  },
  check({window}) {
    if (!window) return {unknown: 'needs a load window'}
    if (window.loadTarget === null && (window.load?.result?.localHost ?? null) === null) {
      return {notApplicable: 'the load target is not known'}
    }
    return {
      findings: hostEndpoints(window).map((e) => ({
        subject: e.address,
        message:
          e.end === 'target'
            ? `iperf3 target ${e.address} is this host's own address (${e.ifname}): measuring the kernel/tap path, not DPDK`
            : `iperf3 ran from ${e.address}, this host's own address (${e.ifname}): measuring the kernel path, not VM traffic through DPDK`,
        evidence: {end: e.end, address: e.address, interface: e.ifname, loadTarget: window.loadTarget},
        fixes: [],
      })),
    }
  },
})
