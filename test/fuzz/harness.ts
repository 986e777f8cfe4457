/**
 * The fuzzer's parts (issue 11): real outputs (fixtures/parsers/*, fixtures/bundles/*) mutated the
 * way a damaged or hostile capture differs from a good one, run through every parser and, as
 * whole bundles, through analyse. Shared by the unit suite (a few hundred inputs each) and
 * `npm run fuzz` (test/fuzz/run.ts, 10,000 per parser, with figures).
 *
 * What each input must give: no exception; no NaN or infinite number in a parse result or in what
 * a rule sees; no negative counter (packets, bytes, drops, errors, cycles) reaching a rule. The
 * time of each input is measured by the caller (the bench run bounds it at 1 s).
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {readCapture} from '../../src/capture/bundle.js'
import type {Capture} from '../../src/capture/types.js'
import {baseSourceId, SOURCE_STATUSES} from '../../src/capture/types.js'
import {analyse} from '../../src/diagnose/analyse.js'
import {defineRule} from '../../src/engine/types.js'
import type {Rule, RuleContext} from '../../src/engine/types.js'
import {OTHER_PARSERS, PARSERS} from '../../src/parsers/index.js'
import {RULES} from '../../rules/index.js'

export const PARSER_IDS = [...Object.keys(PARSERS), ...Object.keys(OTHER_PARSERS)].sort()
const TEMPLATED = new Set(['fdb', 'ofctl-show', 'ofctl-ports', 'ethtool-i'])

export function parse(id: string, text: string) {
  const parser = PARSERS[id] ?? OTHER_PARSERS[id]
  if (!parser) throw new Error(`no parser ${id}`)
  return parser(text, TEMPLATED.has(id) ? 'ovsbr0' : null)
}

export const BUNDLE_DIRS = readdirSync('fixtures/bundles', {withFileTypes: true}).filter((d) => d.isDirectory()).map((d) => join('fixtures/bundles', d.name)).sort()

/** Real outputs of a parser: its fixtures, and every bundle's output of that source. */
export function seedsFor(id: string): string[] {
  const seeds: string[] = []
  const fixtureDir = join('fixtures/parsers', id)
  if (existsSync(fixtureDir)) for (const f of readdirSync(fixtureDir).filter((f) => f.endsWith('.out')).sort()) seeds.push(readFileSync(join(fixtureDir, f), 'utf8'))
  for (const bundle of BUNDLE_DIRS) {
    if (id === 'iperf3' && existsSync(join(bundle, 'load/output.json'))) seeds.push(readFileSync(join(bundle, 'load/output.json'), 'utf8'))
    for (const sample of readdirSync(bundle, {withFileTypes: true}).filter((d) => d.isDirectory())) {
      for (const f of readdirSync(join(bundle, sample.name)).filter((f) => f.endsWith('.out') && baseSourceId(f.slice(0, -4)) === id)) {
        seeds.push(readFileSync(join(bundle, sample.name, f), 'utf8'))
      }
    }
  }
  return [...new Set(seeds)]
}

/** Values that break naive number handling, and text that breaks naive splitting. */
const NASTY = [
  '-1', '-0', '0', '-9223372036854775808', '18446744073709551616', '99999999999999999999999', 'NaN', 'Infinity', '-Infinity', '1e400', '0x1f', '1.5',
  '', ' ', '\n', '\r\n', '\t', '\u0000', '\u001b[2J', '{', '}', '[', ']', '"', ':', ',', 'null', 'true', '?', 'N/A', 'NOT AVAIL', '\\', '\ufffd', 'é',
] as const

type Edit =
  | {kind: 'insert'; at: number; text: string}
  | {kind: 'delete'; at: number; length: number}
  | {kind: 'number'; index: number; value: string}
  | {kind: 'repeat-lines'; at: number; count: number; times: number}
  | {kind: 'truncate'; at: number}
  | {kind: 'json'; index: number; value: unknown}

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.string({unit: 'binary', maxLength: 12}), fc.constantFrom(...NASTY))}),
  fc.record({kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({min: 1, max: 200})}),
  fc.record({kind: fc.constant('number' as const), index: fc.nat(), value: fc.constantFrom(...NASTY)}),
  fc.record({kind: fc.constant('repeat-lines' as const), at: fc.nat(), count: fc.integer({min: 1, max: 5}), times: fc.integer({min: 2, max: 50})}),
  fc.record({kind: fc.constant('truncate' as const), at: fc.nat()}),
  fc.record({kind: fc.constant('json' as const), index: fc.nat(), value: fc.oneof(fc.jsonValue({maxDepth: 2}), fc.constantFrom(-1, -1e30, 1e308, 2 ** 64, 0.5, '', '-1', 'x\ny', null))}),
)

