/**
 * The multi-host diagnosis: each host judged on its own (the single-host document), the cross-host
 * rules over two sides, one status and exit code, and the per-host bundles (DIR/<host>/ plus
 * DIR/hosts.json) written and read back.
 */
import {existsSync, mkdirSync, realpathSync, writeFileSync} from 'node:fs'
import {join, resolve, sep} from 'node:path'
import {assertBundleDir, writeCapture} from '../capture/bundle.js'
import {BundleReader} from '../capture/bundle-reader.js'
import {readCaptureFrom} from '../capture/sos-archive.js'
import type {Capture, LoadRecord} from '../capture/types.js'
import {runCrossRules} from '../cross/run.js'
import type {CrossResult, CrossSide} from '../cross/types.js'
import {analyse, captureModel} from '../diagnose/analyse.js'
import type {Diagnosis, StatusWord} from '../diagnose/types.js'
import type {Finding} from '../engine/types.js'
import {DoctorError, EXIT} from '../errors.js'
import type {HostCapture, HostsCapture} from './hosts.js'
import {HOST_STATUSES, isValidHostName, LOCAL_HOST} from './ssh.js'
import type {HostStatus} from './ssh.js'

export const MULTI_HOST_SCHEMA = 'dpdk-doctor/multi-host@1'
export const HOSTS_FILE_FORMAT = 'dpdk-doctor/hosts@1'

export interface HostEntry {
  name: string
  status: HostStatus
  reason: string | null
  /** The command that fixes the failure, when there is one (host keys, sudo). */
  fix: string | null
  clock: {offsetMs: number | null; rttMs: number | null} | null
  diagnosis: Diagnosis | null
}

export interface MultiDiagnosis {
  schema: typeof MULTI_HOST_SCHEMA
  status: StatusWord
  exitCode: number
  /** One line per side: "host0: FAST PATH". */
  sides: string[]
  hosts: HostEntry[]
  cross: {findings: Finding[]; rules: Array<{ruleId: string; status: CrossResult['status']; severity: CrossResult['severity']; reason: string | null}>}
  failed: Array<{name: string; status: HostStatus; reason: string | null}>
}

/** A side that was not collected (or stopped answering): its status in capitals and why. */
export function failedSideLine(name: string, status: HostStatus, reason: string | null): string {
  return `${name}: ${status.toUpperCase()}${reason ? ` (${reason})` : ''}`
}

/** A path's traffic as the side line weighs it: bytes (or any rate) moved through a named port of a class. */
export interface SidePath {
  name: string
  class: string
  moved: number
}

/** "KERNEL PATH via ovsbr0 -> enp65s0f0np0": the busiest internal port, then the busiest kernel NIC. */
export function kernelPathWords(paths: readonly SidePath[]): string {
  const busiest = (cls: string) => paths.filter((p) => p.class === cls && p.moved > 0).sort((x, y) => y.moved - x.moved)[0]?.name
  const hops = [busiest('internal'), busiest('kernel-nic')].filter((x): x is string => Boolean(x))
  return `KERNEL PATH${hops.length > 0 ? ` via ${hops.join(' -> ')}` : ''}`
}

/** A host's line: its path in two words and where the traffic went. */
export function sideLine(entry: HostEntry): string {
  const d = entry.diagnosis
  if (!d) return failedSideLine(entry.name, entry.status, entry.reason)
  switch (d.verdict.kind) {
    case 'fast-path':
      return `${entry.name}: FAST PATH`
    case 'kernel-bypass':
      return `${entry.name}: ${kernelPathWords((d.attribution?.paths ?? []).map((p) => ({name: p.name, class: p.class, moved: p.rxBytes + p.txBytes})))}`
    case 'invalid-load':
      return `${entry.name}: INVALID LOAD`
    case 'no-userspace-datapath':
      return `${entry.name}: NO USERSPACE DATAPATH`
    case 'unknown':
      return `${entry.name}: UNKNOWN${entry.status !== 'ok' ? ` (${entry.status})` : ''}`
    default:
      return `${entry.name}: ${d.status}${d.window ? '' : ' (no load)'}`
  }
}

