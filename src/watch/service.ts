/**
 * What `watch` does apart from flags and drawing: set up the session (live host or a recorded
 * bundle), and at the end save the capture and diagnose the whole window like `diagnose --from`.
 */
import {resolve} from 'node:path'
import {assertBundleDir, readCapture, writeCapture} from '../capture/bundle.js'
import type {Capture, HostInfo} from '../capture/types.js'
import {analyse} from '../diagnose/analyse.js'
import {hostInfo} from '../diagnose/live.js'
import {targetOf} from '../diagnose/service.js'
import type {Diagnosis} from '../diagnose/types.js'
import {HostRunner} from '../exec/runner.js'
import type {Runner} from '../exec/runner.js'
import type {Style} from '../report/style.js'
import type {SshSettings} from '../remote/ssh.js'
import {diagnoseHosts, inputsOfCapture, MULTI_HOST_SCHEMA, saveHosts} from '../remote/diagnose.js'
import type {MultiDiagnosis} from '../remote/diagnose.js'
import {checkedHostNames} from '../remote/hosts.js'
import type {HostsCapture} from '../remote/hosts.js'
import {crossLines, failedHostsLine, sidesLine} from '../remote/report.js'
import {DoctorError} from '../errors.js'
import {LOCAL_HOST} from '../remote/ssh.js'
import {MultiWatch} from './multi.js'
import type {HostWatchInit} from './multi.js'
import {openRemoteHost, openRemoteSource, RemoteSampleSource} from './remote.js'
import {LiveSampleSource, ReplaySampleSource} from './sources.js'
import type {SampleSource} from './sources.js'
import {loadArgv, WatchSession} from './session.js'
import {WatchStore} from './store.js'
import {printable, printableDeep} from '../util/printable.js'

export interface WatchRequest {
  from: string | null
  netns: string | null
  ovsRundir: string | null
  load: string[] | null
  loadTimeoutMs: number
  durationMs: number | null
  save: string | null
  runner?: Runner
}

export interface Watch {
  session: WatchSession
  store: WatchStore
  /** Lines worth telling the user before the first sample (e.g. iperf3 -J cannot stream). */
  notes: string[]
}

export function createWatch(req: WatchRequest): Watch {
  if (req.save) assertBundleDir(req.save)
  const runner = req.runner ?? new HostRunner()
  if (req.from) {
    const recorded = readCapture(req.from)
    const store = new WatchStore({host: recorded.manifest.host})
    const session = new WatchSession({source: new ReplaySampleSource(recorded.samples), store, runner, host: recorded.manifest.host, load: null, loadTimeoutMs: req.loadTimeoutMs, durationMs: req.durationMs, recorded})
    return {session, store, notes: []}
  }
  const target = targetOf(req)
  return liveWatch(new LiveSampleSource(runner, target), hostInfo(target), runner, req)
}

/** watch --host X: X's samples over ssh (probed first: a host that failed is the error); the load runs here. */
export async function createRemoteWatch(req: WatchRequest & {host: string; ssh: SshSettings; signal?: AbortSignal}): Promise<Watch> {
  if (req.save) assertBundleDir(req.save)
  const runner = req.runner ?? new HostRunner()
  const {source, host} = await openRemoteSource({host: req.host, ssh: req.ssh, netns: req.netns, ovsRundir: req.ovsRundir, runner, signal: req.signal})
  return liveWatch(source, host, runner, req)
}

function liveWatch(source: SampleSource, host: HostInfo, runner: Runner, req: WatchRequest): Watch {
  const store = new WatchStore({host})
  const load = req.load ? loadArgv(req.load) : null
  if (load?.note) store.note(load.note)
  const session = new WatchSession({source, store, runner, host, load: load?.argv ?? null, loadTimeoutMs: req.loadTimeoutMs, durationMs: req.durationMs})
  return {session, store, notes: load?.note ? [load.note] : []}
}

