/**
 * Each VM's MAC (learned on its host's vhost-user port) should be learned on the other host's DPDK
 * port: that is where its frames arrive. On the LOCAL port, or not at all while the peer's DPDK
 * port learned the host's own kernel NIC MAC, the VM's traffic was routed by its host's kernel.
 */
import {defineCrossRule} from '../../src/cross/types.js'
import type {CrossSide} from '../../src/cross/types.js'
import {kernelMacs, vmMacs} from './lib.js'

function oneWay(from: CrossSide, to: CrossSide) {
  const vms = vmMacs(from.state)
  const findings = []
  const dpdk = new Set(to.state.ports.filter((p) => p.class === 'dpdk').map((p) => p.name))
  const fromKernel = kernelMacs(from.state)
  for (const [mac, vhost] of vms) {
    const rows = to.state.fdb.filter((r) => r.mac.toLowerCase() === mac)
    const onDpdk = rows.filter((r) => r.portName && dpdk.has(r.portName))
    if (onDpdk.length > 0) continue
    const elsewhere = rows.map((r) => r.portName ?? `port ${r.port}`)
    const hostMacsSeen = to.state.fdb.filter((r) => r.portName && dpdk.has(r.portName) && fromKernel.has(r.mac.toLowerCase())).map((r) => `${r.mac} (${fromKernel.get(r.mac.toLowerCase())})`)
    if (elsewhere.length === 0 && !from.window) continue // not learned and no load: aged out, nothing to say
    const why =
      elsewhere.length > 0
        ? `learned on ${elsewhere.join(', ')}, not on the DPDK port`
        : hostMacsSeen.length > 0
          ? `never learned; its DPDK port learned ${from.name}'s own kernel MAC ${hostMacsSeen.join(', ')} instead: ${from.name}'s kernel routed the VM's traffic`
          : 'never learned during the load'
    findings.push({
      subject: `${to.name} ${mac}`,
      message: `${from.name}'s VM ${mac} (on ${vhost}) on ${to.name}: ${why}`,
      evidence: {vmHost: from.name, vmMac: mac, vhostPort: vhost, peer: to.name, peerPorts: elsewhere, peerDpdkPorts: [...dpdk], hostMacsOnPeerDpdk: hostMacsSeen},
      fixes: [],
    })
  }
  return {vms: vms.size, findings}
}

export default defineCrossRule({
  meta: {
    id: 'cross-fdb-symmetric',
    title: "FDB: each VM's MAC learned on the other host's DPDK port",
    severity: 'critical',
    kind: 'snapshot',
    rationale:
      'A frame from a VM on host A reaches host B on B\'s DPDK port, so B\'s bridge learns the VM\'s MAC there. The MAC on B\'s LOCAL (internal) port, or B learning A\'s host NIC MAC instead of the VM\'s, means A\'s kernel routed the traffic (the seed case seen from the other side).',
    thresholds: {},
    remediation: 'See the named host\'s own report: its VM traffic leaves through the kernel (addresses on the bridge\'s internal port, a route through it).',
  },
  check({a, b}) {
    const ab = oneWay(a, b)
    const ba = oneWay(b, a)
    if (ab.vms === 0 && ba.vms === 0) return {unknown: 'no VM MAC learned on either host\'s vhost-user ports'}
    return {findings: [...ab.findings, ...ba.findings]}
  },
})
