/**
 * The fix, in words, from the findings' fix actions (the executable plan is `dpdk-doctor fix`).
 */
import type {Finding, FixAction} from '../engine/types.js'

export function describeFix(action: FixAction): string {
  switch (action.kind) {
    case 'remove-address':
      return `Remove ${action.address}/${action.prefixlen} from ${action.ifname}: ip addr del ${action.address}/${action.prefixlen} dev ${action.ifname}`
    case 'remove-route':
      return `Remove the route ${action.dst}${action.gateway ? ` via ${action.gateway}` : ''}${action.dev ? ` dev ${action.dev}` : ''}: ip route del ${action.dst}${action.gateway ? ` via ${action.gateway}` : ''}${action.dev ? ` dev ${action.dev}` : ''}${action.table !== 'main' ? ` table ${action.table}` : ''}`
    case 'set-arp-off':
      return `Stop ${action.ifname} answering ARP on the DPDK wire: ip link set ${action.ifname} arp off`
    case 'ovs-set':
      return `ovs-vsctl set ${action.table} ${action.record} ${action.column}=${action.value}`
    case 'guest-readdress':
      return `Give the VM behind ${action.port} an address on the wire's subnet${action.subnet ? ` (${action.subnet})` : ''}, with no gateway through the bridge, so OVS switches it to the DPDK port at L2`
    case 'manual':
      return action.text
  }
}

/** Ordered, de-duplicated fix lines for the report. */
export function fixLines(findings: Finding[]): string[] {
  const lines: string[] = []
  for (const f of findings) {
    for (const action of f.fixes) {
      const line = describeFix(action)
      if (!lines.includes(line)) lines.push(line)
    }
  }
  return lines
}
