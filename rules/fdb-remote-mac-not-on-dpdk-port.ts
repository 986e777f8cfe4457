/**
 * A8: during a cross-host load the bridge should learn the remote VMs' MACs on the DPDK port.
 * The host's own kernel NIC MAC there (the seed's signature), or no remote MAC at all, means the
 * VMs talk to the host kernel, which then puts the traffic on the wire by itself.
 */
import {defineRule} from '../src/engine/types.js'
import type {FdbRow, HostState, KernelInterface} from '../src/model/host-state.js'
import {hasSource} from '../src/model/host-state.js'
import {formatBytes} from './lib/format.js'
import {datapathTypeOf} from './lib/host.js'
import {LOAD_VALIDITY_INPUTS, invalidLoadOutcome} from './lib/load-validity.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

/** Kernel interfaces whose MAC seen on a DPDK port is not the bypass signature. */
const IGNORED_ROLES = new Set<KernelInterface['role']>(['loopback', 'ovs-datapath', 'dpdk-backend'])

function hostMacs(...states: HostState[]): Map<string, string> {
  const owners = new Map<string, string>()
  for (const state of states) {
    for (const i of state.interfaces) {
      if (i.mac === null || IGNORED_ROLES.has(i.role) || /^(00:){5}00$/.test(i.mac)) continue
      if (!owners.has(i.mac.toLowerCase())) owners.set(i.mac.toLowerCase(), i.ifname)
    }
  }
  return owners
}

export default defineRule({
  meta: {
    id: 'fdb-remote-mac-not-on-dpdk-port',
    title: 'FDB: remote MACs not learned on the DPDK port during load',
    severity: 'critical',
    group: 'kernel-bypass',
    kind: 'window',
    rationale:
      'When OVS switches VM traffic to another host, the bridge learns the remote MACs on the DPDK port (bookpanda/microvm-networking expected "MACs on port 6 (dpdk0) and port 2 (vhost-user1)"). ' +
      'In the seed case dpdk0 learned only the host\'s own kernel NIC MAC and no remote MAC: the VMs sent to the host kernel, which forwarded on the wire through its own netdev (LAB.md section 10).',
    inputs: [...LOAD_VALIDITY_INPUTS, 'fdb', ...OVS_PORT_SOURCES],
    thresholds: {},
    remediation:
      'Make the bridge pure L2 (no IPs on the internal port, none on the NIC\'s kernel netdev) so the VMs resolve the remote VMs directly; check that VLAN tags match on both hosts. ' +
      'Confirm with ovs-appctl ofproto/trace <bridge> in_port=<vhost>,dl_src=<vm mac>,dl_dst=<peer mac>: the output port should be the DPDK port.',
    field: 'A8',
    appliesTo: 'Userspace-datapath hosts: a netdev bridge with a DPDK port and a loaded vhost-user port, under a cross-host VM load.',
  },
  check({window}) {
    if (!window) return {unknown: 'needs a load window'}
    const invalid = invalidLoadOutcome(window)
    if (invalid) return invalid
    const {during} = window
    const ownMacs = hostMacs(window.before, during)
    const findings = []
    let bridgesJudged = 0
    for (const bridge of during.bridges) {
      if (datapathTypeOf(bridge) !== 'netdev') continue
      const dpdkPorts = during.ports.filter((p) => p.bridge === bridge.name && p.class === 'dpdk')
      const vhostNames = new Set(during.ports.filter((p) => p.bridge === bridge.name && p.class === 'vhost').map((p) => p.name))
      const vhostBytes = window.attribution.paths
        .filter((p) => p.class === 'vhost' && vhostNames.has(p.name))
        .reduce((sum, p) => sum + p.rxBytes + p.txBytes, 0)
      if (dpdkPorts.length === 0 || vhostBytes === 0) continue
      if (!hasSource(during, `fdb.${bridge.name}`)) continue
      bridgesJudged++
      const rows = during.fdb.filter((r) => r.bridge === bridge.name)
      const onPort = (port: string): FdbRow[] => rows.filter((r) => r.portName === port)
      const remoteOnAnyDpdk = dpdkPorts.some((p) => onPort(p.name).some((r) => !ownMacs.has(r.mac.toLowerCase())))
      for (const p of dpdkPorts) {
        const learned = onPort(p.name)
        const own = learned.filter((r) => ownMacs.has(r.mac.toLowerCase())).map((r) => ({mac: r.mac, ifname: ownMacs.get(r.mac.toLowerCase())!}))
        const remote = learned.filter((r) => !ownMacs.has(r.mac.toLowerCase())).map((r) => r.mac)
        const evidence = {
          bridge: bridge.name,
          hostMacsOnPort: own,
          remoteMacsOnPort: remote,
          vhostBytes,
          fdbRowsOnBridge: rows.length,
        }
        if (own.length > 0) {
          const list = own.map((o) => `${o.mac} (${o.ifname})`).join(', ')
          findings.push({
            subject: p.name,
            message: `${p.name} learned this host's own kernel MAC ${list} during the load${remote.length === 0 ? ' and no remote MAC' : ''}: the kernel, not OVS, puts the VM traffic on the wire`,
            evidence,
            fixes: [],
          })
        } else if (!remoteOnAnyDpdk) {
          findings.push({
            subject: p.name,
            message: `${p.name} learned no remote MAC while the VMs on ${bridge.name} moved ${formatBytes(vhostBytes)}: OVS is not switching the VM traffic to the wire`,
            evidence,
            fixes: [],
          })
        }
      }
    }
    if (bridgesJudged === 0) return {notApplicable: 'no netdev bridge with a DPDK port, a loaded vhost port and an FDB dump'}
    return {findings}
  },
})