/** The default directory of the `s` key's capture when --save is not given. */
export function defaultSaveDir(now = new Date()): string {
  return `dpdk-doctor-watch-${now.toISOString().replace(/[:.]/g, '-')}`
}

export interface WatchResult {
  diagnosis: Diagnosis
  savedTo: string | null
}

/** Saves the capture when asked and diagnoses the whole window, as `diagnose --from` would. */
export function finishWatch(capture: Capture, req: Pick<WatchRequest, 'from' | 'save'>): WatchResult {
  let savedTo: string | null = null
  if (req.save) {
    writeCapture(req.save, capture)
    savedTo = resolve(req.save)
  }
  const diagnosis = analyse(capture, {input: {mode: req.from ? 'bundle' : 'live', bundle: req.from, savedTo}})
  return {diagnosis, savedTo}
}

/** The exit summary: diagnose's verdict line and the findings count. */
export function summaryLines(result: WatchResult, style: Style): string[] {
  const d = printableDeep(result.diagnosis)
  const count = (sev: string) => d.findings.filter((f) => f.severity === sev).length
  const bySeverity = ['critical', 'warning', 'info'].filter((s) => count(s) > 0).map((s) => `${count(s)} ${s}`)
  const colour = d.exitCode === 0 ? style.green : d.exitCode === 1 ? style.yellow : d.exitCode === 2 ? style.red : style.dim
  const window = d.window ? ` over ${d.window.durationS.toFixed(0)} s (${d.window.samples} samples)` : ''
  const lines = [
    colour(style.bold(d.verdict.text)),
    `${colour(d.status)} (exit ${d.exitCode}): ${d.findings.length} finding${d.findings.length === 1 ? '' : 's'}${bySeverity.length > 0 ? ` (${bySeverity.join(', ')})` : ''}${window}`,
  ]
  // The story's start, as diagnose tells it: what to fix, not only how many findings.
  const root = d.story.entries.find((e) => e.role === 'root-cause' && e.explainedBy === null)
  const rootFinding = root ? d.findings.find((f) => f.ruleId === root.ruleId && f.subject === root.subject) : undefined
  if (rootFinding) lines.push(printable(`Root cause: ${rootFinding.message} (${rootFinding.ruleId})`))
  if (result.savedTo) lines.push(`Saved the capture to ${printable(result.savedTo)}: dpdk-doctor diagnose --from ${printable(result.savedTo)}`)
  return lines
}

/** The exit summary as the last JSON line. */
export function summaryJson(result: WatchResult): string {
  const d = result.diagnosis
  return JSON.stringify({
    type: 'summary',
    status: d.status,
    exitCode: d.exitCode,
    verdict: d.verdict,
    findings: d.findings.length,
    findingIds: [...new Set(d.findings.map((f) => f.ruleId))],
    window: d.window,
    savedTo: result.savedTo,
  })
}

export interface MultiWatchRequest extends WatchRequest {
  hosts: string[]
  ssh: SshSettings
  intervalMs: number
  signal?: AbortSignal
}

export interface MultiWatchSetup {
  watch: MultiWatch
  notes: string[]
}

/**
 * watch --host A --host B: every host probed at once (`local` is this machine's sampler); a host
 * that failed is shown with its status beside the others; every host failing is the error.
 */
