/**
 * The findings as a story, in causal order: what is wrong in the configuration (root causes), what
 * the traffic shows because of it (symptoms), what follows from it (consequences), the problems
 * that have nothing to do with it (unrelated) and tuning hints (info). Pure: a function of the
 * findings and the attribution; the renderer only prints it, `--json` carries it as `story`.
 */
import type {Finding} from '../engine/types.js'
import type {Attribution} from '../window/types.js'

export type StoryRole = 'root-cause' | 'symptom' | 'consequence' | 'unrelated' | 'limit' | 'info'

export interface FindingRef {
  ruleId: string
  subject: string
}

export interface StoryEntry extends FindingRef {
  role: StoryRole
  /** The finding that explains this one (a root cause), or null when it stands on its own. */
  explainedBy: FindingRef | null
}

export interface Story {
  /** The order to tell the findings in: root causes, symptoms, consequences, unrelated, info. */
  entries: StoryEntry[]
}

/** The load does not test DPDK at all: everything the window shows follows from that. */
const LOAD_CAUSES = ['iperf-target-is-host-address', 'same-host-vm-test']
/** Configuration that sends VM traffic through the kernel, most telling first. */
const CONFIG_CAUSES = ['internal-port-has-ip', 'kernel-route-via-internal-port', 'dpdk-nic-kernel-active', 'kernel-port-on-netdev-bridge', 'mixed-datapath-patch-ports']
/** What the traffic shows when the kernel carries it. */
const TRAFFIC_SYMPTOMS = ['dpdk-port-idle-under-load', 'kernel-nic-carries-load', 'internal-port-carries-load', 'fdb-remote-mac-not-on-dpdk-port', 'pmd-idle-under-load']
/** Losses on a VM's port that a slow kernel path explains (the guest's queue fills while the host kernel forwards). */
const VHOST_LOSS = ['tx-failure-drops', 'port-drops-under-load', 'vhost-tx-retries']

/** What bounds the fast path once traffic takes it (issue 13): told apart, after the fix when there is a cause. */
export const FAST_PATH_LIMIT_RULES = ['guest-tso-off-by-host', 'vhost-txq-unused', 'guest-queues-disabled', 'guest-vcpus-below-queues', 'pmd-cycle-ceiling']

const ROLE_ORDER: StoryRole[] = ['root-cause', 'symptom', 'consequence', 'unrelated', 'limit', 'info']
const SEVERITY_ORDER = ['critical', 'warning', 'info']

const ref = (f: Finding): FindingRef => ({ruleId: f.ruleId, subject: f.subject})

function rank(list: string[], id: string): number {
  const i = list.indexOf(id)
  return i === -1 ? list.length : i
}

export function buildStory(findings: Finding[], attribution: Attribution | null): Story {
  const vhostPorts = new Set((attribution?.paths ?? []).filter((p) => p.class === 'vhost').map((p) => p.name))
  const causes = findings
    .filter((f) => LOAD_CAUSES.includes(f.ruleId) || (CONFIG_CAUSES.includes(f.ruleId) && f.severity !== 'info'))
    .sort((a, b) => rank([...LOAD_CAUSES, ...CONFIG_CAUSES], a.ruleId) - rank([...LOAD_CAUSES, ...CONFIG_CAUSES], b.ruleId))
  const symptoms = findings.filter((f) => TRAFFIC_SYMPTOMS.includes(f.ruleId)).sort((a, b) => rank(TRAFFIC_SYMPTOMS, a.ruleId) - rank(TRAFFIC_SYMPTOMS, b.ruleId))
  // Without a cause in the configuration the most telling symptom is where the story starts.
  const primary = causes[0] ?? symptoms[0] ?? null
  const kernelCarried = symptoms.length > 0

  const entries: StoryEntry[] = findings.map((f) => {
    if (f === primary) return {...ref(f), role: 'root-cause', explainedBy: null}
    if (causes.includes(f)) {
      // The routes an address brings with it are the same cause, told from the routing table.
      const sameSubject = primary !== null && primary.subject === f.subject
      return {...ref(f), role: 'root-cause', explainedBy: sameSubject ? ref(primary) : null}
    }
    if (symptoms.includes(f)) return {...ref(f), role: 'symptom', explainedBy: primary ? ref(primary) : null}
    if (kernelCarried && primary && VHOST_LOSS.includes(f.ruleId) && vhostPorts.has(f.subject) && f.severity !== 'info') {
      return {...ref(f), role: 'consequence', explainedBy: ref(primary)}
    }
    // A limit of the fast path waits for the fix when the traffic does not take that path yet.
    // On the fast path an info of these rules that names no limit ("TSO is not what limits it") stays info.
    if (f.limit !== undefined || (FAST_PATH_LIMIT_RULES.includes(f.ruleId) && (f.severity !== 'info' || primary))) return {...ref(f), role: 'limit', explainedBy: primary ? ref(primary) : null}
    return {...ref(f), role: f.severity === 'info' ? 'info' : 'unrelated', explainedBy: null}
  })

  const position = new Map(findings.map((f, i) => [f, i]))
  const order = (e: StoryEntry) => {
    const f = findings.find((x) => x.ruleId === e.ruleId && x.subject === e.subject)!
    const within = e.role === 'root-cause' ? (f === primary ? -1 : causes.indexOf(f)) : e.role === 'symptom' ? symptoms.indexOf(f) : SEVERITY_ORDER.indexOf(f.severity) * 1000 + position.get(f)!
    return ROLE_ORDER.indexOf(e.role) * 1_000_000 + within
  }
  return {entries: entries.sort((a, b) => order(a) - order(b))}
}

/** The finding an entry names. */
export function findingOf(findings: Finding[], r: FindingRef): Finding | undefined {
  return findings.find((f) => f.ruleId === r.ruleId && f.subject === r.subject)
}
