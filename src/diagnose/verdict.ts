/**
 * The one-line verdict and the exit code, from the rule results and the attribution.
 */
import type {Finding, RuleResult} from '../engine/types.js'
import {EXIT} from '../errors.js'
import type {HostState} from '../model/host-state.js'
import type {LoadWindow} from '../window/types.js'
import type {StatusWord, VerdictKind} from './types.js'

/** Rule ids of the kernel-bypass family (ARCHITECTURE.md: never rename). */
export const BYPASS_RULES = [
  'internal-port-has-ip',
  'kernel-route-via-internal-port',
  'dpdk-nic-kernel-active',
  'dpdk-port-idle-under-load',
  'kernel-nic-carries-load',
  'internal-port-carries-load',
  'fdb-remote-mac-not-on-dpdk-port',
  'pmd-idle-under-load',
]

const FAST_PATH_SHARE = 0.9

export interface Verdict {
  kind: VerdictKind
  text: string
  exitCode: number
  status: StatusWord
}

function pct(share: number): string {
  return `${(share * 100).toFixed(share >= 0.995 || share < 0.01 ? 0 : 1)} %`
}

function busiest(window: LoadWindow, cls: 'internal' | 'kernel-nic' | 'dpdk'): string | null {
  const paths = window.attribution.paths.filter((p) => p.class === cls && p.rxBytes + p.txBytes > 0)
  paths.sort((a, b) => b.rxBytes + b.txBytes - (a.rxBytes + a.txBytes))
  return paths[0]?.name ?? null
}

/** Why the datapath could not be judged, in one line, or null when it can be. */
export function unknownReason(state: HostState): string | null {
  if (state.ovs.reachable) return null
  const cov = state.sources['ovsdb-interface'] ?? state.sources['ovsdb-bridge']
  if (!cov) return 'OVS was not queried (no OVSDB sources in the capture)'
  if (cov.status === 'ok' && cov.parseError) return `the OVSDB output could not be parsed (${cov.parseError})`
  const detail = cov.reason ? `: ${cov.reason}` : ''
  switch (cov.status) {
    case 'not-installed': return `Open vSwitch tools are not installed${detail}`
    case 'permission-denied': return `no permission to query OVS${detail}${/root/.test(detail) ? '' : ' (run as root or in the openvswitch group)'}`
    case 'timeout': return `OVS did not answer in time${detail}`
    default: return `OVS is not reachable${detail}`
  }
}

export function decideVerdict(state: HostState, window: LoadWindow | null, results: RuleResult[], findings: Finding[]): Verdict {
  const worst: number = findings.some((f) => f.severity === 'critical') ? EXIT.CRITICAL : findings.some((f) => f.severity === 'warning') ? EXIT.WARNING : EXIT.OK
  const status = (code: number): StatusWord => (['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const)[code] ?? 'UNKNOWN'
  const make = (kind: VerdictKind, text: string, exitCode: number = worst): Verdict => ({kind, text, exitCode, status: status(exitCode)})

  const why = unknownReason(state)
  if (why) return make('unknown', `Not enough data to decide: ${why}`, EXIT.UNKNOWN)

  const fired = (id: string) => results.find((r) => r.ruleId === id)?.status === 'fail'
  const bypassCritical = findings.some((f) => BYPASS_RULES.includes(f.ruleId) && f.severity === 'critical')

  if (window) {
    const a = window.attribution
    if (a.reference === 'none') return make('unknown', 'Not enough data to decide: no traffic moved through any port during the window', EXIT.UNKNOWN)
    if (fired('iperf-target-is-host-address')) {
      return make('invalid-load', `Load test does not exercise DPDK: the target ${window.loadTarget ?? ''} is an address of this host (kernel/tap path)`.replace('  ', ' '))
    }
    if (fired('same-host-vm-test')) return make('invalid-load', 'Same-host VM-to-VM test: the load stayed between vhost ports (an idle dpdk port is expected)')
    const kernelShare = a.byClass['kernel-nic'].byteShare ?? 0
    const internalShare = a.byClass.internal.byteShare ?? 0
    if (bypassCritical && (kernelShare > 0.1 || internalShare > 0.1)) {
      const hops = ['VM', ...(busiest(window, 'internal') ? [`${busiest(window, 'internal')} (kernel)`] : ['kernel']), ...(busiest(window, 'kernel-nic') ? [busiest(window, 'kernel-nic')!] : [])]
      return make('kernel-bypass', `Traffic is bypassing DPDK: ${hops.join(' -> ')}`)
    }
    const dpdkShare = a.byClass.dpdk.byteShare ?? 0
    const dpdkName = busiest(window, 'dpdk')
    if (dpdkName && dpdkShare >= FAST_PATH_SHARE) {
      return make('fast-path', `DPDK fast path: ${dpdkShare >= 0.995 ? 'all' : pct(Math.min(dpdkShare, 1)) + ' of the'} load through ${dpdkName}`)
    }
    if (bypassCritical) return make('kernel-bypass', 'Traffic is bypassing DPDK: the DPDK port carried little of the load')
  } else if (bypassCritical) {
    const port = findings.find((f) => f.ruleId === 'internal-port-has-ip' || f.ruleId === 'kernel-route-via-internal-port')?.subject
    return make('kernel-bypass', `Traffic is likely bypassing DPDK: ${port ? `${port} routes VM traffic through the kernel` : 'the kernel has addresses and routes on the DPDK path'} (confirm with --load)`)
  }
  if (findings.some((f) => f.severity !== 'info')) return make('problems', `No kernel bypass found; ${findings.filter((f) => f.severity !== 'info').length} problem(s) need attention`)
  return make('healthy', window ? 'No problems found in the window' : 'No problems found in the configuration; run with --load to measure the datapath')
}
