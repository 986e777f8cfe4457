import {defineRule} from '../src/engine/types.js'
import {pmdLabel} from './lib/pmd.js'
import {threshold} from './lib/thresholds.js'

export default defineRule({
  meta: {
    id: 'pmd-saturated',
    title: 'PMD thread saturated during load',
    severity: 'critical',
    group: 'pmd',
    kind: 'window',
    rationale:
      'A PMD busy above 90-95 % of its cycles during the load (processing / (idle + processing) cycles of ' +
      'pmd-stats-show, diffed over the window, scaled by the time it was awake) is the forwarding ceiling; rx misses ' +
      'and retries follow (FIELD D1). The critical limit is OVS\'s own definition of an overloaded PMD ' +
      '(pmd-auto-lb-load-threshold, default 95 %, topics/dpdk/pmd.rst); FIELD\'s proposed 80 % warned on a lab PMD ' +
      'doing its job at 82 % with no loss, so the warning starts at 90 %.',
    inputs: ['pmd-stats'],
    thresholds: {warnBusyPct: 90, failBusyPct: 95},
    remediation: 'Add PMD cores (pmd-cpu-mask) on the NIC NUMA node, use multiqueue (options:n_rxq), and enable other_config:pmd-auto-lb=true.',
    field: 'D1',
    appliesTo: 'Userspace-datapath hosts with PMD threads, under load.',
  },
  check({window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const warnPct = threshold(thresholds, 'warnBusyPct')
    const failPct = threshold(thresholds, 'failBusyPct')
    if (window.pmds.length === 0) return {notApplicable: 'no PMD threads'}
    const measured = window.pmds.filter((p) => p.busyPct !== null)
    if (measured.length === 0) return {unknown: 'PMD busy % not measurable in the window (no cycle counters)'}
    const findings = measured
      .filter((p) => p.busyPct! > warnPct)
      .map((p) => ({
        severity: p.busyPct! > failPct ? ('critical' as const) : ('warning' as const),
        subject: pmdLabel(p),
        message: `${pmdLabel(p)} (numa ${p.numaId ?? '?'}) was ${p.busyPct!.toFixed(1)} % busy during the load (limits ${warnPct} / ${failPct} %)`,
        evidence: {busyPct: p.busyPct, packets: p.packets, numaId: p.numaId, warnBusyPct: warnPct, failBusyPct: failPct},
        fixes: [{kind: 'manual' as const, text: `Add PMD cores on NUMA node ${p.numaId ?? '?'} to other_config:pmd-cpu-mask and spread the rx queues (options:n_rxq, pmd-auto-lb).`}],
      }))
    return {findings}
  },
})
