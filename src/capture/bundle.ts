/**
 * Reading and writing capture bundles (docs/capture-format.md). Raw outputs are written byte for
 * byte; a bundle is readable with `cat`. Reading validates the layout and says what is wrong; every
 * file is read through the BundleReader (bundle-reader.ts), as a bundle is hostile input.
 */
import {existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {DoctorError} from '../errors.js'
import {isSosReportDir, readSosReport} from './sos.js'
import {CAPTURE_FORMAT, CAPTURE_VERSION, SOURCE_STATUSES, SOURCE_VIAS} from './types.js'
import {BundleReader} from './bundle-reader.js'
import type {RemoteHostInfo} from './types.js'
import type {BundleRefusal, Capture, CaptureManifest, HostInfo, LoadRecord, Sample, SourceRecord, SourceResult} from './types.js'

const SAMPLE_NAME = /^(before|after|during(-[0-9]+)?)$/
/** Source ids become file names: keep them to a safe alphabet. */
const SOURCE_ID = /^[a-z0-9][a-z0-9_-]*(\.[A-Za-z0-9_.-]+)?$/
/** Ids are file names (<id>.out): well under NAME_MAX. */
const SOURCE_ID_MAX = 128

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}

/** Refuses a directory that holds something other than a capture bundle (checked before collecting). */
export function assertBundleDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, 'capture.json'))) {
    throw new DoctorError('E_SAVE_DIR', `refusing to write a capture into ${dir}: it is not empty and not a capture bundle`, {
      suggestions: ['Choose a new or empty directory.'],
    })
  }
}

export function writeCapture(dir: string, capture: Capture): void {
  assertBundleDir(dir)
  mkdirSync(dir, {recursive: true})
  for (const sample of capture.samples) {
    const sampleDir = join(dir, sample.name)
    mkdirSync(sampleDir, {recursive: true})
    const records: SourceRecord[] = []
    for (const r of Object.values(sample.sources).sort((a, b) => a.id.localeCompare(b.id))) {
      const {stdout, stderr, ...record} = r
      records.push(record)
      writeFileSync(join(sampleDir, `${r.id}.out`), stdout)
      if (stderr.length > 0) writeFileSync(join(sampleDir, `${r.id}.err`), stderr)
    }
    writeFileSync(join(sampleDir, 'sources.json'), json(records))
  }
  const output = capture.manifest.load?.output
  if (isLoadOutputPath(output) && capture.loadOutput !== null) {
    mkdirSync(join(dir, 'load'), {recursive: true})
    writeFileSync(join(dir, output), capture.loadOutput)
  }
  writeFileSync(join(dir, 'capture.json'), json(capture.manifest))
}

/** The load output lives in load/ of the bundle; anything else (../../etc/passwd) is refused. */
function isLoadOutputPath(output: string | null | undefined): output is string {
  return typeof output === 'string' && /^load\/[A-Za-z0-9_.-]+$/.test(output) && !output.includes('..')
}

function bad(dir: string, what: string): DoctorError {
  return new DoctorError('E_BUNDLE', `${dir} is not a readable capture bundle: ${what}`, {
    suggestions: ['A bundle is made by `dpdk-doctor capture --out DIR` or `diagnose --save DIR`; see docs/capture-format.md.'],
  })
}

/** A value from the bundle, quoted and cut short for a message (JSON.stringify escapes control characters). */
function quoted(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)
const strings = (v: unknown): string[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null)
const count = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null)
const exitCodeOf = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null)

/** A JSON file of the bundle that must be there and readable, or the bundle is refused. */
function readJson(reader: BundleReader, dir: string, rel: string): unknown {
  const file = reader.read(rel)
  if (file.kind === 'missing') throw bad(dir, `${rel} is missing`)
  if (file.kind === 'refused') throw bad(dir, `${rel} refused: it ${file.reason}`)
  try {
    return JSON.parse(file.text)
  } catch (error) {
    throw bad(dir, `${rel} is not JSON (${(error as Error).message})`)
  }
}

function readSample(reader: BundleReader, dir: string, name: string, takenAt: string, refusals: BundleRefusal[]): Sample {
  const records = readJson(reader, dir, `${name}/sources.json`)
  if (!Array.isArray(records)) throw bad(dir, `${name}/sources.json is not an array`)
  const sources: Record<string, SourceResult> = {}
  for (const raw of records as Array<Partial<Record<keyof SourceRecord, unknown>> | null>) {
    const id = raw?.id
    if (typeof id !== 'string' || id.length > SOURCE_ID_MAX || !SOURCE_ID.test(id)) throw bad(dir, `${name}/sources.json has an entry without a valid id (${quoted(id)})`)
    const status = raw!.status as SourceRecord['status']
    if (typeof status !== 'string' || !SOURCE_STATUSES.includes(status)) throw bad(dir, `${name}/${id}: unknown status ${quoted(status)}`)
    const argv = strings(raw!.argv)
    const path = str(raw!.path)
    const reason = str(raw!.reason)
    const via = raw!.via as SourceRecord['via']
    const record: SourceResult = {
      id,
      ...(argv ? {argv} : {}),
      ...(path !== null ? {path} : {}),
      status,
      exitCode: exitCodeOf(raw!.exitCode),
      durationMs: count(raw!.durationMs) ?? 0,
      startedAt: str(raw!.startedAt) ?? takenAt,
      ...(reason ? {reason} : {}),
      ...(typeof via === 'string' && SOURCE_VIAS.includes(via) ? {via} : {}),
      stdout: '',
      stderr: '',
    }
    // A refused file makes its source an error: its output is not there to judge.
    const problems: string[] = []
    for (const [ext, key] of [['out', 'stdout'], ['err', 'stderr']] as const) {
      const rel = `${name}/${id}.${ext}`
      const file = reader.read(rel)
      if (file.kind === 'ok') record[key] = file.text
      else if (file.kind === 'refused') {
        problems.push(`${rel} ${file.reason}`)
        refusals.push({path: rel, sample: name, id, reason: file.reason})
      }
    }
    if (problems.length > 0) {
      sources[id] = {...record, status: 'error', exitCode: null, reason: `refused by the bundle reader: ${problems.join('; ')}`, stdout: '', stderr: ''}
    } else {
      sources[id] = record
    }
  }
  return {name, takenAt, sources}
}

