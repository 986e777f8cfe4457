/**
 * Reading and writing capture bundles (docs/capture-format.md). Raw outputs are written byte for
 * byte; a bundle is readable with `cat`. Reading validates the layout and says what is wrong.
 */
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {DoctorError} from '../errors.js'
import {isSosReportDir, readSosReport} from './sos.js'
import {CAPTURE_FORMAT, CAPTURE_VERSION, SOURCE_STATUSES, SOURCE_VIAS} from './types.js'
import type {Capture, CaptureManifest, Sample, SourceRecord, SourceResult} from './types.js'

const SAMPLE_NAME = /^(before|after|during(-[0-9]+)?)$/
/** Source ids become file names: keep them to a safe alphabet. */
const SOURCE_ID = /^[a-z0-9][a-z0-9_-]*(\.[A-Za-z0-9_.-]+)?$/

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

function readText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : ''
}

function readSample(dir: string, name: string, takenAt: string): Sample {
  const sampleDir = join(dir, name)
  const listPath = join(sampleDir, 'sources.json')
  if (!existsSync(listPath)) throw bad(dir, `${name}/sources.json is missing`)
  let records: unknown
  try {
    records = JSON.parse(readFileSync(listPath, 'utf8'))
  } catch (error) {
    throw bad(dir, `${name}/sources.json is not JSON (${(error as Error).message})`)
  }
  if (!Array.isArray(records)) throw bad(dir, `${name}/sources.json is not an array`)
  const sources: Record<string, SourceResult> = {}
  for (const raw of records as Array<Partial<SourceRecord>>) {
    if (typeof raw?.id !== 'string' || !SOURCE_ID.test(raw.id)) throw bad(dir, `${name}/sources.json has an entry without a valid id`)
    if (!raw.status || !SOURCE_STATUSES.includes(raw.status)) throw bad(dir, `${name}/${raw.id}: unknown status ${JSON.stringify(raw.status)}`)
    sources[raw.id] = {
      id: raw.id,
      ...(raw.argv ? {argv: raw.argv} : {}),
      ...(raw.path ? {path: raw.path} : {}),
      status: raw.status,
      exitCode: raw.exitCode ?? null,
      durationMs: raw.durationMs ?? 0,
      startedAt: raw.startedAt ?? takenAt,
      ...(raw.reason ? {reason: raw.reason} : {}),
      ...(raw.via && SOURCE_VIAS.includes(raw.via) ? {via: raw.via} : {}),
      stdout: readText(join(sampleDir, `${raw.id}.out`)),
      stderr: readText(join(sampleDir, `${raw.id}.err`)),
    }
  }
  return {name, takenAt, sources}
}

export function readCapture(dir: string): Capture {
  if (!existsSync(dir)) throw bad(dir, 'no such directory')
  // A sosreport tree is read by its own reader (src/capture/sos.ts); archives: src/capture/sos-archive.ts.
  if (isSosReportDir(dir)) return readSosReport(dir)
  const manifestPath = join(dir, 'capture.json')
  if (!existsSync(manifestPath)) throw bad(dir, 'capture.json is missing')
  let manifest: CaptureManifest
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as CaptureManifest
  } catch (error) {
    throw bad(dir, `capture.json is not JSON (${(error as Error).message})`)
  }
  if (manifest.format !== CAPTURE_FORMAT) throw bad(dir, `format is ${JSON.stringify(manifest.format)}, expected "${CAPTURE_FORMAT}"`)
  if (manifest.version !== CAPTURE_VERSION) {
    throw new DoctorError('E_BUNDLE_VERSION', `${dir} is capture format version ${manifest.version}; this dpdk-doctor reads version ${CAPTURE_VERSION}`, {
      suggestions: ['Upgrade dpdk-doctor to read newer bundles.'],
    })
  }
  if (!Array.isArray(manifest.samples) || manifest.samples.length === 0) throw bad(dir, 'it has no samples')
  for (const s of manifest.samples) {
    if (!SAMPLE_NAME.test(s.name)) throw bad(dir, `sample name ${JSON.stringify(s.name)} is not before/during[-N]/after`)
  }
  const samples = manifest.samples
    .map((s) => readSample(dir, s.name, s.takenAt))
    .sort((a, b) => a.takenAt.localeCompare(b.takenAt))
  if (manifest.load?.output && !isLoadOutputPath(manifest.load.output)) throw bad(dir, `load output path ${JSON.stringify(manifest.load.output)} is not inside load/`)
  const loadOutput = manifest.load?.output ? (existsSync(join(dir, manifest.load.output)) ? readFileSync(join(dir, manifest.load.output), 'utf8') : null) : null
  return {manifest, samples, loadOutput}
}
