import {defineRule} from '../src/engine/types.js'
import {pmdLabel} from './lib/pmd.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'cross-numa-polling',
    title: 'Rx queue polled from another NUMA node',
    severity: 'warning',
    group: 'pmd',
    kind: 'snapshot',
    rationale:
      'A PMD on another NUMA node than the port (Interface status:numa_id, vhost status:numa) pays a cross-socket ' +
      'memory access per packet; OVS does this only when the local node has no non-isolated PMD, and auto-lb then ' +
      'stops working (topics/dpdk/pmd.rst; FIELD D4).',
    inputs: ['pmd-rxq', ...OVS_PORT_SOURCES],
    thresholds: {},
    remediation: 'Add a PMD core on the port\'s NUMA node to pmd-cpu-mask and give that node memory in dpdk-socket-mem.',
    field: 'D4',
    appliesTo: 'Userspace-datapath hosts with PMD threads polling rx queues, on NUMA hardware (numa_id known).',
  },
  check({state}) {
    if (state.pmds.every((p) => p.rxqs.length === 0)) return {notApplicable: 'no rx queues assigned to PMDs'}
    const remote = new Map<string, {portNuma: number; pmds: string[]; queues: number[]}>()
    let judged = 0
    // NUMA node by port name (first port wins, as find did): one lookup per rx queue, not a scan.
    const numaByPort = new Map<string, number | null>()
    for (const p of state.ports) if (!numaByPort.has(p.name)) numaByPort.set(p.name, p.numaId)
    for (const pmd of state.pmds) {
      for (const rxq of pmd.rxqs) {
        const portNuma = numaByPort.get(rxq.port) ?? null
        if (portNuma === null || pmd.numaId === null) continue
        judged++
        if (portNuma === pmd.numaId) continue
        const entry = remote.get(rxq.port) ?? {portNuma, pmds: [], queues: []}
        const label = `${pmdLabel(pmd)} (numa ${pmd.numaId})`
        if (!entry.pmds.includes(label)) entry.pmds.push(label)
        entry.queues.push(rxq.queueId)
        remote.set(rxq.port, entry)
      }
    }
    if (judged === 0) return {unknown: 'NUMA node of the ports or the PMDs not reported'}
    const findings = [...remote.entries()].map(([port, e]) => ({
      subject: port,
      message: `${port} (numa ${e.portNuma}) rx queues ${e.queues.join(',')} are polled by ${e.pmds.join(', ')}`,
      evidence: {portNuma: e.portNuma, pollingPmds: e.pmds, queues: e.queues},
      fixes: [{kind: 'manual' as const, text: `Add a core of NUMA node ${e.portNuma} to other_config:pmd-cpu-mask (and memory for node ${e.portNuma} in dpdk-socket-mem).`}],
    }))
    return {findings}
  },
})
