import {defineRule} from '../src/engine/types.js'
import {pmdLabel} from './lib/pmd.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'vhost-multiqueue-single-pmd',
    title: 'Multiqueue vhost-user port with a single PMD',
    severity: 'warning',
    group: 'vhost',
    kind: 'snapshot',
    rationale:
      'A guest with several queue pairs only gains throughput when its rx queues are polled by different PMDs; ' +
      'with one PMD every queue lands on the same core (OVS topics/dpdk/vhost-user.rst asks for at least two PMDs ' +
      'for multiqueue; FIELD E2).',
    inputs: ['pmd-rxq', ...OVS_PORT_SOURCES],
    thresholds: {},
    remediation: 'Add PMD cores (other_config:pmd-cpu-mask, on the NUMA node of the guest memory) so the vhost queues spread.',
    field: 'E2',
    appliesTo: 'Userspace-datapath hosts with vhost-user ports whose guest is connected.',
  },
  check({state}) {
    const vhostPorts = state.ports.filter((p) => p.class === 'vhost')
    if (vhostPorts.length === 0) return {notApplicable: 'no vhost-user ports'}
    if (state.pmds.length === 0) return {unknown: 'no PMD threads listed by pmd-rxq-show'}
    const withQueues = vhostPorts.map((p) => ({port: p, nRxq: p.status['n_rxq'] === undefined ? null : Number(p.status['n_rxq'])}))
    const known = withQueues.filter((q) => q.nRxq !== null && Number.isFinite(q.nRxq))
    if (known.length === 0) return {unknown: 'n_rxq not reported for the vhost-user ports (guests not connected?)'}
    if (state.pmds.length > 1) return {findings: []}
    const onlyPmd = state.pmds[0]!
    const findings = known
      .filter((q) => q.nRxq! > 1)
      .map(({port, nRxq}) => ({
        subject: port.name,
        message: `${port.name} has ${nRxq} rx queues but only one PMD (${pmdLabel(onlyPmd)}) polls them all`,
        evidence: {nRxq, pmdCount: 1, pmd: pmdLabel(onlyPmd), numOfVrings: port.status['num_of_vrings'] ?? null},
        fixes: [{kind: 'manual' as const, text: `Add at least one more PMD core (numa ${onlyPmd.numaId ?? '?'}) to other_config:pmd-cpu-mask.`}],
      }))
    return {findings}
  },
})
