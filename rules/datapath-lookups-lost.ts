import {defineRule} from '../src/engine/types.js'
import {threshold} from './lib/thresholds.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'datapath-lookups-lost',
    title: 'Datapath lost packets on upcall',
    severity: 'warning',
    group: 'drops',
    kind: 'window',
    rationale:
      'dpctl/show "lookups: ... lost:" and pmd-perf-show "Lost upcalls" count packets that missed the flow cache and ' +
      'could not be handed to the slow path (upcall failed); they are dropped (FIELD C6, §3.7). Under steady load ' +
      'this means flow churn or an overloaded handler path (see upcall-rate-high).',
    inputs: [...OVS_PORT_SOURCES],
    thresholds: {maxLost: 0},
    remediation: 'Check `ovs-appctl upcall/show`, the OpenFlow rules and conntrack for flow churn; see upcall-rate-high.',
    field: 'C6',
    appliesTo: 'Userspace-datapath hosts, under load (dpctl/show -s lookups of the netdev datapath).',
  },
  check({window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const maxLost = threshold(thresholds, 'maxLost')
    const pmdLost = window.pmds.filter((p) => p.lostUpcalls !== null)
    const datapathLost = window.datapathLostDelta
    if (datapathLost === null && pmdLost.length === 0) return {unknown: 'neither dpctl/show lookups nor PMD lost upcalls were read in both samples'}
    const pmdLostTotal = pmdLost.reduce((sum, p) => sum + p.lostUpcalls!, 0)
    const lost = Math.max(datapathLost ?? 0, pmdLostTotal)
    if (lost <= maxLost) return {findings: []}
    return {
      findings: [
        {
          subject: 'datapath',
          message: `the userspace datapath lost ${lost} packets on upcall in ${window.durationS} s (dpctl lost ${datapathLost ?? '?'}, PMD lost upcalls ${pmdLostTotal})`,
          evidence: {
            datapathLostDelta: datapathLost,
            pmdLostUpcalls: Object.fromEntries(pmdLost.map((p) => [`core ${p.coreId ?? '?'}`, p.lostUpcalls])),
            maxLost,
          },
          fixes: [{kind: 'manual', text: 'Check `ovs-appctl upcall/show` and `ovs-appctl dpctl/dump-flows` for flow churn; simplify OpenFlow rules or conntrack use.'}],
        },
      ],
    }
  },
})
