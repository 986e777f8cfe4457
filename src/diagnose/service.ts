/**
 * What `diagnose` and `capture` do, apart from flags and printing: read a bundle or capture live,
 * save it when asked, analyse it.
 */
import {resolve} from 'node:path'
import {assertBundleDir, readCapture, writeCapture} from '../capture/bundle.js'
import {readCaptureFrom} from '../capture/sos-archive.js'
import type {Capture} from '../capture/types.js'
import type {CollectTarget} from '../collect/sources.js'
import {DoctorError} from '../errors.js'
import {HostRunner} from '../exec/runner.js'
import type {Runner} from '../exec/runner.js'
import {assertNetns} from '../util/names.js'
import {analyse} from './analyse.js'
import {captureLive} from './live.js'
import type {Diagnosis} from './types.js'

export interface LiveRequest {
  netns: string | null
  ovsRundir: string | null
  load: string[] | null
  duringMs: number | null
  intervalMs: number
  loadTimeoutMs: number
  signal?: AbortSignal
  progress?: (line: string) => void
  runner?: Runner
  thorough?: boolean
}

export function targetOf(req: Pick<LiveRequest, 'netns' | 'ovsRundir'>): CollectTarget {
  return {netns: req.netns === null ? null : assertNetns(req.netns), ovsRundir: req.ovsRundir ? resolve(req.ovsRundir) : null}
}

export async function captureHost(req: LiveRequest): Promise<Capture> {
  if (req.load && req.duringMs) throw new DoctorError('E_USAGE', 'give either --load or --during, not both')
  return captureLive({
    runner: req.runner ?? new HostRunner(),
    target: targetOf(req),
    load: req.load,
    duringMs: req.duringMs,
    intervalMs: req.intervalMs,
    loadTimeoutMs: req.loadTimeoutMs,
    signal: req.signal,
    progress: req.progress,
    thorough: req.thorough,
  })
}

export async function diagnoseLive(req: LiveRequest & {save: string | null}): Promise<Diagnosis> {
  if (req.save) assertBundleDir(req.save)
  const capture = await captureHost(req)
  if (req.save) writeCapture(req.save, capture)
  return analyse(capture, {input: {mode: 'live', bundle: null, savedTo: req.save ? resolve(req.save) : null}})
}

export function diagnoseBundle(dir: string): Diagnosis {
  return analyse(readCapture(dir), {input: {mode: 'bundle', bundle: dir, savedTo: null}})
}

/** --from: a bundle or sosreport directory, or a sosreport archive (unpacked with tar, then removed). */
export async function diagnoseFrom(path: string): Promise<Diagnosis> {
  return analyse(await readCaptureFrom(path), {input: {mode: 'bundle', bundle: path, savedTo: null}})
}
