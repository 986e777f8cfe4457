import {defineRule} from '../src/engine/types.js'
import {portsOfClass, statDelta} from './lib/port-stats.js'
import {threshold} from './lib/thresholds.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'mtu-mismatch',
    title: 'MTU differs between fast-path ports of a bridge',
    severity: 'warning',
    group: 'port-health',
    kind: 'snapshot',
    rationale:
      'OVS drops a frame larger than the output port MTU and counts it in statistics:ovs_tx_mtu_exceeded_drops ' +
      '(OVS 2.13+, FIELD §3.5). dpdk and vhost-user ports on one bridge with different MTUs drop large frames ' +
      'between them (topics/dpdk/jumbo-frames.rst); once that counter moves under load, packets are lost (FIELD B6).',
    inputs: [...OVS_PORT_SOURCES],
    thresholds: {maxMtuExceededDrops: 0},
    remediation: 'Set one MTU on every dpdk and vhost-user port of the bridge (`ovs-vsctl set Interface X mtu_request=N`) and the same MTU in the guests.',
    field: 'B6',
    appliesTo: 'Userspace-datapath hosts with DPDK or vhost-user ports.',
  },
  check({state, window, thresholds}) {
    const maxDrops = threshold(thresholds, 'maxMtuExceededDrops')
    const fastPorts = portsOfClass(state, 'dpdk', 'vhost')
    if (fastPorts.length === 0) return {notApplicable: 'no dpdk or vhost-user ports'}
    const mtuDrops = (port: string) => (window ? statDelta(window, port, 'ovs_tx_mtu_exceeded_drops') : null)
    const findings = []
    let judgedBridges = 0
    for (const bridge of [...new Set(fastPorts.map((p) => p.bridge))].sort()) {
      const ports = fastPorts.filter((p) => p.bridge === bridge)
      const known = ports.filter((p) => p.mtu !== null)
      const dropping = ports.filter((p) => (mtuDrops(p.name) ?? 0) > maxDrops)
      // Built only for a finding: a large host has thousands of ports per bridge.
      const evidence = () => ({
        mtus: Object.fromEntries(ports.map((p) => [p.name, p.mtu])),
        mtuExceededDrops: Object.fromEntries(ports.map((p) => [p.name, mtuDrops(p.name)])),
        maxMtuExceededDrops: maxDrops,
      })
      const mtus = [...new Set(known.map((p) => p.mtu!))].sort((a, b) => a - b)
      if (known.length >= 2 || dropping.length > 0) judgedBridges++
      if (mtus.length > 1) {
        const largest = mtus[mtus.length - 1]!
        findings.push({
          severity: dropping.length > 0 ? ('critical' as const) : ('warning' as const),
          subject: bridge,
          message: `${bridge}: fast-path MTUs differ (${known.map((p) => `${p.name} ${p.mtu}`).join(', ')})` +
            (dropping.length > 0 ? `; ${dropping.map((p) => `${p.name} dropped ${mtuDrops(p.name)} oversized frames`).join(', ')}` : ''),
          evidence: evidence(),
          fixes: known
            .filter((p) => p.mtu !== largest)
            .map((p) => ({kind: 'ovs-set' as const, table: 'Interface' as const, record: p.name, column: 'mtu_request', value: String(largest)})),
        })
        continue
      }
      // Same MTU in OVS but frames still too big: the guest or the peer sends larger frames.
      for (const p of dropping) {
        findings.push({
          severity: 'critical' as const,
          subject: p.name,
          message: `${p.name} dropped ${mtuDrops(p.name)} frames larger than its MTU ${p.mtu ?? '?'} during the window`,
          evidence: evidence(),
          fixes: [{kind: 'manual' as const, text: `Align the guest/peer MTU with ${p.name} (MTU ${p.mtu ?? '?'}), or raise mtu_request on the ${bridge} fast-path ports.`}],
        })
      }
    }
    if (findings.length === 0 && judgedBridges === 0 && fastPorts.some((p) => p.mtu === null)) {
      return {unknown: 'MTU not reported for enough fast-path ports to compare'}
    }
    return {findings}
  },
})
