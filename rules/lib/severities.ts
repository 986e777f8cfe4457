/**
 * The severities a rule can report, where its findings are not all of its default severity
 * (e.g. kernel-nic-carries-load: warning above 1 %, critical above 10 %). `rules` and `rules explain`
 * show them; test/rules/severities.test.ts checks this table against the rules' sources.
 */
import type {Severity} from '../../src/engine/types.js'

const VARYING: Record<string, Severity[]> = {
  'dpdk-link-down': ['critical', 'warning'],
  'dpdk-nic-kernel-active': ['critical', 'warning'],
  'dpdk-rx-missed': ['critical', 'warning'],
  'guest-queues-disabled': ['warning', 'info'],
  'guest-tso-off-by-host': ['warning', 'info'],
  'hugepages-low': ['critical', 'warning', 'info'],
  'internal-port-has-ip': ['critical', 'warning'],
  'kernel-nic-carries-load': ['critical', 'warning'],
  'kernel-route-via-internal-port': ['critical', 'warning'],
  'mixed-datapath-patch-ports': ['critical', 'info'],
  'mtu-mismatch': ['critical', 'warning'],
  'pmd-cpu-mask': ['critical', 'warning'],
  'pmd-saturated': ['critical', 'warning'],
  'tx-failure-drops': ['critical', 'warning'],
  'upcall-rate-high': ['critical', 'warning'],
}

export function possibleSeverities(id: string, defaultSeverity: Severity): Severity[] {
  return VARYING[id] ?? [defaultSeverity]
}
