/**
 * Converts the real lab captures (fixtures/captures/lab-ovs3.1-dpdk22.11, copied verbatim from the lab) into capture
 * bundles v1 under fixtures/bundles/. Deterministic: every timestamp comes from the captures
 * themselves, never from the clock, so re-running produces identical files.
 *
 *   npx tsx test/tools/convert-captures.ts [OUT_DIR] [CAPTURES_DIR]
 *
 * Also the shared bundle model (read/write) used by make-special-bundles.ts.
 */
import {mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {CAPTURE_FORMAT, CAPTURE_VERSION} from '../../src/capture/types.js'
import type {CaptureManifest, SourceRecord} from '../../src/capture/types.js'

const HERE = dirname(fileURLToPath(import.meta.url))
export const REPO_ROOT = resolve(HERE, '..', '..')
export const DEFAULT_OUT_DIR = join(REPO_ROOT, 'fixtures', 'bundles')
export const DEFAULT_CAPTURES_DIR = join(REPO_ROOT, 'fixtures', 'captures', 'lab-ovs3.1-dpdk22.11')

// ---------------------------------------------------------------- in-memory bundle model

/** One source of one sample: its sources.json record and its verbatim outputs. */
export interface BundleSource {
  record: SourceRecord
  stdout: string
  stderr: string
}

export interface BundleSample {
  name: string
  takenAt: string
  sources: BundleSource[]
}

export interface Bundle {
  name: string
  manifest: CaptureManifest
  samples: BundleSample[]
  loadOutput: string | null
}

/** sources.json record with a stable key order (what a reader diffing bundles expects). */
function orderedRecord(r: SourceRecord): SourceRecord {
  const out: SourceRecord = {id: r.id} as SourceRecord
  if (r.argv !== undefined) out.argv = r.argv
  if (r.path !== undefined) out.path = r.path
  out.status = r.status
  out.exitCode = r.exitCode
  out.durationMs = r.durationMs
  out.startedAt = r.startedAt
  if (r.reason !== undefined) out.reason = r.reason
  return out
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}

/** Writes a bundle, replacing any previous copy of it (idempotent: no stale files survive). */
export function writeBundle(outDir: string, bundle: Bundle): void {
  const dir = join(outDir, bundle.name)
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(dir, {recursive: true})
  const manifest: CaptureManifest = {
    format: bundle.manifest.format,
    version: bundle.manifest.version,
    host: bundle.manifest.host,
    tool: bundle.manifest.tool,
    createdAt: bundle.manifest.createdAt,
    samples: bundle.samples.map((s) => ({name: s.name, takenAt: s.takenAt})),
    load: bundle.manifest.load,
  }
  writeFileSync(join(dir, 'capture.json'), toJson(manifest))
  for (const sample of bundle.samples) {
    const sdir = join(dir, sample.name)
    mkdirSync(sdir, {recursive: true})
    writeFileSync(join(sdir, 'sources.json'), toJson(sample.sources.map((s) => orderedRecord(s.record))))
    for (const src of sample.sources) {
      writeFileSync(join(sdir, `${src.record.id}.out`), src.stdout)
      if (src.stderr !== '') writeFileSync(join(sdir, `${src.record.id}.err`), src.stderr)
    }
  }
  if (bundle.manifest.load?.output) {
    if (bundle.loadOutput === null) throw new Error(`${bundle.name}: load.output set but no load output`)
    const p = join(dir, bundle.manifest.load.output)
    mkdirSync(dirname(p), {recursive: true})
    writeFileSync(p, bundle.loadOutput)
  }
}

export function cloneBundle(b: Bundle, name: string): Bundle {
  const copy = JSON.parse(JSON.stringify(b)) as Bundle
  copy.name = name
  return copy
}

// ---------------------------------------------------------------- capture folder reading

interface IndexRow {
  name: string
  where: string
  argv: string[]
  exitCode: number
  ms: number
  /** Milliseconds since the folder's first command, assuming the commands ran one after another. */
  offsetMs: number
}

function readIndex(folder: string): IndexRow[] {
  const lines = readFileSync(join(folder, '_index.tsv'), 'utf8').split('\n').filter((l) => l !== '')
  const rows: IndexRow[] = []
  let offset = 0
  for (const line of lines.slice(1)) {
    const [name, where, command, exit, ms] = line.split('\t')
    if (name === undefined || where === undefined || command === undefined || exit === undefined || ms === undefined) {
      throw new Error(`${folder}/_index.tsv: bad line ${JSON.stringify(line)}`)
    }
    const row: IndexRow = {name, where, argv: command.split(' '), exitCode: Number(exit), ms: Number(ms), offsetMs: offset}
    offset += row.ms
    rows.push(row)
  }
  return rows
}

function readText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : ''
}

