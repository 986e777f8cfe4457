import {defineRule} from '../src/engine/types.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'interface-attach-error',
    title: 'OVS interface failed to attach',
    severity: 'critical',
    group: 'port-health',
    kind: 'snapshot',
    rationale:
      'OVS records why it could not open an interface in Interface:error and sets ofport to -1 (vswitch.xml). ' +
      'Such a port forwards nothing: typical causes are wrong dpdk-devargs, a NIC not probed by DPDK, ' +
      'or a vhost socket path that cannot be created (FIELD B1).',
    inputs: [...OVS_PORT_SOURCES],
    thresholds: {},
    remediation:
      'Read the error and ovs-vswitchd.log; fix options:dpdk-devargs, the NIC driver binding or the vhost socket path, ' +
      'then re-add the port (or restart ovs-vswitchd).',
    field: 'B1',
    appliesTo: 'Userspace-datapath hosts (any OVS interface of a host that has a netdev bridge or DPDK/vhost-user ports).',
  },
  check({state}) {
    if (state.ports.length === 0) return {notApplicable: 'no OVS interfaces'}
    const findings = state.ports
      .filter((p) => (p.error !== null && p.error.trim() !== '') || p.ofport === -1)
      .map((p) => ({
        subject: p.name,
        message: `${p.name} (type ${p.type || 'system'}) is not attached: ofport ${p.ofport ?? 'unset'}, error "${p.error ?? ''}"`,
        evidence: {type: p.type, ofport: p.ofport, error: p.error, devargs: p.options['dpdk-devargs'] ?? null},
        fixes: [{kind: 'manual' as const, text: `Check ovs-vswitchd.log for ${p.name} and fix its options (dpdk-devargs, vhost-server-path) or driver binding.`}],
      }))
    if (findings.length === 0 && state.ports.every((p) => p.ofport === null)) {
      return {unknown: 'no interface has an ofport recorded: cannot tell attached ports from failed ones'}
    }
    return {findings}
  },
})
