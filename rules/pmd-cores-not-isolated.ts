import {defineRule} from '../src/engine/types.js'
import {formatCpuList, parseCpuList} from './lib/cpus.js'
import {pmdCores} from './lib/pmd.js'

/** Kernel parameters that keep the scheduler (isolcpus) or the tick (nohz_full) off a CPU. */
const ISOLATION_PARAMS = ['isolcpus', 'nohz_full'] as const

export default defineRule({
  meta: {
    id: 'pmd-cores-not-isolated',
    title: 'PMD cores not isolated from the kernel scheduler',
    severity: 'info',
    group: 'pmd',
    kind: 'snapshot',
    rationale:
      'PMD threads busy-poll their core; when the scheduler may put other tasks or timer ticks there, the PMD is ' +
      'preempted and the NIC overruns (rx_missed_errors), the latency spikes (OVS topics/dpdk/pmd.rst, DPDK ' +
      'linux_gsg; FIELD D5). tuned cpu-partitioning and NFV guides isolate PMD cores with isolcpus/nohz_full. ' +
      'Reported as info: isolation is tuning advice that most test and shared hosts lack, not a fault by itself ' +
      '(the harm it prevents shows up in dpdk-rx-missed and pmd-saturated).',
    inputs: ['ovsdb-open_vswitch', 'cmdline'],
    thresholds: {},
    remediation: 'Add the PMD cores to isolcpus= and nohz_full= (and rcu_nocbs=) on the kernel command line, or use tuned cpu-partitioning, and reboot.',
    field: 'D5',
    appliesTo: 'Userspace-datapath hosts with PMD threads (the kernel command line read).',
  },
  check({state}) {
    if (state.cmdline === null) return {unknown: 'kernel command line not read'}
    const pmd = pmdCores(state)
    if (pmd.cores === null) return {unknown: pmd.reason}
    if (pmd.cores.length === 0) return {notApplicable: 'no PMD cores'}
    const isolated = new Set<number>()
    const lists: Record<string, string | null> = {}
    for (const param of ISOLATION_PARAMS) {
      const value = state.cmdline[param]
      lists[param] = typeof value === 'string' ? value : null
      if (typeof value !== 'string') continue
      const cpus = parseCpuList(value)
      if (cpus === null) return {unknown: `cannot read ${param}=${value}`}
      for (const cpu of cpus) isolated.add(cpu)
    }
    const exposed = pmd.cores.filter((c) => !isolated.has(c))
    if (exposed.length === 0) return {findings: []}
    const wanted = formatCpuList([...isolated, ...pmd.cores])
    return {
      findings: [
        {
          subject: 'host',
          message: `PMD cores ${formatCpuList(exposed)} (of ${formatCpuList(pmd.cores)}) are in neither isolcpus nor nohz_full`,
          evidence: {pmdCores: formatCpuList(pmd.cores), pmdCoresFrom: pmd.from, notIsolated: formatCpuList(exposed), isolcpus: lists['isolcpus'], nohzFull: lists['nohz_full']},
          fixes: [{kind: 'manual', text: `Add isolcpus=${wanted} nohz_full=${wanted} rcu_nocbs=${wanted} to the kernel command line (or tuned cpu-partitioning isolated_cores=${wanted}) and reboot.`}],
        },
      ],
    }
  },
})
