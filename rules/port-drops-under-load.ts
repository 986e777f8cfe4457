import {defineRule} from '../src/engine/types.js'
import {pathsByName, portsOfClass, statDelta} from './lib/port-stats.js'
import {threshold} from './lib/thresholds.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

const KEYS = ['rx_dropped', 'tx_dropped', 'rx_errors', 'tx_errors'] as const

export default defineRule({
  meta: {
    id: 'port-drops-under-load',
    title: 'Fast-path port dropped packets under load',
    severity: 'warning',
    group: 'drops',
    kind: 'window',
    rationale:
      'rx/tx dropped and error counters of dpdk and vhost-user ports sum every loss OVS and the driver account for ' +
      '(OVS vswitchd/bridge.c statistics, FIELD C2, §3.5). Any loss during the load shows up as TCP retransmits and ' +
      'lower iperf3 throughput; the specific drop rules tell why. Judged as a share of the packets the port ' +
      'moved, so a VM descheduled for a moment (a handful of drops in millions) is not reported.',
    inputs: [...OVS_PORT_SOURCES],
    thresholds: {maxShare: 0.001},
    remediation: 'Find the cause with the specific counters: dpdk-rx-missed, tx-failure-drops, vhost-tx-retries, qos-drops, mtu-mismatch.',
    field: 'C2',
    appliesTo: 'Userspace-datapath hosts with DPDK or vhost-user ports, under load.',
  },
  check({window, thresholds}) {
    if (!window) return {unknown: 'needs a load window'}
    const maxShare = threshold(thresholds, 'maxShare')
    const ports = portsOfClass(window.during, 'dpdk', 'vhost')
    if (ports.length === 0) return {notApplicable: 'no dpdk or vhost-user ports'}
    let anyReported = false
    const findings = []
    const paths = pathsByName(window) // once, not a scan of every path per port
    for (const port of ports) {
      const path = paths.get(port.name)
      // The live path counters and OVSDB statistics count the same drops: take the larger, never the sum.
      const live: Record<(typeof KEYS)[number], number | null> = {rx_dropped: path?.rxDropped ?? null, tx_dropped: path?.txDropped ?? null, rx_errors: null, tx_errors: null}
      const counts = Object.fromEntries(
        KEYS.map((k) => {
          const values = [statDelta(window, port.name, k), live[k]].filter((v): v is number => v !== null)
          return [k, values.length > 0 ? Math.max(...values) : null]
        }),
      ) as Record<(typeof KEYS)[number], number | null>
      if (Object.values(counts).some((v) => v !== null)) anyReported = true
      // Without live counters for the port the share is unknown: then any loss is reported.
      const moved = path ? path.rxPackets + path.txPackets : null
      const lost = KEYS.reduce((sum, k) => sum + (counts[k] ?? 0), 0)
      const share = moved === null ? null : lost / Math.max(1, moved + lost)
      const over = KEYS.filter((k) => (counts[k] ?? 0) > 0)
      if (over.length === 0 || (share !== null && share <= maxShare)) continue
      findings.push({
        subject: port.name,
        message: `${port.name} lost packets during the ${window.durationS} s load: ${over.map((k) => `${k} ${counts[k]}`).join(', ')}`,
        evidence: {...counts, packets: moved, lossShare: share, maxShare},
        fixes: [{kind: 'manual' as const, text: `Check the specific drop counters of ${port.name} (rx_missed_errors, ovs_tx_failure_drops, ovs_tx_retries, ovs_*_qos_drops, ovs_tx_mtu_exceeded_drops).`}],
      })
    }
    if (!anyReported) return {unknown: 'no drop or error counter reported for the dpdk/vhost ports'}
    return {findings}
  },
})