export async function createMultiWatch(req: MultiWatchRequest): Promise<MultiWatchSetup> {
  if (req.save) assertBundleDir(req.save)
  const names = checkedHostNames(req.hosts)
  const runner = req.runner ?? new HostRunner()
  const target = targetOf(req)
  const hosts = await Promise.all(
    names.map(async (name): Promise<HostWatchInit> => {
      if (name === LOCAL_HOST) return {name, host: hostInfo(target), source: new LiveSampleSource(runner, target), status: 'ok', failure: null, probe: null}
      const session = await openRemoteHost({host: name, ssh: req.ssh, netns: req.netns, ovsRundir: req.ovsRundir, runner, signal: req.signal})
      if (session.status === 'ok') return {name, host: session.hostInfo(), source: new RemoteSampleSource(session), status: 'ok', failure: null, probe: session.probe}
      const host: HostInfo = {hostname: name, machineId: null, kernel: null, netns: req.netns, ovsRundir: req.ovsRundir}
      return {name, host, source: null, status: session.status, failure: session.failure, probe: session.probe}
    }),
  )
  if (hosts.every((h) => h.source === null)) {
    throw new DoctorError('E_HOST', `no host answered: ${hosts.map((h) => `${h.name} ${h.status}${h.failure ? ` (${h.failure.reason})` : ''}`).join('; ')}`, {
      suggestions: hosts.flatMap((h) => (h.failure?.fix ? [h.failure.fix] : [])),
    })
  }
  const load = req.load ? loadArgv(req.load) : null
  const watch = new MultiWatch({hosts, runner, load: load?.argv ?? null, loadTimeoutMs: req.loadTimeoutMs, durationMs: req.durationMs, tickBudgetMs: Math.max(2 * req.intervalMs, 5000)})
  const notes = [...(load?.note ? [load.note] : []), ...hosts.filter((h) => h.source === null).map((h) => `${h.name}: ${h.status}${h.failure ? ` (${h.failure.reason})` : ''}: not watched`)]
  for (const n of notes) watch.note(n)
  return {watch, notes}
}

export interface MultiWatchResult {
  multi: MultiDiagnosis
  savedTo: string | null
}

/** Saves DIR/<host>/ + DIR/hosts.json when asked, and diagnoses every host and the pair, as `diagnose --host A --host B`. */
export function finishMultiWatch(capture: HostsCapture, req: Pick<WatchRequest, 'save'>): MultiWatchResult {
  let savedTo: string | null = null
  if (req.save) {
    saveHosts(req.save, capture)
    savedTo = resolve(req.save)
  }
  return {multi: diagnoseHosts(inputsOfCapture(capture, savedTo)), savedTo}
}

/** The exit summary: the sides, the cross-host findings, each host's summary, the failed hosts. */
export function multiSummaryLines(result: MultiWatchResult, style: Style): string[] {
  const md = result.multi
  const colour = md.exitCode === 0 ? style.green : md.exitCode === 1 ? style.yellow : md.exitCode === 2 ? style.red : style.dim
  const lines = [colour(style.bold(sidesLine(md))), ...crossLines(md)]
  for (const h of md.hosts) {
    lines.push(`== ${printable(h.name)} (${h.status}) ==`)
    if (h.diagnosis) lines.push(...summaryLines({diagnosis: h.diagnosis, savedTo: null}, style).map((l) => `  ${l}`))
    else lines.push(`  not collected: ${printable(h.reason ?? h.status)}${h.fix ? ` (to fix: ${printable(h.fix)})` : ''}`)
  }
  lines.push(`${colour(md.status)} (exit ${md.exitCode}); ${failedHostsLine(md)}`)
  if (result.savedTo) lines.push(`Saved the hosts' captures to ${printable(result.savedTo)}: dpdk-doctor diagnose --from ${printable(result.savedTo)}`)
  return lines
}

/** The exit summary as the last JSON line. */
export function multiSummaryJson(result: MultiWatchResult): string {
  const md = result.multi
  return JSON.stringify({
    type: 'summary',
    schema: MULTI_HOST_SCHEMA,
    status: md.status,
    exitCode: md.exitCode,
    sides: md.sides,
    hosts: md.hosts.map((h) => ({
      name: h.name,
      status: h.status,
      reason: h.reason,
      exitCode: h.diagnosis?.exitCode ?? null,
      verdict: h.diagnosis?.verdict ?? null,
      findings: h.diagnosis?.findings.length ?? null,
      findingIds: h.diagnosis ? [...new Set(h.diagnosis.findings.map((f) => f.ruleId))] : [],
      window: h.diagnosis?.window ?? null,
    })),
    cross: md.cross,
    failed: md.failed,
    savedTo: result.savedTo,
  })
}
