import {defineRule} from '../src/engine/types.js'
import type {FixAction} from '../src/engine/types.js'
import {packetsDelta, portsOfClass, statDeltas} from './lib/port-stats.js'
import {threshold} from './lib/thresholds.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

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
      'for dpdk ports the NIC tx ring is too small or the wire is saturated. Judged as a share of the packets the ' +
      'port sent: a VM descheduled for a moment drops a few (the lab measures ~0.1 %), a sustained share costs TCP throughput.',
    inputs: [...OVS_PORT_SOURCES],
    thresholds: {warnShare: 0.001, failShare: 0.01},
    remediation:
      'vhost-user: bigger virtqueues in the VM (cloud-hypervisor queue_size=1024) and more guest vCPUs/queues. ' +
      'dpdk: a deeper tx ring (options:n_txq_desc) and enough tx queues.',
    field: 'C3',
    appliesTo: 'Userspace-datapath hosts with DPDK or vhost-user ports, under load.',
  },
  check({window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const warnShare = threshold(thresholds, 'warnShare')
    const failShare = threshold(thresholds, 'failShare')
    const ports = portsOfClass(window.during, 'dpdk', 'vhost')
    if (ports.length === 0) return {notApplicable: 'no dpdk or vhost-user ports'}
    const {readings, anyReported} = statDeltas(window, ports, ['ovs_tx_failure_drops'])
    if (!anyReported) return {unknown: 'ovs_tx_failure_drops not reported (OVS < 2.13 or statistics not read)'}
    const findings = readings
      .map(({port, values}) => {
        const drops = values['ovs_tx_failure_drops'] ?? 0
        const txPackets = packetsDelta(window, port.name, 'tx')
        // Without a packet count the share is unknown: any drop is then worth a warning.
        const share = txPackets === null ? null : drops / Math.max(1, txPackets + drops)
        return {port, drops, txPackets, share}
      })
      .filter(({drops, share}) => drops > 0 && (share === null || share > warnShare))
      .map(({port, drops, txPackets, share}) => {
        const fixes: FixAction[] =
          port.class === 'dpdk'
            ? [{kind: 'ovs-set', table: 'Interface', record: port.name, column: 'options:n_txq_desc', value: String(SUGGESTED_TXQ_DESC)}]
            : [{kind: 'manual', text: `Give the VM on ${port.name} bigger virtqueues (queue_size=1024) and enough vCPUs to drain them.`}]
        return {
          severity: share !== null && share > failShare ? ('critical' as const) : ('warning' as const),
          subject: port.name,
          message: `${port.name} dropped ${drops} packets on a full tx queue in ${window.durationS} s (tx ${txPackets ?? '?'} packets${share === null ? '' : `, ${(share * 100).toFixed(2)} %`})`,
          evidence: {txFailureDrops: drops, txPackets, dropShare: share, warnShare, failShare, nTxqDesc: port.options['n_txq_desc'] ?? null},
          fixes,
        }
      })
    return {findings}
  },
})