/** The leaf paths of a JSON value, at most `limit`. */
function leaves(value: unknown, path: Array<string | number> = [], out: Array<Array<string | number>> = [], limit = 2000): Array<Array<string | number>> {
  if (out.length >= limit) return out
  if (Array.isArray(value)) value.forEach((v, i) => leaves(v, [...path, i], out, limit))
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) leaves(v, [...path, k], out, limit)
  else out.push(path)
  return out
}

function applyEdit(text: string, e: Edit): string {
  const at = (n: number) => (text.length === 0 ? 0 : n % (text.length + 1))
  switch (e.kind) {
    case 'insert':
      return text.slice(0, at(e.at)) + e.text + text.slice(at(e.at))
    case 'delete':
      return text.slice(0, at(e.at)) + text.slice(at(e.at) + e.length)
    case 'truncate':
      return text.slice(0, at(e.at))
    case 'number': {
      const numbers = [...text.matchAll(/\d+/g)]
      if (numbers.length === 0) return text
      const m = numbers[e.index % numbers.length]!
      return text.slice(0, m.index) + e.value + text.slice(m.index + m[0].length)
    }
    case 'repeat-lines': {
      const lines = text.split('\n')
      const from = e.at % Math.max(1, lines.length)
      const block = lines.slice(from, from + e.count)
      return [...lines.slice(0, from), ...Array.from({length: e.times}, () => block).flat(), ...lines.slice(from)].join('\n')
    }
    case 'json': {
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        return text
      }
      const paths = leaves(value)
      if (paths.length === 0) return JSON.stringify(e.value)
      const path = paths[e.index % paths.length]!
      if (path.length === 0) return JSON.stringify(e.value)
      let node = value as Record<string | number, unknown>
      for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>
      node[path[path.length - 1]!] = e.value
      return JSON.stringify(value)
    }
  }
}

/** A real output with one to four edits. */
export function mutatedOutput(seeds: readonly string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...seeds), fc.array(editArb, {minLength: 1, maxLength: 4})).map(([seed, edits]) => edits.reduce(applyEdit, seed))
}

/** Numbers no parse result and no rule input may hold. */
const COUNTER_KEY = /packets|bytes|drop|error|miss|cycles|hits|lost|retrans/i

/** Where a value holds NaN or an infinite number, or a negative counter (when `counters`); null if nowhere. */
export function badNumber(value: unknown, counters: boolean, path = '$', seen = new Set<object>()): string | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return `${path} = ${value}`
    return null
  }
  if (value === null || typeof value !== 'object' || seen.has(value)) return null
  seen.add(value)
  const entries: Array<[string, unknown]> = value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v]) : Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value)
  for (const [k, v] of entries) {
    if (counters && typeof v === 'number' && v < 0 && COUNTER_KEY.test(k)) return `${path}.${k} = ${v} (a negative counter)`
    const bad = badNumber(v, counters, `${path}.${k}`, seen)
    if (bad) return bad
  }
  return null
}

/** One parser input: throws (a fast-check failure) on an exception or a NaN in the result. */
export function checkParse(id: string, text: string): void {
  const result = parse(id, text)
  if (result.ok) {
    const bad = badNumber(result.value, false)
    if (bad) throw new Error(`${id}: ${bad}`)
  }
}

// --- Bundles through analyse --------------------------------------------------------------------

export const BUNDLES: ReadonlyArray<{dir: string; capture: Capture}> = BUNDLE_DIRS.map((dir) => ({dir, capture: readCapture(dir)}))

type BundleEdit =
  | {kind: 'output'; sample: number; source: number; edits: Edit[]}
  | {kind: 'status'; sample: number; source: number; status: number}
  | {kind: 'drop-source'; sample: number; source: number}
  | {kind: 'swap-outputs'; sample: number; a: number; b: number}
  | {kind: 'taken-at'; sample: number; value: string}
  | {kind: 'load-output'; edits: Edit[]}

