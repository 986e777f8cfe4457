/**
 * Two hosts must differ: the same machine-id and the same NICs is one host given twice (two
 * bundles of one capture, an alias of the same machine); a VM MAC on both hosts is a cloned VM
 * (two VMs answering for one MAC break L2 learning); a NIC MAC on both is a cloned host config.
 */
import {defineCrossRule} from '../../src/cross/types.js'
import {nicMacs, vmMacs} from './lib.js'

export default defineCrossRule({
  meta: {
    id: 'cross-identity-distinct',
    title: 'The two hosts are two hosts (machine-id, MACs)',
    severity: 'critical',
    kind: 'snapshot',
    rationale:
      'Correlating a host with itself proves nothing: the same machine-id with the same NIC MACs is one host (or one bundle) given twice. The same VM MAC behind both hosts\' vhost ports is a cloned VM; each bridge then learns it on its own vhost port and never sends to the other host.',
    thresholds: {},
    remediation: 'Give two different hosts (or bundles). For a cloned VM, give it its own MAC (libvirt <mac address=...>, qemu -device virtio-net-pci,mac=...).',
  },
  check({a, b}) {
    const findings = []
    const nicA = nicMacs(a.state)
    const nicB = nicMacs(b.state)
    const sharedNics = [...nicA.keys()].filter((m) => nicB.has(m))
    const sameMachine = a.host.machineId !== null && a.host.machineId === b.host.machineId
    const sameInterfaces = a.state.interfaces.length > 0 && a.state.interfaces.map((i) => `${i.ifname}/${i.mac}`).sort().join() === b.state.interfaces.map((i) => `${i.ifname}/${i.mac}`).sort().join()
    if (sameMachine && sameInterfaces) {
      findings.push({
        subject: 'machine-id',
        message: `${a.name} and ${b.name} are one host: the same machine-id ${a.host.machineId} and the same interfaces and MACs`,
        evidence: {machineId: a.host.machineId},
        fixes: [],
      })
    } else {
      for (const mac of sharedNics) {
        findings.push({subject: `NIC ${mac}`, severity: 'warning' as const, message: `NIC MAC ${mac} is on both hosts (${a.name} ${nicA.get(mac)}, ${b.name} ${nicB.get(mac)}): a cloned configuration`, evidence: {mac}, fixes: []})
      }
      if (sameMachine) {
        findings.push({subject: 'machine-id', severity: 'info' as const, message: `${a.name} and ${b.name} share machine-id ${a.host.machineId} but not their interfaces: namespaces or containers on one machine, or a cloned image`, evidence: {machineId: a.host.machineId}, fixes: []})
      }
    }
    const vmA = vmMacs(a.state)
    const vmB = vmMacs(b.state)
    for (const [mac, port] of vmA) {
      if (!vmB.has(mac)) continue
      findings.push({subject: `VM ${mac}`, message: `VM MAC ${mac} is behind a vhost-user port on both hosts (${a.name} ${port}, ${b.name} ${vmB.get(mac)}): a cloned VM MAC`, evidence: {mac, [a.name]: port, [b.name]: vmB.get(mac)}, fixes: []})
    }
    return {findings}
  },
})