/** README.txt / mode.txt: `key=value` pairs, several to a line. */
function keyValues(path: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of readFileSync(path, 'utf8').split(/\s+/)) {
    const eq = part.indexOf('=')
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1)
  }
  return out
}

/**
 * A capture folder's timeline. pmd-perf-show prints the wall clock ("Time: HH:MM:SS.mmm") when it
 * ran: that is the one exact timestamp we have, so every command is placed relative to it using
 * the per-command milliseconds of _index.tsv.
 */
function folderClock(folder: string, rows: IndexRow[], capturedAt: string): (row: IndexRow) => number {
  const perf = readFileSync(join(folder, 'pmd-perf-show.txt'), 'utf8')
  const m = /^Time: (\d\d:\d\d:\d\d\.\d\d\d)$/m.exec(perf)
  if (!m?.[1]) throw new Error(`${folder}: no Time: line in pmd-perf-show.txt`)
  const captured = Date.parse(capturedAt)
  let anchor = Date.parse(`${capturedAt.slice(0, 10)}T${m[1]}Z`)
  // The capture set is saved after both snapshots; a Time later than that is from the day before.
  if (anchor > captured) anchor -= 86_400_000
  const perfRow = rows.find((r) => r.name === 'pmd-perf-show')
  if (!perfRow) throw new Error(`${folder}: pmd-perf-show missing from _index.tsv`)
  return (row) => anchor - perfRow.offsetMs + row.offsetMs
}

const iso = (ms: number): string => new Date(ms).toISOString()

interface LinkEntry {
  ifindex: number
  ifname: string
  stats64?: {rx: Record<string, number>; tx: Record<string, number>}
  [key: string]: unknown
}

/** Capture file -> source id, for the files that map one to one (verbatim stdout/stderr). */
const DIRECT: ReadonlyArray<[string, string]> = [
  ['ip-addr', 'ip-addr'],
  ['ip-route', 'ip-route'],
  ['ovs-list-open_vswitch', 'ovsdb-open_vswitch'],
  ['ovs-list-bridge', 'ovsdb-bridge'],
  ['ovs-list-port', 'ovsdb-port'],
  ['ovs-list-interface', 'ovsdb-interface'],
  ['dpif-show', 'dpif-show'],
  ['dpctl-show', 'dpctl-show'],
  ['pmd-stats-show', 'pmd-stats'],
  ['pmd-perf-show', 'pmd-perf'],
  ['pmd-rxq-show', 'pmd-rxq'],
  ['dpdk-devbind-status', 'devbind'],
  ['meminfo-hugepages', 'meminfo'],
  ['fdb-show', 'fdb.ovsbr0'],
  ['ofctl-dump-ports', 'ofctl-ports.ovsbr0'],
]

/** Order of sources in sources.json: dpdk-doctor's own order (src/collect/sources.ts). */
const ORDER = [
  'ip-addr', 'ip-route', 'ip-link', 'sysctl-net', 'sysfs-net', 'sysfs-stats',
  'ovsdb-open_vswitch', 'ovsdb-bridge', 'ovsdb-port', 'ovsdb-interface',
  'dpif-show', 'dpctl-show', 'pmd-stats', 'pmd-perf', 'pmd-rxq', 'devbind', 'meminfo',
  'fdb.ovsbr0', 'ofctl-ports.ovsbr0',
]

function sortSources(sources: BundleSource[]): BundleSource[] {
  const rank = (id: string): number => {
    const i = ORDER.indexOf(id)
    return i === -1 ? ORDER.length : i
  }
  return [...sources].sort((a, b) => rank(a.record.id) - rank(b.record.id) || (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0))
}