const bundleEditArb: fc.Arbitrary<BundleEdit> = fc.oneof(
  {weight: 6, arbitrary: fc.record({kind: fc.constant('output' as const), sample: fc.nat(), source: fc.nat(), edits: fc.array(editArb, {minLength: 1, maxLength: 3})})},
  fc.record({kind: fc.constant('status' as const), sample: fc.nat(), source: fc.nat(), status: fc.nat()}),
  fc.record({kind: fc.constant('drop-source' as const), sample: fc.nat(), source: fc.nat()}),
  fc.record({kind: fc.constant('swap-outputs' as const), sample: fc.nat(), a: fc.nat(), b: fc.nat()}),
  // Only times the bundle reader accepts (it refuses one that is not a time); the samples are then re-sorted as it does.
  fc.record({kind: fc.constant('taken-at' as const), sample: fc.nat(), value: fc.constantFrom('1970-01-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z', '2026-11-21T04:37:40.781Z', '2026-11-21T04:37:32.528Z')}),
  fc.record({kind: fc.constant('load-output' as const), edits: fc.array(editArb, {minLength: 1, maxLength: 3})}),
)

/** A structural copy of a capture with the edits applied (the original is never touched). */
function editCapture(original: Capture, edits: BundleEdit[]): Capture {
  const capture: Capture = {
    manifest: structuredClone(original.manifest),
    samples: original.samples.map((s) => ({...s, sources: Object.fromEntries(Object.entries(s.sources).map(([id, r]) => [id, {...r}]))})),
    loadOutput: original.loadOutput,
  }
  for (const e of edits) {
    if (e.kind === 'load-output') {
      capture.loadOutput = e.edits.reduce(applyEdit, capture.loadOutput ?? '')
      continue
    }
    const sample = capture.samples[e.sample % capture.samples.length]!
    const ids = Object.keys(sample.sources).sort()
    if (ids.length === 0) continue
    if (e.kind === 'taken-at') sample.takenAt = e.value
    else if (e.kind === 'output') {
      const r = sample.sources[ids[e.source % ids.length]!]!
      r.stdout = e.edits.reduce(applyEdit, r.stdout)
    } else if (e.kind === 'status') sample.sources[ids[e.source % ids.length]!]!.status = SOURCE_STATUSES[e.status % SOURCE_STATUSES.length]!
    else if (e.kind === 'drop-source') delete sample.sources[ids[e.source % ids.length]!]
    else if (e.kind === 'swap-outputs') {
      const a = sample.sources[ids[e.a % ids.length]!]!
      const b = sample.sources[ids[e.b % ids.length]!]!
      ;[a.stdout, b.stdout] = [b.stdout, a.stdout]
    }
  }
  capture.samples.sort((a, b) => a.takenAt.localeCompare(b.takenAt))
  return capture
}

/** A fixture bundle (by index) and the edits to make to it: small to print when a case fails. */
export const bundleMutation = fc.tuple(fc.nat({max: BUNDLES.length - 1}), fc.array(bundleEditArb, {minLength: 1, maxLength: 5}))

export function mutatedCapture([index, edits]: [number, BundleEdit[]]): Capture {
  return editCapture(BUNDLES[index]!.capture, edits)
}

/** Probes that run with the rules and check what every rule is given. */
function probes(found: string[]): Rule[] {
  const check = (ctx: RuleContext) => {
    const bad = badNumber(ctx.state, true, 'state') ?? badNumber(ctx.window, true, 'window')
    if (bad) found.push(bad)
    return {findings: []}
  }
  const meta = {title: 'probe', severity: 'info' as const, group: 'kernel-bypass' as const, rationale: '', inputs: [], thresholds: {}, remediation: '', field: 'T', appliesTo: 'any host (a fuzz probe)'}
  return [
    defineRule({meta: {...meta, id: 'zz-fuzz-probe-snapshot', kind: 'snapshot'}, check}),
    defineRule({meta: {...meta, id: 'zz-fuzz-probe-window', kind: 'window'}, check}),
  ] as Rule[]
}

/** One bundle input: throws on an exception, or on a NaN or negative counter a rule would see. */
export function checkAnalyse(capture: Capture): void {
  const found: string[] = []
  const d = analyse(capture, {input: {mode: 'bundle', bundle: 'fuzz', savedTo: null}, rules: [...RULES, ...probes(found)]})
  if (found.length > 0) throw new Error(`a rule was given ${found[0]}`)
  if (![0, 1, 2, 3].includes(d.exitCode)) throw new Error(`exit code ${d.exitCode}`)
  JSON.stringify(d) // the --json document must serialise
}
