import {defineRule} from '../src/engine/types.js'
import {formatShare} from './lib/format.js'
import {packetsDelta, portsOfClass, statDelta} from './lib/port-stats.js'
import {threshold} from './lib/thresholds.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'dpdk-rx-missed',
    title: 'NIC dropped packets the PMD did not poll in time',
    severity: 'critical',
    group: 'drops',
    kind: 'window',
    rationale:
      'statistics:rx_missed_errors is DPDK imissed: packets the NIC dropped because its rx ring was full, i.e. the ' +
      'PMD did not poll the queue fast enough (OVS topics/dpdk/pmd.rst; FIELD C1, §3.5). Under load this caps ' +
      'throughput and shows up as TCP retransmits.',
    inputs: [...OVS_PORT_SOURCES],
    thresholds: {maxMissed: 0, criticalShare: 0.001},
    remediation:
      'Give the port more rx queues (options:n_rxq) and PMD cores (pmd-cpu-mask), isolate the PMD cores, raise ' +
      'options:n_rxq_desc; check pmd-saturated and rxq-imbalance.',
    field: 'C1',
    appliesTo: 'Userspace-datapath hosts with a DPDK port, under load.',
  },
  check({window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const maxMissed = threshold(thresholds, 'maxMissed')
    const criticalShare = threshold(thresholds, 'criticalShare')
    const ports = portsOfClass(window.during, 'dpdk')
    if (ports.length === 0) return {notApplicable: 'no dpdk ports'}
    const findings = []
    const unknownPorts: string[] = []
    for (const port of ports) {
      const missed = statDelta(window, port.name, 'rx_missed_errors')
      if (missed === null) {
        unknownPorts.push(port.name)
        continue
      }
      if (missed <= maxMissed) continue
      const rxPackets = packetsDelta(window, port.name, 'rx')
      // Missed packets never reach rx_packets: compare with what the NIC saw in total.
      const share = rxPackets === null ? null : missed / (rxPackets + missed)
      const critical = share !== null && share > criticalShare
      findings.push({
        severity: critical ? ('critical' as const) : ('warning' as const),
        subject: port.name,
        message: `${port.name} missed ${missed} packets in ${window.durationS} s` +
          (share === null ? ' (rx packets unknown)' : ` (${formatShare(share)} of ${missed + rxPackets!} received)`),
        evidence: {rxMissed: missed, rxPackets, missedShare: share, maxMissed, criticalShare, nRxq: port.options['n_rxq'] ?? port.status['n_rxq'] ?? null, nRxqDesc: port.options['n_rxq_desc'] ?? null},
        fixes: [{kind: 'manual' as const, text: `Add rx queues (ovs-vsctl set Interface ${port.name} options:n_rxq=N) and PMD cores polling them; isolate the PMD cores.`}],
      })
    }
    if (findings.length === 0 && unknownPorts.length > 0) return {unknown: `rx_missed_errors not reported for ${unknownPorts.join(', ')}`}
    return {findings}
  },
})
