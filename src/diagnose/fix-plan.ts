/**
 * The report's Fix section is `dpdk-doctor fix`'s plan: the planner's steps (same order, same
 * argv, `ip -n NS` under a namespace, the FDB flush), the advice it cannot run, and the tuning
 * that info findings suggest, kept apart from the fix of the problem.
 */
import type {Capture} from '../capture/types.js'
import type {Finding} from '../engine/types.js'
import {buildPlan} from '../fix/planner.js'
import {ipStateOf} from '../fix/plan-source.js'
import {bundleProtectedSet} from '../fix/protected.js'
import type {FixPlan} from '../fix/types.js'
import {buildHostState} from '../model/build.js'
import type {Diagnosis, DiagnosisFix} from './types.js'

/** An argv as a person would type it (quotes only where the shell needs them). */
export function commandLine(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ')
}

const refOf = (f: Finding) => `${f.ruleId} ${f.subject}`

/** The plan the `fix` command would show for this capture (read-only: no SSH sessions known, like fix --from). */
export function reportPlan(capture: Capture, diagnosis: Diagnosis): FixPlan | null {
  let source
  try {
    source = ipStateOf(capture)
  } catch {
    return null
  }
  const host = capture.manifest.host
  return buildPlan({
    diagnosis, state: buildHostState(source.sample, host), ip: source.ip, protectedSet: bundleProtectedSet(source.ip),
    guest: {vmSubnet: null, vmAddresses: {}, guestConfigDir: null}, onlyDevices: [],
    host: {hostname: host.hostname, machineId: host.machineId, netns: host.netns, ovsRundir: host.ovsRundir},
    source: {mode: diagnosis.input.mode, bundle: diagnosis.input.bundle}, id: 'report', now: new Date(0),
  })
}

/** The Fix section from the plan: steps for the problems, advice, and info-level tuning apart. */
export function fixSection(plan: FixPlan | null, findings: Finding[]): DiagnosisFix {
  const infoRefs = new Set(findings.filter((f) => f.severity === 'info').map(refOf))
  const manualOf = (f: Finding) => f.fixes.flatMap((a) => (a.kind === 'manual' ? [a.text] : []))
  const steps = (plan?.steps ?? []).map((s) => ({
    id: s.id, what: s.what, command: commandLine(s.argv), why: s.why,
    // A step only info findings ask for is tuning, not part of the fix.
    tuning: s.why.length > 0 && s.why.every((w) => infoRefs.has(w)),
  }))
  const advice = [...new Set(findings.filter((f) => f.severity !== 'info').flatMap(manualOf))]
  const tuning = [...new Set(findings.filter((f) => f.severity === 'info').flatMap(manualOf))].filter((t) => !advice.includes(t))
  const guest = (plan?.guest ?? []).map((g) => (g.note.includes(g.port) ? g.note : `${g.port}: ${g.note}`))
  // ip changes last until reboot; OVSDB settings and the FDB need no persisting.
  const persists = (plan?.steps ?? []).some((s) => s.kind === 'remove-address' || s.kind === 'remove-route' || s.kind === 'set-arp-off')
  return {steps, advice, guest, tuning, ipChangesAreRuntime: persists}
}

/** `fix[]` of the document: one line per step, then the advice (what `fix` shows, in words). */
export function fixLinesOf(section: DiagnosisFix): string[] {
  return [
    ...section.steps.filter((s) => !s.tuning).map((s) => `${s.what}: ${s.command}`),
    ...section.guest.map((g) => `Guest side: ${g}`),
    ...section.advice,
    ...section.steps.filter((s) => s.tuning).map((s) => `Tuning: ${s.what}: ${s.command}`),
    ...section.tuning.map((t) => `Tuning: ${t}`),
  ]
}
