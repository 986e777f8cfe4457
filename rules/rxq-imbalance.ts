import {defineRule} from '../src/engine/types.js'
import type {PmdThreadState} from '../src/model/host-state.js'
import {pmdLabel} from './lib/pmd.js'
import {threshold} from './lib/thresholds.js'

/** Sum of the measured rxq usage of a PMD; null when none of its rxqs has a value (NOT AVAIL). */
function usageOf(pmd: PmdThreadState): number | null {
  const known = pmd.rxqs.filter((q) => q.usagePct !== null)
  return known.length === 0 ? null : known.reduce((sum, q) => sum + q.usagePct!, 0)
}

export default defineRule({
  meta: {
    id: 'rxq-imbalance',
    title: 'Rx queues unevenly spread over PMDs',
    severity: 'warning',
    group: 'pmd',
    kind: 'snapshot',
    rationale:
      'pmd-rxq-show gives each rx queue\'s share of its PMD\'s cycles over a rolling window (60 s by default, ' +
      'topics/dpdk/pmd.rst). One PMD near its limit while another idles, or one queue taking most of a core, ' +
      'caps throughput although cores are free (FIELD D3, §3.3).',
    inputs: ['pmd-rxq'],
    thresholds: {hotPmdPct: 80, coldPmdPct: 20, hotRxqPct: 80},
    remediation:
      'Enable other_config:pmd-auto-lb=true (or pmd-rxq-assign=group), add rx queues so load can spread, or pin ' +
      'queues with Interface other_config:pmd-rxq-affinity; run `ovs-appctl dpif-netdev/pmd-rxq-rebalance`.',
    field: 'D3',
    appliesTo: 'Userspace-datapath hosts with two or more PMD threads.',
  },
  check({state, thresholds}) {
    const hotPmd = threshold(thresholds, 'hotPmdPct')
    const coldPmd = threshold(thresholds, 'coldPmdPct')
    const hotRxq = threshold(thresholds, 'hotRxqPct')
    if (state.pmds.length === 0) return {notApplicable: 'no PMD threads'}
    if (state.pmds.every((p) => p.rxqs.length === 0)) return {notApplicable: 'no rx queues assigned to PMDs'}
    const measured = state.pmds.map((pmd) => ({pmd, usage: usageOf(pmd)})).filter((m) => m.usage !== null)
    if (measured.length === 0) return {unknown: 'every rxq usage is NOT AVAIL (OVS < 2.9, or no traffic history yet)'}
    const cold = measured.filter((m) => m.usage! <= coldPmd)
    const findings = []
    for (const {pmd, usage} of measured) {
      const hotQueues = pmd.rxqs.filter((q) => q.usagePct !== null && q.usagePct >= hotRxq)
      const imbalanced = usage! >= hotPmd && cold.some((c) => c.pmd !== pmd)
      if (!imbalanced && hotQueues.length === 0) continue
      const idle = cold.filter((c) => c.pmd !== pmd)
      findings.push({
        subject: pmdLabel(pmd),
        message: `${pmdLabel(pmd)} rxqs use ${usage} %` +
          (idle.length > 0 ? ` while ${idle.map((c) => `${pmdLabel(c.pmd)} uses ${c.usage} %`).join(', ')}` : '') +
          (hotQueues.length > 0 ? `; hot queues: ${hotQueues.map((q) => `${q.port} q${q.queueId} ${q.usagePct} %`).join(', ')}` : ''),
        evidence: {
          usagePct: usage,
          rxqs: pmd.rxqs.map((q) => ({port: q.port, queueId: q.queueId, usagePct: q.usagePct})),
          coldPmds: Object.fromEntries(idle.map((c) => [pmdLabel(c.pmd), c.usage])),
          windowSeconds: state.rxqWindowSeconds,
          hotPmdPct: hotPmd, coldPmdPct: coldPmd, hotRxqPct: hotRxq,
        },
        fixes: [{kind: 'ovs-set' as const, table: 'Open_vSwitch' as const, record: '.', column: 'other_config:pmd-auto-lb', value: 'true'}],
      })
    }
    return {findings}
  },
})
