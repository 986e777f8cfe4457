import {defineRule} from '../src/engine/types.js'
import type {FixAction} from '../src/engine/types.js'
import {packetsDelta, portsOfClass, statDeltas} from './lib/port-stats.js'
import {threshold} from './lib/thresholds.js'

/** A deeper tx ring than the OVS default (2048) for dpdk ports that overflow theirs. */
const SUGGESTED_TXQ_DESC = 4096

export default defineRule({
  meta: {
    id: 'tx-failure-drops',
    title: 'Packets dropped because a tx queue was full',
    severity: 'critical',
    group: 'drops',
    kind: 'window',
    rationale:
      'statistics:ovs_tx_failure_drops (OVS 2.13+) counts packets the PMD could not hand to the NIC or the guest ' +
      'because the tx queue was full (FIELD C3, §3.5). For vhost-user ports the guest is not draining its rx ring; ' +
      'for dpdk ports the NIC tx ring is too small or the wire is saturated.',
    inputs: ['ovsdb-interface'],
    thresholds: {maxDrops: 0},
    remediation:
      'vhost-user: bigger virtqueues in the VM (cloud-hypervisor queue_size=1024) and more guest vCPUs/queues. ' +
      'dpdk: a deeper tx ring (options:n_txq_desc) and enough tx queues.',
    field: 'C3',
  },
  check({window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const maxDrops = threshold(thresholds, 'maxDrops')
    const ports = portsOfClass(window.during, 'dpdk', 'vhost')
    if (ports.length === 0) return {notApplicable: 'no dpdk or vhost-user ports'}
    const {readings, anyReported} = statDeltas(window, ports, ['ovs_tx_failure_drops'])
    if (!anyReported) return {unknown: 'ovs_tx_failure_drops not reported (OVS < 2.13 or statistics not read)'}
    const findings = readings
      .filter((r) => (r.values['ovs_tx_failure_drops'] ?? 0) > maxDrops)
      .map(({port, values}) => {
        const drops = values['ovs_tx_failure_drops']!
        const txPackets = packetsDelta(window, port.name, 'tx')
        const fixes: FixAction[] =
          port.class === 'dpdk'
            ? [{kind: 'ovs-set', table: 'Interface', record: port.name, column: 'options:n_txq_desc', value: String(SUGGESTED_TXQ_DESC)}]
            : [{kind: 'manual', text: `Give the VM on ${port.name} bigger virtqueues (queue_size=1024) and enough vCPUs to drain them.`}]
        return {
          subject: port.name,
          message: `${port.name} dropped ${drops} packets on a full tx queue in ${window.durationS} s (tx ${txPackets ?? '?'} packets)`,
          evidence: {txFailureDrops: drops, txPackets, maxDrops, nTxqDesc: port.options['n_txq_desc'] ?? null},
          fixes,
        }
      })
    return {findings}
  },
})