/** Reads one capture folder (idle or load) into a bundle sample. Only host0's commands. */
export function readSample(folder: string, sampleName: string, capturedAt: string): BundleSample {
  const rows = readIndex(folder).filter((r) => r.where === 'h0' && !r.name.startsWith('groundtruth-'))
  const at = folderClock(folder, rows, capturedAt)
  const byName = new Map(rows.map((r) => [r.name, r]))
  const row = (name: string): IndexRow => {
    const r = byName.get(name)
    if (!r) throw new Error(`${folder}: ${name} missing from _index.tsv`)
    return r
  }
  const status = (exitCode: number): SourceRecord['status'] => (exitCode === 0 ? 'ok' : 'error')
  const commandSource = (id: string, r: IndexRow): BundleSource => ({
    record: {id, argv: r.argv, status: status(r.exitCode), exitCode: r.exitCode, durationMs: r.ms, startedAt: iso(at(r))},
    stdout: readText(join(folder, `${r.name}.txt`)),
    stderr: readText(join(folder, `${r.name}.stderr.txt`)),
  })
  // In-process readers (sysfs, /proc/sys) record a path; exit code 0 when read, as src/collect does.
  const pathSource = (id: string, path: string, r: IndexRow, stdout: string): BundleSource => ({
    record: {id, path, status: 'ok', exitCode: 0, durationMs: r.ms, startedAt: iso(at(r))},
    stdout,
    stderr: '',
  })

  const sources: BundleSource[] = DIRECT.map(([file, id]) => commandSource(id, row(file)))

  // ip-link = `ip -j -s -d link`: the lab ran -s and -d separately; join them per ifindex, the
  // -d entry (linkinfo, promiscuity, ...) followed by the -s entry's stats64, as iproute2 orders it.
  const statsRow = row('ip-link-stats')
  const detailsRow = row('ip-link-details')
  const stats = JSON.parse(readText(join(folder, 'ip-link-stats.txt'))) as LinkEntry[]
  const details = JSON.parse(readText(join(folder, 'ip-link-details.txt'))) as LinkEntry[]
  const statsByIndex = new Map(stats.map((l) => [l.ifindex, l]))
  const merged = details.map((d) => {
    const s = statsByIndex.get(d.ifindex)
    return s?.stats64 ? {...d, stats64: s.stats64} : d
  })
  for (const s of stats) if (!details.some((d) => d.ifindex === s.ifindex)) merged.push(s)
  sources.push({
    record: {
      id: 'ip-link',
      argv: ['ip', '-j', '-s', '-d', 'link'],
      status: status(Math.max(statsRow.exitCode, detailsRow.exitCode)),
      exitCode: Math.max(statsRow.exitCode, detailsRow.exitCode),
      durationMs: statsRow.ms + detailsRow.ms,
      startedAt: iso(at(statsRow)),
    },
    stdout: JSON.stringify(merged) + '\n',
    stderr: readText(join(folder, 'ip-link-stats.stderr.txt')) + readText(join(folder, 'ip-link-details.stderr.txt')),
  })

  sources.push(pathSource('sysctl-net', '/proc/sys/net/ipv4', row('sysctl-ip'), readText(join(folder, 'sysctl-ip.txt'))))

  // sysfs-stats: /sys/class/net/<if>/statistics, which is what stats64 reports.
  // Same shape as src/collect/readers.ts: compact JSON, interfaces in sorted (readdir) order.
  const sysfsStats: Record<string, Record<string, number>> = {}
  for (const l of [...stats].sort((a, b) => (a.ifname < b.ifname ? -1 : a.ifname > b.ifname ? 1 : 0))) {
    if (!l.stats64) continue
    const {rx, tx} = l.stats64
    sysfsStats[l.ifname] = {
      rx_bytes: rx['bytes'] ?? 0, rx_packets: rx['packets'] ?? 0, rx_errors: rx['errors'] ?? 0, rx_dropped: rx['dropped'] ?? 0,
      tx_bytes: tx['bytes'] ?? 0, tx_packets: tx['packets'] ?? 0, tx_errors: tx['errors'] ?? 0, tx_dropped: tx['dropped'] ?? 0,
    }
  }
  sources.push(pathSource('sysfs-stats', '/sys/class/net', statsRow, JSON.stringify(sysfsStats) + '\n'))

  // ethtool -i for the kernel interfaces the lab asked about. dpdk0 is a DPDK port, not a netdev
  // (the lab's ethtool exited 71): dpdk-doctor's own collection never asks for it, nor does this.
  const drivers = new Map<string, string>()
  const netdevs = new Set(details.map((d) => d.ifname))
  for (const r of rows) {
    if (!r.name.startsWith('ethtool-i-')) continue
    const ifname = r.name.slice('ethtool-i-'.length)
    if (!netdevs.has(ifname)) continue
    const src = commandSource(`ethtool-i.${ifname}`, r)
    sources.push(src)
    const drv = /^driver: (\S+)$/m.exec(src.stdout)?.[1]
    if (src.record.status === 'ok' && drv) drivers.set(ifname, drv)
  }

  // sysfs-net: the lab has no PCI NIC, so no PCI address or NUMA node anywhere.
  const sysfsNet = details
    .map((d) => ({ifname: d.ifname, driver: drivers.get(d.ifname) ?? null, pciAddress: null, numaNode: null}))
    .sort((a, b) => (a.ifname < b.ifname ? -1 : a.ifname > b.ifname ? 1 : 0))
  sources.push(pathSource('sysfs-net', '/sys/class/net', detailsRow, JSON.stringify(sysfsNet) + '\n'))

  const sorted = sortSources(sources)
  const first = Math.min(...sorted.map((s) => Date.parse(s.record.startedAt)))
  return {name: sampleName, takenAt: iso(first), sources: sorted}
}

