/**
 * Two ends of one path should agree: MTU of the DPDK and vhost-user ports, VLAN tags, the
 * userspace TSO setting, OVS and DPDK versions. A difference is a warning, each on its own line.
 */
import {defineCrossRule} from '../../src/cross/types.js'
import type {CrossSide} from '../../src/cross/types.js'
import {otherConfig} from '../lib/ovs-config.js'

const list = (values: Array<number | string | null>) => [...new Set(values.filter((v): v is number | string => v !== null).map(String))].sort()

function facts(side: CrossSide): Record<string, string> {
  const s = side.state
  const ports = (cls: 'dpdk' | 'vhost') => s.ports.filter((p) => p.class === cls)
  return {
    'MTU of the DPDK ports': list(ports('dpdk').map((p) => p.mtu)).join(', '),
    'MTU of the vhost-user ports': list(ports('vhost').map((p) => p.mtu)).join(', '),
    'VLAN tags of the VM and DPDK ports': list([...ports('vhost'), ...ports('dpdk')].map((p) => p.vlanTag)).join(', ') || 'untagged',
    'userspace-tso-enable': otherConfig(s, 'userspace-tso-enable') ?? 'false (unset)',
    'OVS version': s.versions.ovs ?? '',
    'DPDK version': s.versions.dpdk ?? '',
  }
}

export default defineCrossRule({
  meta: {
    id: 'cross-config-consistent',
    title: 'Both hosts configured alike (MTU, VLAN, TSO, versions)',
    severity: 'warning',
    kind: 'snapshot',
    rationale:
      'An MTU larger on one end drops or fragments the other\'s large frames; a VLAN tag on one side only drops everything; TSO on one side only changes what the guests send; different OVS or DPDK versions explain different behaviour under the same load.',
    thresholds: {},
    remediation: 'Make the named setting equal on both hosts (ovs-vsctl set Interface <port> mtu_request=<mtu>; set Port <port> tag=<vlan>; set Open_vSwitch . other_config:userspace-tso-enable=<value>).',
  },
  check({a, b}) {
    const fa = facts(a)
    const fb = facts(b)
    const findings = []
    for (const key of Object.keys(fa)) {
      const va = fa[key]!
      const vb = fb[key]!
      if (va === '' || vb === '' || va === vb) continue // unknown on one side: nothing to compare
      findings.push({subject: key, message: `${key} differ: ${a.name} ${va}, ${b.name} ${vb}`, evidence: {setting: key, [a.name]: va, [b.name]: vb}, fixes: []})
    }
    return {findings}
  },
})
