import {defineRule} from '../src/engine/types.js'
import type {FindingDraft} from '../src/engine/types.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'
import {isConnectedVhost, movingQueues, queuePairs, windowQueueDeltas} from './lib/vhost.js'

export default defineRule({
  meta: {
    id: 'guest-queues-disabled',
    title: 'Guest queues not enabled',
    severity: 'warning',
    group: 'vhost',
    kind: 'snapshot',
    rationale:
      'A guest given N queue pairs uses only those its driver enables (`ethtool -L <if> combined N` in the VM; many ' +
      'images enable one): pmd-rxq-show marks the others "(disabled)" (OVS 2.13+), and the PMDs polling them do ' +
      'nothing for that guest. Without the marker a load window shows it too: only queue 0 of the rx_qN_good_packets ' +
      'counters (guest -> OVS) moves. One TCP flow uses one queue by design, so that sign alone is info; disabled ' +
      'queues are a warning (FIELD E1).',
    inputs: ['pmd-rxq', ...OVS_PORT_SOURCES],
    thresholds: {},
    remediation: 'In the guest: ethtool -L <if> combined <queue pairs> (and make it persistent in the image), or give the VM fewer queues.',
    field: 'E1',
    appliesTo: 'Userspace-datapath hosts with a connected multiqueue vhost-user guest.',
  },
  check({state, window}) {
    const guests = state.ports.filter(isConnectedVhost)
    if (guests.length === 0) return {notApplicable: 'no connected vhost-user guest'}
    const rxqs = state.pmds.flatMap((p) => p.rxqs)
    const findings = guests.flatMap((port): FindingDraft[] => {
      const pairs = queuePairs(port)
      const own = rxqs.filter((q) => q.port === port.name)
      const disabled = own.filter((q) => q.enabled === false).map((q) => q.queueId).sort((a, b) => a - b)
      const total = Math.max(pairs ?? 0, own.length)
      const fix = {kind: 'manual' as const, text: `In ${port.name}'s guest: ethtool -L <if> combined ${total} (the VM was given ${total} queue pairs).`}
      if (disabled.length > 0) {
        const enabled = total - disabled.length
        return [{
          subject: port.name,
          message: `${port.name}: ${disabled.length} of ${total} guest queues are disabled (queue ${disabled.join(', ')}): the guest enabled ${enabled}`,
          evidence: {queuePairs: pairs, rxqsListed: own.length, disabledQueues: disabled},
          limit: `${disabled.length} of ${total} guest queues disabled`,
          fixes: [fix],
        }]
      }
      if (total < 2) return []
      const deltas = windowQueueDeltas(window, port.name)
      if (!deltas) return []
      const moved = movingQueues(deltas.rx)
      if (moved.length !== 1 || moved[0] !== 0) return []
      return [{
        severity: 'info' as const,
        subject: port.name,
        message: `${port.name}: only queue 0 of ${total} carried the guest's traffic in the window (one flow uses one queue; with parallel flows the guest has enabled only one)`,
        evidence: {queuePairs: pairs, rxQueuesMoved: moved, rxDeltas: Object.fromEntries(deltas.rx)},
        fixes: [fix],
      }]
    })
    return {findings}
  },
})
