/**
 * The bytes one host's DPDK port sent should arrive on the other's: A's dpdk tx ≈ B's dpdk rx ≈
 * the load's bytes (plus headers). tx well above rx is loss between them; a side whose DPDK port
 * moved ~nothing while the load ran sent it through its kernel.
 */
import {defineCrossRule} from '../../src/cross/types.js'
import type {CrossSide} from '../../src/cross/types.js'
import {formatBytes} from '../lib/format.js'
import {dpdkBytes, kernelNicBytes, pct} from './lib.js'

export default defineCrossRule({
  meta: {
    id: 'cross-wire-accounting',
    title: "Wire accounting: one host's DPDK tx is the other's DPDK rx",
    severity: 'critical',
    kind: 'window',
    rationale:
      'On the seed path vhost-user1 -> ovsbr0 -> dpdk0 -> wire -> dpdk0 -> ovsbr0 -> vhost-user1 every byte the sender\'s dpdk0 transmits is received by the peer\'s dpdk0. ' +
      'Bytes that leave one side and never arrive were lost on the wire (or the NIC dropped them); a side whose dpdk0 stays idle while the load runs put the traffic on the wire through its kernel.',
    thresholds: {lossShare: 0.05, idleShare: 0.1, minBytes: 1_000_000},
    remediation: 'Loss between the hosts: check the NICs\' rx_missed/imissed and the switch in between. A side whose DPDK port was idle: see that host\'s own report (its kernel path).',
  },
  check({a, b, thresholds}) {
    const aw = a.window!
    const bw = b.window!
    const A = dpdkBytes(aw)
    const B = dpdkBytes(bw)
    if (A.ports.length === 0 || B.ports.length === 0) return {unknown: `no DPDK port counters on ${A.ports.length === 0 ? a.name : b.name}`}
    const load = Math.max(aw.loadBytesInWindow ?? 0, bw.loadBytesInWindow ?? 0)
    // The direction the load took: the larger of the two one-way flows.
    const flows = [
      {from: a, to: b, tx: A.tx, rx: B.rx},
      {from: b, to: a, tx: B.tx, rx: A.rx},
    ]
    const flow = flows[0]!.tx + flows[0]!.rx >= flows[1]!.tx + flows[1]!.rx ? flows[0]! : flows[1]!
    const moved = Math.max(flow.tx, flow.rx, load)
    const evidence = {
      [`${a.name}.dpdkTxBytes`]: A.tx,
      [`${a.name}.dpdkRxBytes`]: A.rx,
      [`${b.name}.dpdkTxBytes`]: B.tx,
      [`${b.name}.dpdkRxBytes`]: B.rx,
      loadBytes: load || null,
      thresholds,
    }
    if (moved < thresholds.minBytes!) return {unknown: `the load moved under ${formatBytes(thresholds.minBytes!)} on the DPDK ports and per iperf3: nothing to account`}
    const idle = (x: number) => x < moved * thresholds.idleShare!
    const kernelOf = (side: CrossSide) => kernelNicBytes(side.window!)
    const findings = []
    if (idle(flow.tx) && idle(flow.rx)) {
      // Neither DPDK port carried it: whose kernel NIC did?
      const sides = [a, b].filter((s) => {
        const k = kernelOf(s)
        return k.tx + k.rx >= moved * thresholds.idleShare!
      })
      const named = sides.length > 0 ? sides.map((s) => `${s.name} (${kernelOf(s).ports.join(', ')})`).join(' and ') : 'neither host\'s NIC netdevs either (another path)'
      findings.push({
        subject: `${a.name} <-> ${b.name}`,
        message: `both DPDK ports stayed idle under ${formatBytes(moved)} of load: the kernel of ${named} carried it`,
        evidence: {...evidence, kernelCarriers: sides.map((s) => s.name)},
        fixes: [],
      })
    } else if (idle(flow.tx)) {
      findings.push({
        subject: flow.from.name,
        message: `${flow.from.name}'s DPDK port sent ${formatBytes(flow.tx)} while ${flow.to.name}'s received ${formatBytes(flow.rx)}: ${flow.from.name}'s kernel put the traffic on the wire`,
        evidence: {...evidence, kernelCarriers: [flow.from.name]},
        fixes: [],
      })
    } else if (idle(flow.rx)) {
      findings.push({
        subject: flow.to.name,
        message: `${flow.from.name}'s DPDK port sent ${formatBytes(flow.tx)} but ${flow.to.name}'s received ${formatBytes(flow.rx)}: ${flow.to.name}'s kernel took the traffic off the wire (or it never reached its DPDK port)`,
        evidence: {...evidence, kernelCarriers: [flow.to.name]},
        fixes: [],
      })
    } else if (flow.rx < flow.tx * (1 - thresholds.lossShare!)) {
      findings.push({
        subject: `${flow.from.name} -> ${flow.to.name}`,
        message: `${pct(1 - flow.rx / flow.tx)} of the bytes ${flow.from.name}'s DPDK port sent (${formatBytes(flow.tx)}) never reached ${flow.to.name}'s (${formatBytes(flow.rx)}): lost between them`,
        evidence: {...evidence, lossShare: 1 - flow.rx / flow.tx},
        fixes: [],
      })
    }
    return {findings}
  },
})
