/**
 * Does this host run an OVS userspace (netdev) datapath at all? dpdk-doctor's rules judge that
 * datapath only; on a kernel-datapath host (system bridges, OVS built without DPDK or DPDK not
 * initialised) they have nothing to judge, and a busy uplink there is not "bypassing DPDK".
 *
 * Absence is decided on positive evidence only (the OVS tables were read, no bridge is netdev, no
 * port is a DPDK or vhost-user port, dpdk-init is not requested): a host whose tables could not be
 * read is unknown, never "no datapath".
 */
import type {HostState} from './host-state.js'

export type UserspaceDatapath =
  | {present: true}
  | {present: false; reason: string}
  | {present: null; reason: string}

/** Interface types that exist only on the userspace datapath. */
const USERSPACE_PORT_CLASSES = new Set(['dpdk', 'vhost'])

function dpdkState(state: HostState): string {
  const {dpdkCompiled, dpdkInitialized, dpdkInitRequested} = state.ovs
  if (dpdkCompiled === false) return 'OVS built without DPDK'
  if (dpdkInitialized === true) return `DPDK initialised${state.versions.dpdk ? ` (${state.versions.dpdk})` : ''}`
  if (dpdkInitRequested === false) return `dpdk-init unset${dpdkCompiled ? ` (DPDK compiled in${state.versions.dpdk ? `: ${state.versions.dpdk}` : ''})` : ''}`
  if (dpdkInitialized === false) return 'DPDK not initialised'
  return 'DPDK state unknown'
}

function bridgesState(state: HostState): string {
  if (state.bridges.length === 0) return 'no bridge'
  const byType = new Map<string, string[]>()
  for (const b of state.bridges) byType.set(b.datapathType, [...(byType.get(b.datapathType) ?? []), b.name])
  const listed = [...byType].map(([type, names]) => `${names.slice(0, 4).join(', ')}${names.length > 4 ? ` and ${names.length - 4} more` : ''}: ${type}`)
  return `no netdev bridge (${listed.join('; ')})`
}

export function userspaceDatapath(state: HostState): UserspaceDatapath {
  if (!state.ovs.reachable) return {present: null, reason: 'the OVS tables could not be read'}
  const netdevBridge = state.bridges.some((b) => b.datapathType === 'netdev')
  const userspacePort = state.ports.some((p) => USERSPACE_PORT_CLASSES.has(p.class))
  // dpdk-init requested says the operator wants the userspace datapath, even if it failed to come up.
  if (netdevBridge || userspacePort || state.ovs.dpdkInitRequested === true) return {present: true}
  const clues = [dpdkState(state), bridgesState(state)]
  if (state.ovs.netdevDatapath === false) clues.push('the PMD commands reply "please specify an existing datapath"')
  return {present: false, reason: clues.join('; ')}
}
