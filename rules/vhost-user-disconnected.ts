import {defineRule} from '../src/engine/types.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'vhost-user-disconnected',
    title: 'vhost-user port not connected to its VM',
    severity: 'critical',
    group: 'vhost',
    kind: 'snapshot',
    rationale:
      'A vhost-user port reports status:status=connected once the guest (cloud-hypervisor, QEMU) has opened the socket ' +
      'and negotiated its virtqueues; disconnected, or link_state down, means no packet can reach the VM ' +
      '(OVS topics/dpdk/vhost-user.rst; FIELD B5, §3.5).',
    inputs: [...OVS_PORT_SOURCES],
    thresholds: {},
    remediation:
      'Check that the VM is running and that its socket path and role match the port: dpdkvhostuserclient with ' +
      'options:vhost-server-path pairs with a VM in server mode (cloud-hypervisor vhost_mode=server); restart the VM after OVS.',
    field: 'B5',
    appliesTo: 'Userspace-datapath hosts with vhost-user ports.',
  },
  check({state}) {
    const vhostPorts = state.ports.filter((p) => p.class === 'vhost')
    if (vhostPorts.length === 0) return {notApplicable: 'no vhost-user ports'}
    const findings = []
    const unknownPorts: string[] = []
    for (const port of vhostPorts) {
      const connection = port.status['status'] ?? null
      const linkDown = port.linkState?.toLowerCase() === 'down'
      if (connection === null && port.linkState === null) {
        unknownPorts.push(port.name)
        continue
      }
      if (connection !== 'disconnected' && !linkDown) continue
      const socket = port.options['vhost-server-path'] ?? port.status['socket'] ?? null
      findings.push({
        subject: port.name,
        message: `${port.name} is ${connection ?? 'link down'} (link_state ${port.linkState ?? '?'}, socket ${socket ?? '?'})`,
        evidence: {status: connection, linkState: port.linkState, mode: port.status['mode'] ?? null, socket, type: port.type},
        fixes: [{kind: 'manual' as const, text: `Start the VM of ${port.name} (or restart it after OVS) and check that it uses socket ${socket ?? '<vhost-server-path>'} in the opposite role.`}],
      })
    }
    if (findings.length === 0 && unknownPorts.length > 0) return {unknown: `no connection status or link state for ${unknownPorts.join(', ')}`}
    return {findings}
  },
})