// ---------------------------------------------------------------- lab bundles

export interface LabSet {
  /** "broken" | "fixed" */
  mode: string
  /** "huge" | "nohuge" */
  mem: string
  dir: string
}

export function labSets(capturesDir: string): LabSet[] {
  const sets: LabSet[] = []
  for (const memDir of ['hugepages', 'nohuge']) {
    for (const mode of ['broken', 'fixed']) {
      sets.push({mode, mem: memDir === 'hugepages' ? 'huge' : 'nohuge', dir: join(capturesDir, memDir, mode)})
    }
  }
  return sets
}

interface Iperf3Json {
  start: {timestamp: {timesecs: number}; system_info?: string; test_start: {duration: number}}
}

/** Builds the two bundles of one capture set: <mode>-<mem>-load (before+during+load) and -idle. */
export function buildLabBundles(set: LabSet): Bundle[] {
  const readme = keyValues(join(set.dir, 'README.txt'))
  const capturedAt = readme['captured_at']
  const target = readme['target']
  if (!capturedAt || !target) throw new Error(`${set.dir}/README.txt: captured_at/target missing`)
  const iperfText = readFileSync(join(set.dir, 'load', 'iperf3.txt'), 'utf8')
  const iperf = JSON.parse(iperfText) as Iperf3Json
  // iperf3 runs in lab-vm0, a namespace of the same kernel: its uname is host0's too.
  const kernel = iperf.start.system_info?.split(' ')[2] ?? null

  const before = readSample(join(set.dir, 'idle'), 'before', capturedAt)
  const during = readSample(join(set.dir, 'load'), 'during', capturedAt)
  // iperf3 records whole seconds only.
  const loadStart = iperf.start.timestamp.timesecs * 1000
  const loadEnd = loadStart + iperf.start.test_start.duration * 1000
  const duringAt = Date.parse(during.takenAt)
  if (!(Date.parse(before.takenAt) < loadStart && loadStart < duringAt && duringAt < loadEnd)) {
    throw new Error(`${set.dir}: timeline out of order (before ${before.takenAt}, load ${iso(loadStart)}, during ${during.takenAt})`)
  }

  const manifest = (load: CaptureManifest['load']): CaptureManifest => ({
    format: CAPTURE_FORMAT,
    version: CAPTURE_VERSION,
    host: {hostname: 'lab-host0', machineId: null, kernel, netns: 'lab-host0', ovsRundir: null},
    tool: {name: 'dpdk-doctor', version: '0.1.0'},
    createdAt: iso(Date.parse(capturedAt)),
    samples: [],
    load,
  })
  const base = `lab-${set.mode}-${set.mem}`
  return [
    {
      name: `${base}-load`,
      manifest: manifest({
        argv: ['ip', 'netns', 'exec', 'lab-vm0', 'iperf3', '-c', target, '-t', '15', '-J'],
        exitCode: 0,
        startedAt: iso(loadStart),
        endedAt: iso(loadEnd),
        output: 'load/output.json',
      }),
      samples: [before, during],
      loadOutput: iperfText,
    },
    {name: `${base}-idle`, manifest: manifest(null), samples: [before], loadOutput: null},
  ]
}

export function buildAllLabBundles(capturesDir: string = DEFAULT_CAPTURES_DIR): Bundle[] {
  return labSets(capturesDir).flatMap(buildLabBundles)
}

export function convertCaptures(outDir: string, capturesDir: string = DEFAULT_CAPTURES_DIR): string[] {
  mkdirSync(outDir, {recursive: true})
  const bundles = buildAllLabBundles(capturesDir)
  for (const b of bundles) writeBundle(outDir, b)
  return bundles.map((b) => b.name)
}

/** Lists a directory's files recursively (relative paths, sorted): used by the determinism test. */
export function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = []
  for (const e of readdirSync(join(dir, prefix), {withFileTypes: true})) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name
    if (e.isDirectory()) out.push(...listFiles(dir, rel))
    else out.push(rel)
  }
  return out.sort()
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outDir = resolve(process.argv[2] ?? DEFAULT_OUT_DIR)
  const capturesDir = resolve(process.argv[3] ?? DEFAULT_CAPTURES_DIR)
  for (const name of convertCaptures(outDir, capturesDir)) console.log(`wrote ${join(outDir, name)}`)
}