function hostOf(raw: unknown): HostInfo {
  const h = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>
  const info: HostInfo = {hostname: str(h.hostname), machineId: str(h.machineId), kernel: str(h.kernel), netns: str(h.netns), ovsRundir: str(h.ovsRundir)}
  const remote = remoteOf(h.remote)
  return remote ? {...info, remote} : info
}

/** host.remote (a capture taken over ssh); anything not of its shape is dropped. */
function remoteOf(raw: unknown): RemoteHostInfo | null {
  if (!raw || typeof raw !== 'object') return null
  const r = raw as Record<string, unknown>
  const destination = str(r.destination)
  if (destination === null) return null
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)
  return {destination, user: str(r.user), sudo: r.sudo === true, clockOffsetMs: num(r.clockOffsetMs), rttMs: num(r.rttMs)}
}

function loadOf(dir: string, raw: unknown): LoadRecord | null {
  if (raw === null || raw === undefined) return null
  if (typeof raw !== 'object') throw bad(dir, `load is ${quoted(raw)}, not an object or null`)
  const l = raw as Record<string, unknown>
  const output = l.output === null || l.output === undefined ? null : str(l.output)
  if (output === null && l.output !== null && l.output !== undefined) throw bad(dir, `load output path ${quoted(l.output)} is not inside load/`)
  return {argv: strings(l.argv) ?? [], exitCode: exitCodeOf(l.exitCode), startedAt: str(l.startedAt) ?? '', endedAt: str(l.endedAt) ?? '', output}
}

/**
 * Reads a bundle through the BundleReader. The layout (capture.json, each sample's sources.json)
 * must be there and sound, or the bundle is refused with what is wrong; a source whose file is
 * refused becomes an `error` source with the reason, and the refusal is listed in `refusals`.
 */
export function readCapture(dir: string): Capture {
  if (!existsSync(dir)) throw bad(dir, 'no such directory')
  // A sosreport tree is read by its own reader (src/capture/sos.ts); archives: src/capture/sos-archive.ts.
  if (isSosReportDir(dir)) return readSosReport(dir)
  let reader: BundleReader
  try {
    reader = new BundleReader(dir)
  } catch (error) {
    throw bad(dir, `cannot open it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  const raw = readJson(reader, dir, 'capture.json') as Record<string, unknown> | null
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad(dir, 'capture.json is not an object')
  if (raw.format !== CAPTURE_FORMAT) throw bad(dir, `format is ${quoted(raw.format)}, expected "${CAPTURE_FORMAT}"`)
  if (raw.version !== CAPTURE_VERSION) {
    throw new DoctorError('E_BUNDLE_VERSION', `${dir} is capture format version ${quoted(raw.version)}; this dpdk-doctor reads version ${CAPTURE_VERSION}`, {
      suggestions: ['Upgrade dpdk-doctor to read newer bundles.'],
    })
  }
  if (!Array.isArray(raw.samples) || raw.samples.length === 0) throw bad(dir, 'it has no samples')
  const listed: Array<{name: string; takenAt: string}> = []
  for (const s of raw.samples as Array<Record<string, unknown> | null>) {
    const name = s?.name
    if (typeof name !== 'string' || !SAMPLE_NAME.test(name)) throw bad(dir, `sample name ${quoted(name)} is not before/during[-N]/after`)
    // Times order the samples and make the rates: one that is not a time would make every rate NaN.
    if (typeof s!.takenAt !== 'string' || !Number.isFinite(Date.parse(s!.takenAt))) throw bad(dir, `sample ${name} has no valid takenAt time (${quoted(s!.takenAt)})`)
    if (listed.some((x) => x.name === name)) throw bad(dir, `sample ${name} is listed twice`)
    listed.push({name, takenAt: s!.takenAt})
  }
  const tool = (raw.tool && typeof raw.tool === 'object' ? raw.tool : {}) as Record<string, unknown>
  const manifest: CaptureManifest = {
    format: CAPTURE_FORMAT,
    version: CAPTURE_VERSION,
    host: hostOf(raw.host),
    tool: {name: str(tool.name) ?? 'unknown', version: str(tool.version) ?? 'unknown'},
    createdAt: str(raw.createdAt) ?? '',
    samples: listed,
    load: loadOf(dir, raw.load),
  }
  if (manifest.load?.output && !isLoadOutputPath(manifest.load.output)) throw bad(dir, `load output path ${quoted(manifest.load.output)} is not inside load/`)
  const refusals: BundleRefusal[] = []
  const samples = listed.map((s) => readSample(reader, dir, s.name, s.takenAt, refusals)).sort((a, b) => a.takenAt.localeCompare(b.takenAt))
  let loadOutput: string | null = null
  if (manifest.load?.output) {
    const file = reader.read(manifest.load.output)
    if (file.kind === 'ok') loadOutput = file.text
    else if (file.kind === 'refused') refusals.push({path: manifest.load.output, sample: null, id: null, reason: file.reason})
  }
  return refusals.length > 0 ? {manifest, samples, loadOutput, refusals} : {manifest, samples, loadOutput}
}
