import {defineRule} from '../src/engine/types.js'
import type {FixAction} from '../src/engine/types.js'
import {portsOfClass, statDeltas} from './lib/port-stats.js'
import {threshold} from './lib/thresholds.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'qos-drops',
    title: 'Packets dropped by a QoS policer',
    severity: 'warning',
    group: 'drops',
    kind: 'window',
    rationale:
      'statistics:ovs_rx_qos_drops counts packets dropped by ingress policing (Interface:ingress_policing_rate) and ' +
      'ovs_tx_qos_drops by an egress QoS (Port:qos, e.g. egress-policer) (OVS 2.13+, FIELD C5, §3.5). A forgotten ' +
      'policer silently caps an iperf3 run.',
    inputs: [...OVS_PORT_SOURCES],
    thresholds: {maxDrops: 0},
    remediation:
      'Remove or raise the policer: `ovs-vsctl set Interface X ingress_policing_rate=0` for ingress, ' +
      '`ovs-vsctl clear Port X qos` for egress (check `ovs-appctl qos/show X` first).',
    field: 'C5',
    appliesTo: 'Userspace-datapath hosts with DPDK or vhost-user ports, under load.',
  },
  check({window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const maxDrops = threshold(thresholds, 'maxDrops')
    const ports = portsOfClass(window.during, 'dpdk', 'vhost')
    if (ports.length === 0) return {notApplicable: 'no dpdk or vhost-user ports'}
    const {readings, anyReported} = statDeltas(window, ports, ['ovs_rx_qos_drops', 'ovs_tx_qos_drops'])
    if (!anyReported) return {unknown: 'ovs_rx_qos_drops/ovs_tx_qos_drops not reported (OVS < 2.13 or statistics not read)'}
    const findings = []
    for (const {port, values} of readings) {
      const rx = values['ovs_rx_qos_drops'] ?? null
      const tx = values['ovs_tx_qos_drops'] ?? null
      const fixes: FixAction[] = []
      if ((rx ?? 0) > maxDrops) fixes.push({kind: 'ovs-set', table: 'Interface', record: port.name, column: 'ingress_policing_rate', value: '0'})
      if ((tx ?? 0) > maxDrops) fixes.push({kind: 'manual', text: `Check \`ovs-appctl qos/show ${port.name}\`; remove the egress QoS with \`ovs-vsctl clear Port ${port.name} qos\` or raise its rate.`})
      if (fixes.length === 0) continue
      findings.push({
        subject: port.name,
        message: `${port.name}: QoS dropped ${rx ?? 0} rx and ${tx ?? 0} tx packets in ${window.durationS} s`,
        evidence: {rxQosDrops: rx, txQosDrops: tx, maxDrops},
        fixes,
      })
    }
    return {findings}
  },
})
