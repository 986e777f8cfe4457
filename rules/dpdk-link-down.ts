import {defineRule} from '../src/engine/types.js'
import {threshold} from './lib/thresholds.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'dpdk-link-down',
    title: 'DPDK port link down or flapping',
    severity: 'critical',
    group: 'port-health',
    kind: 'snapshot',
    rationale:
      'Interface:link_state of a dpdk port is the PHY state DPDK reports; down means nothing reaches the wire. ' +
      'link_resets counts state changes since the port was added (vswitch.xml), so a rise during the load window ' +
      'means the link flapped under traffic (FIELD B4).',
    inputs: [...OVS_PORT_SOURCES],
    thresholds: {maxLinkResetsInWindow: 0},
    remediation: 'Check cabling, transceiver and switch port; for flaps check the peer and auto-negotiation; then the NIC firmware.',
    field: 'B4',
    appliesTo: 'Userspace-datapath hosts with a DPDK port (type dpdk).',
  },
  // One rule for both signals: they are about the same port and the same fix, and the
  // snapshot check must still run when there is no window.
  check({state, window, thresholds}) {
    const dpdkPorts = state.ports.filter((p) => p.class === 'dpdk')
    if (dpdkPorts.length === 0) return {notApplicable: 'no dpdk ports'}
    const maxResets = threshold(thresholds, 'maxLinkResetsInWindow')
    const findings = []
    const unknownPorts: string[] = []
    for (const port of dpdkPorts) {
      const before = window?.before.ports.find((p) => p.name === port.name)
      const resetsDelta = before && before.linkResets !== null && port.linkResets !== null ? port.linkResets - before.linkResets : null
      const evidence = {linkState: port.linkState, adminState: port.adminState, linkSpeed: port.linkSpeed, linkResets: port.linkResets, linkResetsInWindow: resetsDelta, maxLinkResetsInWindow: maxResets}
      const fixes = [{kind: 'manual' as const, text: `Check the cable, transceiver and switch port of ${port.name} (${port.pciAddress ?? port.options['dpdk-devargs'] ?? 'no PCI address'}).`}]
      if (port.linkState === null) {
        unknownPorts.push(port.name)
      } else if (port.linkState.toLowerCase() === 'down') {
        findings.push({subject: port.name, message: `${port.name} link is down (link_resets ${port.linkResets ?? '?'})`, evidence, fixes})
        continue
      }
      if (resetsDelta !== null && resetsDelta > maxResets) {
        findings.push({severity: 'warning' as const, subject: port.name, message: `${port.name} link reset ${resetsDelta} times during the load window`, evidence, fixes})
      }
    }
    if (findings.length === 0 && unknownPorts.length > 0) return {unknown: `link_state not reported for ${unknownPorts.join(', ')}`}
    return {findings}
  },
})