function sideOf(name: string, capture: Capture): CrossSide {
  const {state, window} = captureModel(capture)
  return {name, host: capture.manifest.host, state, window}
}

const STATUS_WORDS: StatusWord[] = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']

/**
 * One exit code: CRITICAL from a reachable host or a cross-host finding wins; otherwise UNKNOWN (3)
 * when a host failed or could not be judged; otherwise the worst of WARNING and OK.
 */
export function combinedExit(entries: HostEntry[], cross: Finding[]): number {
  const codes = entries.map((e) => (e.diagnosis ? e.diagnosis.exitCode : EXIT.UNKNOWN))
  if (codes.includes(EXIT.CRITICAL) || cross.some((f) => f.severity === 'critical')) return EXIT.CRITICAL
  if (codes.includes(EXIT.UNKNOWN) || entries.some((e) => e.status !== 'ok')) return EXIT.UNKNOWN
  if (codes.includes(EXIT.WARNING) || cross.some((f) => f.severity === 'warning')) return EXIT.WARNING
  return EXIT.OK
}

export interface HostInput {
  name: string
  status: HostStatus
  reason: string | null
  fix: string | null
  capture: Capture | null
  input: Diagnosis['input']
}

export function diagnoseHosts(inputs: HostInput[]): MultiDiagnosis {
  const hosts: HostEntry[] = inputs.map((h) => {
    const diagnosis = h.capture ? analyse(h.capture, {input: h.input}) : null
    const remote = h.capture?.manifest.host.remote
    return {name: h.name, status: h.status, reason: h.reason, fix: h.fix, clock: remote ? {offsetMs: remote.clockOffsetMs, rttMs: remote.rttMs} : null, diagnosis}
  })
  // The cross-host rules need two judged sides (a host whose OVS is down has no datapath to compare).
  const judged = inputs.filter((h) => h.capture && h.status === 'ok')
  let cross: {results: CrossResult[]; findings: Finding[]} = {results: [], findings: []}
  if (inputs.length >= 2) {
    const [a, b] = inputs
    const missing = inputs.filter((h) => !h.capture || h.status !== 'ok').map((h) => `${h.name} is ${h.status}`)
    const why = missing.length > 0 ? `a side is missing: ${missing.join(', ')}` : inputs.length > 2 ? 'judged on the first two hosts' : null
    const sideA = judged.includes(a!) ? sideOf(a!.name, a!.capture!) : null
    const sideB = judged.includes(b!) ? sideOf(b!.name, b!.capture!) : null
    cross = runCrossRules(sideA, sideB, why)
  }
  const exitCode = combinedExit(hosts, cross.findings)
  return {
    schema: MULTI_HOST_SCHEMA,
    status: STATUS_WORDS[exitCode] ?? 'UNKNOWN',
    exitCode,
    sides: hosts.map(sideLine),
    hosts,
    cross: {findings: cross.findings, rules: cross.results.map((r) => ({ruleId: r.ruleId, status: r.status, severity: r.severity, reason: r.reason}))},
    failed: hosts.filter((h) => h.status !== 'ok').map((h) => ({name: h.name, status: h.status, reason: h.reason})),
  }
}

/** A live multi-host capture as diagnosis inputs. */
export function inputsOfCapture(c: HostsCapture, savedTo: string | null): HostInput[] {
  return c.hosts.map((h: HostCapture) => ({
    name: h.name,
    status: h.status,
    reason: h.failure?.reason ?? null,
    fix: h.failure?.fix ?? null,
    capture: h.capture,
    input: {mode: 'live', bundle: null, savedTo: savedTo ? resolve(join(savedTo, h.name)) : null},
  }))
}

/** A host's directory name in --save DIR: the --host name (validated), `local` for this machine. */
function hostDir(name: string): string {
  if (name !== LOCAL_HOST && !isValidHostName(name)) throw new DoctorError('E_BAD_NAME', `refusing host name ${JSON.stringify(name)} as a directory`)
  return name.replaceAll(':', '_')
}

