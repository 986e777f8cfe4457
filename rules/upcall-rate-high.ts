import {defineRule} from '../src/engine/types.js'
import {pmdLabel} from './lib/pmd.js'
import {formatShare} from './lib/format.js'
import {threshold} from './lib/thresholds.js'

export default defineRule({
  meta: {
    id: 'upcall-rate-high',
    title: 'High upcall rate or lost upcalls under load',
    severity: 'warning',
    group: 'pmd',
    kind: 'window',
    rationale:
      'Each flow-cache miss is an upcall to the slow path (classifier + OpenFlow translation), orders of magnitude ' +
      'costlier than a cache hit; in steady load upcalls should be well under 1 % of packets, and a lost upcall is a ' +
      'dropped packet (pmd-perf-show "Upcalls", "Lost upcalls"; FIELD D7, §3.1-3.2).',
    inputs: ['pmd-stats'],
    thresholds: {maxUpcallShare: 0.01, minPackets: 10_000, maxLostUpcalls: 0},
    remediation: 'Check `ovs-appctl upcall/show`, the OpenFlow rules (many distinct megaflows?), conntrack and revalidator load.',
    field: 'D7',
    appliesTo: 'Userspace-datapath hosts with PMD threads, under load.',
  },
  check({window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const maxShare = threshold(thresholds, 'maxUpcallShare')
    const minPackets = threshold(thresholds, 'minPackets')
    const maxLost = threshold(thresholds, 'maxLostUpcalls')
    if (window.pmds.length === 0) return {notApplicable: 'no PMD threads'}
    const measured = window.pmds.filter((p) => p.upcalls !== null && p.packets !== null)
    if (measured.length === 0) return {unknown: 'PMD upcall or packet counters not read in both samples'}
    const findings = []
    for (const p of measured) {
      const upcalls = p.upcalls!
      const packets = p.packets!
      const lost = p.lostUpcalls
      // Below minPackets a few upcalls are warm-up, not a rate.
      const share = packets >= minPackets ? upcalls / packets : null
      const highRate = share !== null && share > maxShare
      const lostSome = lost !== null && lost > maxLost
      if (!highRate && !lostSome) continue
      findings.push({
        severity: lostSome ? ('critical' as const) : ('warning' as const),
        subject: pmdLabel(p),
        message: `${pmdLabel(p)}: ${upcalls} upcalls for ${packets} packets` +
          (share !== null ? ` (${formatShare(share)}, limit ${formatShare(maxShare)})` : '') + (lostSome ? `, ${lost} lost upcalls` : ''),
        evidence: {upcalls, packets, upcallShare: share, lostUpcalls: lost, maxUpcallShare: maxShare, minPackets, maxLostUpcalls: maxLost},
        fixes: [{kind: 'manual' as const, text: 'Inspect `ovs-appctl upcall/show` and `ovs-appctl dpctl/dump-flows` for churn; reduce per-packet-unique matches (e.g. ports, conntrack).'}],
      })
    }
    return {findings}
  },
})
