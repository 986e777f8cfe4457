import {defineRule} from '../src/engine/types.js'
import {dpdkInitRequested, otherConfig} from './lib/ovs-config.js'
import {formatShare} from './lib/format.js'
import {threshold} from './lib/thresholds.js'

export default defineRule({
  meta: {
    id: 'hugepages-low',
    title: 'Hugepages missing or nearly exhausted',
    severity: 'critical',
    group: 'host',
    kind: 'snapshot',
    rationale:
      'DPDK allocates its packet memory from hugepages and vhost-user guests need hugepage-backed shared memory; ' +
      'with none the EAL fails, and with few free a VM cannot start or fails with "Bus error" (DPDK linux_gsg ' +
      'sys_reqs.rst, OVS intro/install/dpdk.rst; FIELD E4). --no-huge in dpdk-extra is a deliberate lab/test setup.',
    inputs: ['meminfo', 'ovsdb-open_vswitch'],
    thresholds: {minFreeShare: 0.1},
    remediation:
      'Reserve hugepages (vm.nr_hugepages or hugepages= on the kernel command line, per NUMA node under ' +
      '/sys/devices/system/node/node*/hugepages) and size dpdk-socket-mem/dpdk-socket-limit to leave room for the VMs.',
    field: 'E4',
    appliesTo: 'Userspace-datapath hosts with dpdk-init requested.',
  },
  check({state, thresholds}) {
    const minFree = threshold(thresholds, 'minFreeShare')
    const requested = dpdkInitRequested(state)
    if (requested === null) return {unknown: 'other_config:dpdk-init could not be read'}
    if (!requested) return {notApplicable: 'dpdk-init is not requested'}
    const dpdkExtra = otherConfig(state, 'dpdk-extra')
    const total = state.hugepages?.total ?? null
    const free = state.hugepages?.free ?? null
    const evidence = {hugepagesTotal: total, hugepagesFree: free, hugepageSizeKb: state.hugepages?.sizeKb ?? null, dpdkExtra, dpdkSocketMem: otherConfig(state, 'dpdk-socket-mem'), minFreeShare: minFree}
    if (dpdkExtra !== null && /(^|\s)--no-huge(\s|=|$)/.test(dpdkExtra)) {
      return {
        findings: [{
          severity: 'info',
          subject: 'host',
          message: `DPDK runs without hugepages (--no-huge in dpdk-extra): fine for a lab, not for performance (HugePages_Total ${total ?? '?'})`,
          evidence,
          fixes: [{kind: 'manual', text: 'For performance runs reserve hugepages and remove --no-huge from other_config:dpdk-extra.'}],
        }],
      }
    }
    if (total === null) return {unknown: 'HugePages_Total not in /proc/meminfo'}
    if (total === 0) {
      return {
        findings: [{
          subject: 'host',
          message: 'dpdk-init is requested but HugePages_Total is 0',
          evidence,
          fixes: [{kind: 'manual', text: 'Reserve hugepages (e.g. sysctl vm.nr_hugepages=2048, or hugepagesz=1G hugepages=N on the kernel command line) and restart ovs-vswitchd.'}],
        }],
      }
    }
    if (free === null) return {unknown: 'HugePages_Free not in /proc/meminfo'}
    const freeShare = free / total
    if (freeShare >= minFree) return {findings: []}
    return {
      findings: [{
        severity: 'warning',
        subject: 'host',
        message: `only ${free} of ${total} hugepages are free (${formatShare(freeShare)}, limit ${formatShare(minFree)})`,
        evidence: {...evidence, freeShare},
        fixes: [{kind: 'manual', text: 'Reserve more hugepages (per NUMA node) or lower dpdk-socket-mem/dpdk-socket-limit so VMs can allocate theirs.'}],
      }],
    }
  },
})