/** DIR/<host>/ for every host with a capture, and DIR/hosts.json naming them all (failed ones too). */
export function saveHosts(dir: string, c: HostsCapture): void {
  if (existsSync(dir)) assertBundleDir(dir)
  mkdirSync(dir, {recursive: true})
  for (const h of c.hosts) if (h.capture) writeCapture(join(dir, hostDir(h.name)), h.capture)
  const doc = {
    format: HOSTS_FILE_FORMAT,
    hosts: c.hosts.map((h) => ({
      name: h.name,
      dir: h.capture ? hostDir(h.name) : null,
      status: h.status,
      reason: h.failure?.reason ?? null,
      fix: h.failure?.fix ?? null,
      clock: h.probe ? {offsetMs: h.probe.clockOffsetMs, rttMs: h.probe.rttMs} : null,
    })),
    load: c.load as LoadRecord | null,
    ticks: c.ticks,
  }
  writeFileSync(join(dir, 'hosts.json'), JSON.stringify(doc, null, 2) + '\n')
}

/** Whether a --from path is a multi-host directory (it holds hosts.json). */
export function isHostsDir(path: string): boolean {
  return existsSync(join(path, 'hosts.json'))
}

/** --from DIR with hosts.json: every host it names, read through the bundle reader (hostile input). */
export async function readHosts(dir: string): Promise<HostInput[]> {
  const reader = new BundleReader(dir)
  const file = reader.read('hosts.json')
  if (file.kind !== 'ok') throw new DoctorError('E_BUNDLE', `${dir}/hosts.json ${file.kind === 'missing' ? 'is missing' : `refused: it ${file.reason}`}`)
  let doc: unknown
  try {
    doc = JSON.parse(file.text)
  } catch (error) {
    throw new DoctorError('E_BUNDLE', `${dir}/hosts.json is not JSON: ${(error as Error).message}`)
  }
  const d = doc as {format?: unknown; hosts?: unknown}
  if (d.format !== HOSTS_FILE_FORMAT || !Array.isArray(d.hosts)) throw new DoctorError('E_BUNDLE', `${dir}/hosts.json is not ${HOSTS_FILE_FORMAT}`)
  const out: HostInput[] = []
  for (const raw of d.hosts as unknown[]) {
    const h = (raw ?? {}) as Record<string, unknown>
    const name = typeof h.name === 'string' && (h.name === LOCAL_HOST || isValidHostName(h.name)) ? h.name : null
    if (!name) throw new DoctorError('E_BUNDLE', `${dir}/hosts.json names a host that is not a valid name`)
    const status = (HOST_STATUSES as readonly unknown[]).includes(h.status) ? (h.status as HostStatus) : 'unreachable'
    const sub = typeof h.dir === 'string' ? h.dir : null
    if (sub !== null && sub !== hostDir(name)) throw new DoctorError('E_BUNDLE', `${dir}/hosts.json: host ${name}'s directory ${JSON.stringify(sub)} is not ${hostDir(name)}`)
    const path = sub ? join(dir, sub) : null
    // A host directory that is a link out of DIR is refused, as any file of a bundle would be.
    if (path && (!existsSync(path) || !realpathSync(path).startsWith(reader.root + sep))) throw new DoctorError('E_BUNDLE', `${dir}/hosts.json: host ${name}'s directory is missing or leads outside ${dir}`)
    const capture = path ? await readCaptureFrom(path) : null
    out.push({name, status, reason: typeof h.reason === 'string' ? h.reason : null, fix: typeof h.fix === 'string' ? h.fix : null, capture, input: {mode: 'bundle', bundle: path, savedTo: null}})
  }
  return out
}

/** Two (or more) --from bundles: each host named after its bundle's hostname, else its position. */
export async function readBundles(paths: string[]): Promise<HostInput[]> {
  const out: HostInput[] = []
  for (const [i, path] of paths.entries()) {
    const capture = await readCaptureFrom(path)
    const hostname = capture.manifest.host.remote?.destination ?? capture.manifest.host.hostname
    let name = hostname && isValidHostName(hostname) ? hostname : `host${i}`
    if (out.some((o) => o.name === name)) name = `${name}#${i}`
    out.push({name, status: 'ok', reason: null, fix: null, capture, input: {mode: 'bundle', bundle: path, savedTo: null}})
  }
  return out
}
