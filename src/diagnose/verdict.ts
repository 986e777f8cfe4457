/**
 * The one-line verdict and the exit code, from the rule results and the attribution.
 */
import type {Finding, RuleResult} from '../engine/types.js'
import {EXIT} from '../errors.js'
import {userspaceDatapath} from '../model/datapath.js'
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
  /** What limits the fast path (the verdict's second layer); empty unless the fast path holds. */
  limitedBy: LimitedBy[]
}

export interface LimitedBy {
  ruleId: string
  subject: string
  severity: Finding['severity']
  text: string
}

/** The fast path's limits, most severe first, one per distinct text ("3 of 8 vhost Tx queues unused" once per port). */
export function limitsOf(findings: Finding[]): LimitedBy[] {
  const out: LimitedBy[] = []
  for (const f of findings) {
    if (f.limit === undefined) continue
    out.push({ruleId: f.ruleId, subject: f.subject, severity: f.severity, text: f.limit})
  }
  return out
}

/** "guest TSO off (host setting), 3 of 8 vhost Tx queues unused": equal texts of several subjects once, counted. */
function limitWords(limits: LimitedBy[]): string {
  const counts = new Map<string, number>()
  for (const l of limits) counts.set(l.text, (counts.get(l.text) ?? 0) + 1)
  return [...counts].map(([text, n]) => (n > 1 ? `${text} (${n} ports)` : text)).join(', ')
}

function pct(share: number): string {
  return `${(share * 100).toFixed(share >= 0.995 || share < 0.01 ? 0 : 1)} %`
}

function busiest(window: LoadWindow, cls: 'internal' | 'kernel-nic' | 'dpdk'): string | null {
  const paths = window.attribution.paths.filter((p) => p.class === cls && p.rxBytes + p.txBytes > 0)
  paths.sort((a, b) => b.rxBytes + b.txBytes - (a.rxBytes + a.txBytes))
  return paths[0]?.name ?? null
}

/** The OVSDB tables without which the host's ports are unknown (Bridge -> Port -> Interface). */
const PORT_TABLES = ['ovsdb-bridge', 'ovsdb-port', 'ovsdb-interface'] as const

/** Why the datapath could not be judged, in one line, or null when it can be. */
export function unknownReason(state: HostState): string | null {
  if (state.ovs.reachable) return null
  const unread = PORT_TABLES.map((id) => [id, state.sources[id]] as const).filter(([, c]) => !c || c.status !== 'ok' || c.parseError)
  if (unread.length === PORT_TABLES.length && unread.every(([, c]) => !c)) return 'OVS was not queried (no OVSDB sources in the capture)'
  const [id, cov] = unread.find(([, c]) => c) ?? unread[0] ?? ['ovsdb-bridge', undefined]
  const table = `the OVSDB ${id.slice('ovsdb-'.length).replace(/^./, (c) => c.toUpperCase())} table`
  if (!cov) return `${table} is missing from the capture`
  if (cov.status === 'ok' && cov.parseError) return `${table} could not be parsed (${cov.parseError})`
  // Name the table only when the others were read: "OVS is not reachable" alone when all failed.
  const which = unread.length < PORT_TABLES.length ? ` (${table})` : ''
  const detail = cov.reason ? `: ${cov.reason}` : ''
  switch (cov.status) {
    case 'not-installed': return `Open vSwitch tools are not installed${detail}`
    case 'permission-denied': return `no permission to query OVS${detail}${/root/.test(detail) ? '' : ' (run as root or in the openvswitch group)'}`
    case 'timeout': return `OVS did not answer in time${which}${detail}`
    default: return `OVS is not reachable${which}${detail}`
  }
}

/** Kernel-bypass rules that could have judged this diagnosis and did not (static: snapshot rules only). */
function unjudgedBypassRules(results: RuleResult[]): RuleResult[] {
  return results.filter((r) => r.group === 'kernel-bypass' && r.status === 'unknown' && r.unknownCause !== 'needs-window')
}

/**
 * What carried the load on the DPDK side: the loaded DPDK ports, a bond named as such ("bond
 * dpdkbond0 (dpdk0 50 %, dpdk1 50 %)"), so two members at half each never read as "all through dpdk1".
 */
