/**
 * A12: patch ports joining bridges of different datapath types (they do not work), and, more
 * mildly, a host running both netdev and system bridges.
 */
import {defineRule} from '../src/engine/types.js'
import {bridgeOfPort, datapathTypeOf} from './lib/host.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'mixed-datapath-patch-ports',
    title: 'Patch ports across datapath types',
    severity: 'critical',
    group: 'kernel-bypass',
    kind: 'snapshot',
    rationale:
      'vswitch.xml: a patch port "does not work if its ends are attached to bridges on different datapaths" (system vs netdev), so traffic across it is lost or takes another path. ' +
      'Mixing system and netdev bridges on one host is legal but forces kernel hops between them; tripleo-validations warns about it on NFV computes.',
    inputs: [...OVS_PORT_SOURCES],
    thresholds: {},
    remediation: 'Use one datapath type along each traffic path: set datapath_type=netdev on both bridges of a patch pair (or system on both), and keep kernel-datapath bridges apart from the DPDK path.',
    field: 'A12',
    appliesTo: 'Hosts with a netdev bridge patched to a bridge of another datapath type.',
  },
  check({state}) {
    const findings = []
    const seen = new Set<string>()
    for (const port of state.ports) {
      if (port.class !== 'patch') continue
      const peerName = port.options['peer']
      const peer = peerName === undefined ? undefined : state.ports.find((p) => p.name === peerName)
      const bridge = bridgeOfPort(state, port.name)
      const peerBridge = peer ? bridgeOfPort(state, peer.name) : null
      if (!peer || !bridge || !peerBridge) continue
      const pair = [port.name, peer.name].sort().join('|')
      if (seen.has(pair)) continue
      seen.add(pair)
      const ownType = datapathTypeOf(bridge)
      const peerType = datapathTypeOf(peerBridge)
      if (ownType === peerType) continue
      // Name the pair from its netdev side: that is the DPDK bridge the operator is debugging.
      const [near, far] = ownType === 'netdev' ? [port, peer] : [peer, port]
      const [nearBridge, farBridge] = ownType === 'netdev' ? [bridge, peerBridge] : [peerBridge, bridge]
      findings.push({
        subject: near.name,
        message: `patch port ${near.name} (${datapathTypeOf(nearBridge)} bridge ${nearBridge.name}) peers with ${far.name} on ${datapathTypeOf(farBridge)} bridge ${farBridge.name}: patch ports do not work across datapath types`,
        evidence: {
          port: near.name,
          bridge: nearBridge.name,
          datapathType: datapathTypeOf(nearBridge),
          peer: far.name,
          peerBridge: farBridge.name,
          peerDatapathType: datapathTypeOf(farBridge),
        },
        fixes: [],
      })
    }
    if (findings.length === 0) {
      const types = [...new Set(state.bridges.map(datapathTypeOf))].sort()
      if (types.length > 1) {
        const list = state.bridges.map((b) => `${b.name} (${datapathTypeOf(b)})`).join(', ')
        findings.push({
          subject: 'host',
          severity: 'info' as const,
          message: `bridges of ${types.join(' and ')} datapath types on one host: ${list}; traffic between them crosses the kernel`,
          evidence: {bridges: state.bridges.map((b) => ({name: b.name, datapathType: datapathTypeOf(b)}))},
          fixes: [],
        })
      }
    }
    return {findings}
  },
})
