/**
 * Child process of the bench (own heap, so RSS and heap figures are this measurement's alone):
 * generates the large host, runs analyse() RUNS times, prints one JSON line on stdout.
 * Run as: node --expose-gc --import tsx test/bench/large-host-main.ts
 */
import {analyse} from '../../src/diagnose/analyse.js'
import {LARGE_HOST, largeHostCapture, rawBytes} from './large-host.js'

const RUNS = Number(process.env.BENCH_LARGE_RUNS ?? 5)
const gc = (globalThis as {gc?: () => void}).gc ?? (() => {})
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10

const genStart = performance.now()
const capture = largeHostCapture()
const generateMs = performance.now() - genStart
gc()
const baseline = process.memoryUsage()

// The target case is one snapshot of the large host (a static diagnosis: parse, join, rules);
// the load window (two full snapshots and the window) is measured too and reported beside it.
const staticCapture: typeof capture = {
  manifest: {...capture.manifest, samples: capture.manifest.samples.slice(0, 1), load: null},
  samples: capture.samples.slice(0, 1),
  loadOutput: null,
}
/**
 * The capture with new source objects (the same text): the model caches parses by source object
 * (for watch, whose live samples share the full sample's), and a run that found the previous
 * run's parses would measure a cache hit, not a diagnosis (runs 2-5 read 183-290 ms that way).
 */
const uncached = (c: typeof capture): typeof capture => ({
  ...c,
  samples: c.samples.map((s) => ({...s, sources: Object.fromEntries(Object.entries(s.sources).map(([id, r]) => [id, {...r}]))})),
})

const staticMs: number[] = []
const staticCpuMs: number[] = []
for (let i = 0; i < RUNS; i++) {
  const input = uncached(staticCapture)
  gc()
  const t = performance.now()
  const cpu = process.cpuUsage()
  analyse(input, {input: {mode: 'bundle', bundle: null, savedTo: null}})
  staticMs.push(performance.now() - t)
  const used = process.cpuUsage(cpu)
  staticCpuMs.push((used.user + used.system) / 1000)
}

const timesMs: number[] = []
// CPU time too: on a shared machine the wall time includes waiting for a CPU, the CPU time does not.
const cpuMs: number[] = []
let peakHeapUsed = 0
let summary: {exitCode: number; findings: number; paths: number; coverage: string} | null = null
for (let i = 0; i < RUNS; i++) {
  const input = uncached(capture)
  gc() // each run starts from the same heap, not from the previous run's garbage
  const t = performance.now()
  const cpu = process.cpuUsage()
  const d = analyse(input, {input: {mode: 'bundle', bundle: null, savedTo: null}})
  timesMs.push(performance.now() - t)
  const used = process.cpuUsage(cpu)
  cpuMs.push((used.user + used.system) / 1000)
  peakHeapUsed = Math.max(peakHeapUsed, process.memoryUsage().heapUsed)
  summary = {exitCode: d.exitCode, findings: d.findings.length, paths: d.attribution?.paths.length ?? 0, coverage: `${d.coverage.collected}/${d.coverage.total}`}
}
const after = process.memoryUsage()
gc()
const retained = process.memoryUsage()

process.stdout.write(
  `${JSON.stringify({
    shape: LARGE_HOST,
    rawMB: mb(rawBytes(capture)),
    generateMs: Math.round(generateMs),
    staticMs: staticMs.map((t) => Math.round(t)),
    staticCpuMs: staticCpuMs.map((t) => Math.round(t)),
    timesMs: timesMs.map((t) => Math.round(t)),
    cpuMs: cpuMs.map((t) => Math.round(t)),
    summary,
    memoryMB: {
      // Capture (generated raw text) alone, after a GC: what analyse starts from.
      baselineHeapUsed: mb(baseline.heapUsed),
      baselineRss: mb(baseline.rss),
      // Right after the last analyse(), before any GC: analyse's garbage included.
      heapUsedAfter: mb(after.heapUsed),
      peakHeapUsedAfterRun: mb(peakHeapUsed),
      retainedHeapUsed: mb(retained.heapUsed),
      // Peak resident set of the whole process (getrusage maxrss), generator included.
      maxRss: mb(process.resourceUsage().maxRSS * 1024),
    },
  })}\n`,
)