function dpdkCarrier(window: LoadWindow, state: HostState): string | null {
  const loaded = window.attribution.paths.filter((p) => p.class === 'dpdk' && p.rxBytes + p.txBytes > 0)
  const classBytes = loaded.reduce((s, p) => s + p.rxBytes + p.txBytes, 0)
  const carriers = loaded.filter((p) => (p.rxBytes + p.txBytes) / classBytes >= 0.05).sort((a, b) => b.rxBytes + b.txBytes - (a.rxBytes + a.txBytes))
  if (carriers.length === 0) return null
  if (carriers.length === 1) return carriers[0]!.name
  const shareOf = (name: string) => {
    const p = carriers.find((c) => c.name === name)!
    return `${name} ${pct((p.rxBytes + p.txBytes) / classBytes)}`
  }
  const bonds = new Set(carriers.map((p) => state.ports.find((port) => port.name === p.name)?.bond ?? null))
  const names = carriers.map((p) => shareOf(p.name)).join(', ')
  const [bond] = [...bonds]
  return bonds.size === 1 && bond ? `bond ${bond} (${names})` : names.replace(/, ([^,]*)$/, ' and $1')
}

export function decideVerdict(state: HostState, window: LoadWindow | null, results: RuleResult[], findings: Finding[]): Verdict {
  const worst: number = findings.some((f) => f.severity === 'critical') ? EXIT.CRITICAL : findings.some((f) => f.severity === 'warning') ? EXIT.WARNING : EXIT.OK
  const status = (code: number): StatusWord => (['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const)[code] ?? 'UNKNOWN'
  const make = (kind: VerdictKind, text: string, exitCode: number = worst, limitedBy: LimitedBy[] = []): Verdict => ({kind, text, exitCode, status: status(exitCode), limitedBy})

  const why = unknownReason(state)
  if (why) return make('unknown', `Not enough data to decide: ${why}`, EXIT.UNKNOWN)

  // A judged outcome, not a failure to judge: the host has no datapath this tool diagnoses (the
  // engine made every rule not-applicable). Exit as the findings say, i.e. 0 (README, exit codes).
  const datapath = userspaceDatapath(state)
  if (datapath.present === false) {
    return make('no-userspace-datapath', `No OVS userspace datapath on this host (${datapath.reason}): nothing to diagnose for DPDK`)
  }

  const fired = (id: string) => results.find((r) => r.ruleId === id)?.status === 'fail'
  const bypassFindings = findings.filter((f) => BYPASS_RULES.includes(f.ruleId) && f.severity === 'critical')
  const bypassCritical = bypassFindings.length > 0

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
  } else if (bypassCritical) {
    const port = findings.find((f) => f.ruleId === 'internal-port-has-ip' || f.ruleId === 'kernel-route-via-internal-port')?.subject
    return make('kernel-bypass', `Traffic is likely bypassing DPDK: ${port ? `${port} routes VM traffic through the kernel` : 'the kernel has addresses and routes on the DPDK path'} (confirm with --load)`)
  }

  // Never OK (nor a fast path) while part of the kernel-bypass family could not judge.
  const unjudged = unjudgedBypassRules(results)
  if (unjudged.length > 0 && worst < EXIT.CRITICAL) {
    const first = unjudged[0]!
    return make('unknown', `Not enough data to decide whether traffic bypasses DPDK: ${unjudged.map((r) => r.ruleId).join(', ')} could not judge (${first.reason ?? 'unknown'})`, EXIT.UNKNOWN)
  }

  if (window) {
    const dpdkShare = window.attribution.byClass.dpdk.byteShare ?? 0
    const carrier = dpdkCarrier(window, state)
    if (carrier && dpdkShare >= FAST_PATH_SHARE) {
      const load = `${dpdkShare >= 0.995 ? 'all' : pct(Math.min(dpdkShare, 1)) + ' of the'} load through ${carrier}`
      // The exit code and the words agree: a critical kernel-bypass finding beside a measured fast path is named.
      if (bypassCritical) return make('problems', `DPDK fast path for the load (${load}), but ${bypassFindings[0]!.subject}: ${bypassFindings[0]!.ruleId}`)
      // The second layer: what bounds the fast path now that traffic takes it.
      const limits = limitsOf(findings)
      if (limits.length > 0) return make('fast-path', `DPDK fast path: ${load}, limited by: ${limitWords(limits)}`, worst, limits)
      return make('fast-path', `DPDK fast path: ${load}`)
    }
    if (bypassCritical) return make('kernel-bypass', 'Traffic is bypassing DPDK: the DPDK port carried little of the load')
  }
  if (findings.some((f) => f.severity !== 'info')) return make('problems', `No kernel bypass found; ${findings.filter((f) => f.severity !== 'info').length} problem(s) need attention`)
  return make('healthy', window ? 'No problems found in the window' : 'No problems found in the configuration; run with --load to measure the datapath')
}
