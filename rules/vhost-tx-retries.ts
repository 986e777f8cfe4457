import {defineRule} from '../src/engine/types.js'
import {formatShare} from './lib/format.js'
import {packetsDelta, portsOfClass, statDelta} from './lib/port-stats.js'
import {threshold} from './lib/thresholds.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'vhost-tx-retries',
    title: 'vhost-user tx retries: the guest is not draining its queue',
    severity: 'warning',
    group: 'vhost',
    kind: 'window',
    rationale:
      'When a guest rx virtqueue is full OVS retries the send (up to options:tx-retries-max, default 8) and counts ' +
      'statistics:ovs_tx_retries; every retry burns PMD cycles and precedes drops (OVS topics/dpdk/vhost-user.rst; ' +
      'FIELD C4). More than 1 % of sent packets means the VM cannot keep up.',
    inputs: [...OVS_PORT_SOURCES],
    thresholds: {maxRetryShare: 0.01},
    remediation:
      'Bigger virtqueues in the VM (cloud-hypervisor queue_size=1024, libvirt rx_queue_size/tx_queue_size=1024), more ' +
      'guest vCPUs and queues; check the guest is not CPU-bound.',
    field: 'C4',
    appliesTo: 'Userspace-datapath hosts with vhost-user ports, under load.',
  },
  check({window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const maxShare = threshold(thresholds, 'maxRetryShare')
    const ports = portsOfClass(window.during, 'vhost')
    if (ports.length === 0) return {notApplicable: 'no vhost-user ports'}
    const findings = []
    const unknownPorts: string[] = []
    for (const port of ports) {
      const retries = statDelta(window, port.name, 'ovs_tx_retries')
      const txPackets = packetsDelta(window, port.name, 'tx')
      if (retries === null || (txPackets === null && retries > 0)) {
        unknownPorts.push(port.name)
        continue
      }
      if (retries === 0) continue
      const share = txPackets! > 0 ? retries / txPackets! : Number.POSITIVE_INFINITY
      if (share <= maxShare) continue
      findings.push({
        subject: port.name,
        message: `${port.name}: ${retries} tx retries for ${txPackets} packets sent (${Number.isFinite(share) ? formatShare(share) : 'no packets sent'}, limit ${formatShare(maxShare)})`,
        evidence: {txRetries: retries, txPackets, retryShare: Number.isFinite(share) ? share : null, maxRetryShare: maxShare, txRetriesMax: port.options['tx-retries-max'] ?? null},
        fixes: [{kind: 'manual' as const, text: `Raise the virtqueue size of the VM on ${port.name} to 1024 (cloud-hypervisor --net ...,queue_size=1024) and give it enough vCPUs.`}],
      })
    }
    if (findings.length === 0 && unknownPorts.length > 0) return {unknown: `ovs_tx_retries or tx packets not reported for ${unknownPorts.join(', ')}`}
    return {findings}
  },
})
