/**
 * D2: every PMD thread stayed idle while the load moved more than a gigabit per second: the
 * packets were not in the DPDK fast path (the kernel carried them).
 */
import {defineRule} from '../src/engine/types.js'
import {formatBitRate} from './lib/format.js'
import {LOAD_VALIDITY_INPUTS, invalidLoadOutcome, loadBitsPerSecond} from './lib/load-validity.js'

export default defineRule({
  meta: {
    id: 'pmd-idle-under-load',
    title: 'PMD threads idle under load',
    severity: 'critical',
    group: 'kernel-bypass',
    kind: 'window',
    rationale:
      'PMD threads poll the DPDK and vhost-user queues; a gigabit-scale load through them shows as busy cycles. ' +
      'All PMDs near idle while the VMs move more than 1 Gbit/s means the traffic went around them, through the kernel: the seed case measured PMDs 97 % idle at 2.8 Gbit/s (bookpanda/microvm-networking BOTTLENECK_FOUND.md). ' +
      'Busy % is taken from the cycle counters\' deltas in the window, not the cumulative figure.',
    inputs: [...LOAD_VALIDITY_INPUTS, 'pmd-stats'],
    thresholds: {maxBusyPct: 5, minLoadBitsPerSec: 1e9},
    remediation:
      'Correlate with dpdk-port-idle-under-load and the other kernel-bypass findings: they name the path the traffic took and the addresses or routes to remove.',
    field: 'D2',
    appliesTo: 'Userspace-datapath hosts with PMD threads, under a cross-host VM load of known rate.',
  },
  check({window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const invalid = invalidLoadOutcome(window)
    if (invalid) return invalid
    if (window.pmds.length === 0) return {unknown: 'no PMD threads in the window'}
    if (window.pmds.some((p) => p.busyPct === null)) return {unknown: 'PMD busy % unknown for some threads (no cycle counters)'}
    const rate = loadBitsPerSecond(window)
    if (rate === null) return {unknown: 'load rate unknown (no iperf3 result, no vhost bytes)'}
    const maxBusyPct = thresholds['maxBusyPct']!
    const minLoadBitsPerSec = thresholds['minLoadBitsPerSec']!
    if (rate.bitsPerSecond <= minLoadBitsPerSec) return {findings: []}
    const busiest = Math.max(...window.pmds.map((p) => p.busyPct!))
    if (busiest >= maxBusyPct) return {findings: []}
    const cores = window.pmds.map((p) => p.coreId ?? '?').join(', ')
    const count = window.pmds.length
    return {
      findings: [
        {
          subject: 'host',
          message:
            `${count === 1 ? 'the PMD' : `all ${count} PMDs`} (core ${cores}) at most ${busiest.toFixed(1)} % busy while the load ran at ${formatBitRate(rate.bitsPerSecond)} ` +
            `(idle below ${maxBusyPct} %): the traffic is not in the DPDK fast path`,
          evidence: {
            pmds: window.pmds.map((p) => ({numaId: p.numaId, coreId: p.coreId, busyPct: p.busyPct, packets: p.packets})),
            maxObservedBusyPct: busiest,
            loadBitsPerSecond: rate.bitsPerSecond,
            loadRateFrom: rate.from,
            maxBusyPct,
            minLoadBitsPerSec,
          },
          fixes: [],
        },
      ],
    }
  },
})
