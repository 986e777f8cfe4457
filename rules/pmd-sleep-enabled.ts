import {defineRule} from '../src/engine/types.js'
import {maxSleepUs, otherConfig, PMD_SLEEP_KEYS} from './lib/ovs-config.js'
import {pmdLabel} from './lib/pmd.js'
import {threshold} from './lib/thresholds.js'

export default defineRule({
  meta: {
    id: 'pmd-sleep-enabled',
    title: 'PMD load-based sleep enabled',
    severity: 'info',
    group: 'pmd',
    kind: 'snapshot',
    rationale:
      'other_config:pmd-sleep-max (pmd-maxsleep before 3.2) lets lightly loaded PMDs sleep up to N us; saving power ' +
      'costs latency and can drop bursts, which skews a performance test (topics/dpdk/pmd.rst "PMD load based ' +
      'sleeping"; FIELD D10). When the PMDs actually slept during the load window the finding says so; it stays info.',
    inputs: ['ovsdb-open_vswitch'],
    thresholds: {maxSleepIterations: 0},
    remediation: 'For performance tests set `ovs-vsctl set Open_vSwitch . other_config:pmd-sleep-max=0` (and remove pmd-maxsleep).',
    field: 'D10',
    appliesTo: 'Userspace-datapath hosts with PMD threads (OVS >= 3.1 for pmd-maxsleep).',
  },
  check({state, window, thresholds}) {
    const configured = PMD_SLEEP_KEYS.map((key) => ({key, value: otherConfig(state, key)})).filter((c) => c.value !== null)
    if (configured.length === 0) return {findings: []}
    const sleeps = configured.map((c) => ({...c, maxUs: maxSleepUs(c.value!)}))
    const unreadable = sleeps.find((s) => s.maxUs === null)
    if (unreadable) return {unknown: `cannot read other_config:${unreadable.key}=${unreadable.value}`}
    const maxUs = Math.max(...sleeps.map((s) => s.maxUs!))
    if (maxUs === 0) return {findings: []}
    // Sleep iterations in the window: pmd-perf-show "sleep iterations", diffed per PMD.
    const slept = window
      ? window.during.pmds.flatMap((p) => {
          const before = window.before.pmds.find((b) => b.coreId === p.coreId && b.numaId === p.numaId)
          if (p.sleepIterations === null || before === undefined || before.sleepIterations === null) return []
          return [{pmd: pmdLabel(p), iterations: p.sleepIterations - before.sleepIterations}]
        })
      : []
    const maxIterations = threshold(thresholds, 'maxSleepIterations')
    const sleptInWindow = slept.filter((s) => s.iterations > maxIterations)
    return {
      findings: [
        {
          // FIELD D10 puts even a PMD that slept during the load at info: it adds latency, it is not a fault.
          severity: 'info',
          subject: 'host',
          message: `PMD sleep is enabled (up to ${maxUs} us)` +
            (sleptInWindow.length > 0 ? `; ${sleptInWindow.map((s) => `${s.pmd} slept ${s.iterations} iterations`).join(', ')} during the load` : ''),
          evidence: {
            ...Object.fromEntries(configured.map((c) => [c.key, c.value])),
            maxSleepUs: maxUs,
            sleepIterationsInWindow: window ? Object.fromEntries(slept.map((s) => [s.pmd, s.iterations])) : null,
          },
          fixes: [{kind: 'ovs-set', table: 'Open_vSwitch', record: '.', column: 'other_config:pmd-sleep-max', value: '0'}],
        },
      ],
    }
  },
})
