import {defineRule} from '../src/engine/types.js'
import type {FindingDraft} from '../src/engine/types.js'
import {unquote} from './lib/ovs-config.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'
import {isConnectedVhost, movingQueues, ovsAtLeast, vhostTxQueues, windowQueueDeltas} from './lib/vhost.js'

export default defineRule({
  meta: {
    id: 'vhost-txq-unused',
    title: 'vhost Tx queues left unused by thread Tx steering',
    severity: 'warning',
    group: 'vhost',
    kind: 'snapshot',
    rationale:
      'With the default Tx steering (Interface other_config:tx-steering=thread) each OVS thread sends on one Tx queue ' +
      'of a port; with more Tx queues than threads (PMDs + the main thread) the rest are never used ' +
      '(topics/userspace-tx-steering.rst), so a guest given 8 queue pairs and served by 4 PMDs receives on 5: ' +
      'its extra vCPUs and rx queues idle. Judged from the port\'s Tx queue count (status:n_txq, else ' +
      'num_of_vrings / 2) and the PMD count; a load window adds the queues that moved (tx_qN_good_packets deltas ' +
      'of the Interface statistics, which OVSDB refreshes every 5 s).',
    inputs: ['pmd-rxq', ...OVS_PORT_SOURCES],
    thresholds: {},
    remediation:
      'ovs-vsctl set Interface <port> other_config:tx-steering=hash (spreads by 5-tuple hash over every queue, at the ' +
      'cost of a Tx lock), or add PMD cores so there is a thread per queue.',
    field: 'E1',
    appliesTo: 'Userspace-datapath hosts with a connected multiqueue vhost-user guest.',
  },
  check({state, window}) {
    const guests = state.ports.filter(isConnectedVhost)
    if (guests.length === 0) return {notApplicable: 'no connected vhost-user guest'}
    if (state.pmds.length === 0) return {unknown: 'no PMD threads listed by pmd-rxq-show'}
    const threads = state.pmds.length + 1
    const hashKnown = ovsAtLeast(state.versions.ovs, 2, 17)
    const undecided: string[] = []
    const findings = guests.flatMap((port): FindingDraft[] => {
      const txqs = vhostTxQueues(port)
      if (txqs === null) {
        undecided.push(port.name)
        return []
      }
      const steering = unquote(port.otherConfig['tx-steering'] ?? 'thread')
      const pmds = state.pmds.length
      // The PMDs carry the fast path; the main thread's queue only gets what kernel-side ports send.
      if (steering === 'hash' || txqs <= pmds) return []
      const deltas = windowQueueDeltas(window, port.name)
      const total = deltas ? [...deltas.tx.values()].reduce((a, b) => a + b, 0) : 0
      // A queue "moved" with at least 1 % of the port's Tx packets: the main thread's ARP trickle is not use.
      const moved = deltas && total > 0 ? movingQueues(new Map([...deltas.tx].filter(([, v]) => v >= total * 0.01))) : null
      if (moved !== null && moved.length >= txqs) return []
      const neverUsed = Math.max(0, txqs - threads)
      const unused = moved !== null ? txqs - moved.length : neverUsed > 0 ? neverUsed : txqs - pmds
      const what = neverUsed > 0 || moved !== null ? 'unused' : 'get no PMD traffic'
      const observed = moved !== null ? `; in the window queue${moved.length === 1 ? '' : 's'} ${moved.join(', ') || 'none'} carried it` : ''
      const hashFix = hashKnown === false
        ? `upgrade OVS to 2.17 or later for other_config:tx-steering=hash, or add PMD cores (${txqs} PMDs give every queue one)`
        : `ovs-vsctl set Interface ${port.name} other_config:tx-steering=hash, or add PMD cores (${txqs} PMDs give every queue one)`
      return [{
        subject: port.name,
        message: `${port.name}: ${unused} of ${txqs} Tx queues ${what}: Tx steering "${steering}" gives each OVS thread one queue (${pmds} PMD${pmds === 1 ? '' : 's'} + the main thread, which sends only kernel-side traffic)${observed}`,
        evidence: {txQueues: txqs, threads, pmdCount: pmds, txSteering: steering, unused, neverUsed, movedInWindow: moved, nTxq: port.status['n_txq'] ?? null, numOfVrings: port.status['num_of_vrings'] ?? null},
        limit: `${unused} of ${txqs} vhost Tx queues ${what}`,
        fixes: [{kind: 'manual' as const, text: hashFix.replace(/^./, (c) => c.toUpperCase()) + '.'}],
      }]
    })
    if (findings.length === 0 && undecided.length === guests.length) return {unknown: `Tx queue count not reported for ${undecided.join(', ')}`}
    return {findings}
  },
})
