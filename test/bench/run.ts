/**
 * `npm run bench`: start-up, a large host in-process, live collection through stub processes.
 * Prints the figures with their targets and writes test/bench/results.json (gitignored).
 * Not a test: nothing here runs under vitest, and a missed target does not fail the command.
 */
import {execFileSync, spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {cpus, release, totalmem} from 'node:os'
import {join} from 'node:path'
import {benchWatchCpu} from './watch-cpu.js'
import {benchLiveCollect} from './live-collect.js'
import {benchSosVsCapture} from './sos-vs-capture.js'
import {benchStartup} from './startup.js'
import {benchTwoHosts, benchTwoHostsLab} from './two-hosts.js'
import {median, round, spread} from './stats.js'

const ROOT = new URL('../..', import.meta.url).pathname
const LARGE_TARGET_MS = 1000

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown'
  let gitHead: string | null = null
  try {
    gitHead = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {cwd: ROOT, encoding: 'utf8'}).trim()
  } catch {
    // Not a checkout.
  }
  return {
    cpu: model,
    cores: cpus().length,
    ramGB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    kernel: release(),
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    date: new Date().toISOString(),
    gitHead,
  }
}

/** The large-host measurement in its own process, so its memory figures are its own. */
function runLargeHost(): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(ROOT, 'test/bench/large-host-main.ts')], {cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`large-host bench exited ${code}`))))
  })
}

const verdict = (pass: boolean | null) => (pass === null ? '' : pass ? 'PASS' : 'FAIL')
const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`

async function main() {
  const m = machine()
  console.log(`dpdk-doctor bench: ${m.cpu}, ${m.cores} cores, ${m.ramGB} GB, Node ${m.node}, kernel ${m.kernel}, load ${m.loadavg}, ${m.date}\n`)

  console.log('1/4 start-up (15 interleaved runs after 2 warm-ups)...')
  const startup = await benchStartup(ROOT)
  console.log('2/4 large host in-process (5 runs of analyse())...')
  const large = await runLargeHost()
  const times = large.timesMs as number[]
  const largeMedian = median(times)
  // The target applies to one snapshot of the large host (parse, join, rules); the load window
  // (two full snapshots plus the window) is reported beside it.
  const staticTimes = large.staticMs as number[]
  const staticMedian = median(staticTimes)
  console.log('3/4 live collection through stub processes (10 interleaved runs per policy after 2 warm-ups)...\n')
  const live = await benchLiveCollect()
  console.log('4/4 watch sampler CPU at 1 s over 60 s (stub commands and control socket; `npx tsx test/bench/watch-cpu.ts --lab` for the lab)...\n')
  const watchCpu = await benchWatchCpu(ROOT, {seconds: 60, host: 'stubs'})
  console.log('extra: capture vs sos report -o openvswitch,networking on the lab (skips without the lab)...\n')
  const sos = await benchSosVsCapture(ROOT)
  console.log('extra: two-host collection over real ssh vs the slower host alone (sshd in a namespace of our own)...\n')
  const twoHosts = [await benchTwoHosts({duringMs: null}), await benchTwoHosts({duringMs: 3000})]
  console.log('extra: two-host collection on the two-host lab vs the slower host alone (skips when the lab is down)...\n')
  const twoHostsLab = [await benchTwoHostsLab({duringMs: null})]
  if (!('skipped' in twoHostsLab[0]!)) twoHostsLab.push(await benchTwoHostsLab({duringMs: 3000}))

  const lines = [
    row(['measurement', 'median', 'p90', 'min-max', 'ratio', 'target', 'result']),
    row(['---', '---', '---', '---', '---', '---', '---']),
    ...startup.map((s) =>
      row([`start-up: ${s.name}`, `${s.wallMs.median} ms`, `${s.wallMs.p90} ms`, `${s.wallMs.min}-${s.wallMs.max} ms`, s.ratio === null ? 'ref' : `${s.ratio}x`, s.targetRatio === null ? '' : `<= ${s.targetRatio}x node -e 0`, verdict(s.pass)]),
    ),
    row([
      `large host, one snapshot (${(large.shape as {ports: number}).ports} ports, ${round((large.rawMB as number) / 2, 0)} MB raw)`,
      `${round(staticMedian, 0)} ms`,
      '',
      `${Math.min(...staticTimes)}-${Math.max(...staticTimes)} ms`,
      `CPU ${median(large.staticCpuMs as number[])} ms`,
      `< ${LARGE_TARGET_MS} ms`,
      verdict(staticMedian < LARGE_TARGET_MS),
    ]),
    row([
      `large host, load window (2 snapshots, ${large.rawMB} MB raw)`,
      `${round(largeMedian, 0)} ms`,
      '',
      `${Math.min(...times)}-${Math.max(...times)} ms`,
      `CPU ${median(large.cpuMs as number[])} ms`,
      '(reported)',
      '',
    ]),
    ...live.map((l) =>
      row([
        `live collectSample, slow='${l.policy}'`,
        `${l.wallMs.median} ms`,
        `${l.wallMs.p90} ms`,
        `${l.wallMs.min}-${l.wallMs.max} ms`,
        `${l.ratio}x slowest required (median ${l.slowestRequiredMs.median} ms)`,
        l.targetRatio === null ? '(comparison)' : `<= ${l.targetRatio}x`,
        verdict(l.pass),
      ]),
    ),
    row([
      `watch sampler CPU (${watchCpu.host}, ${watchCpu.seconds} s at ${watchCpu.intervalMs} ms)`,
      `${watchCpu.steadyCpuPct ?? watchCpu.cpuPct} %`,
      '',
      '',
      `after start-up; whole run ${watchCpu.cpuPct} % (node ${watchCpu.nodeCpuMs} ms, commands ${watchCpu.childrenCpuMs} ms; start-up ${watchCpu.startupCpuMs ?? '-'} ms once)`,
      `< ${watchCpu.targetPct} % of a core`,
      verdict(watchCpu.pass),
    ]),
    'skipped' in sos
      ? row(['capture vs sos report (lab)', '', '', '', '', `>= 10x`, `skipped: ${sos.skipped}`])
      : row([`capture vs sos report -o openvswitch,networking (lab, ${sos.runs} runs)`, `${sos.captureMedianMs} ms vs ${sos.sosMedianMs} ms`, '', '', `${sos.ratio}x`, `>= ${sos.targetRatio}x`, verdict(sos.pass)]),
    ...[...twoHosts, ...twoHostsLab].map((t, i) =>
      'skipped' in t
        ? row([i < twoHosts.length ? 'two hosts over ssh' : 'two hosts on the two-host lab', '', '', '', '', '<= 1.3x', `skipped: ${t.skipped}`])
        : row([`two hosts over ssh (${t.where}), ${t.mode}`, `${t.bothMs.median} ms`, `${t.bothMs.p90} ms`, `${t.bothMs.min}-${t.bothMs.max} ms`, `${t.ratio}x slower alone (${Math.max(...Object.values(t.aloneMs).map((a) => a.median))} ms)`, `<= ${t.targetRatio}x`, verdict(t.pass)]),
    ),
  ]
  console.log(lines.join('\n'))
  console.log(`\nlarge host memory (MB): ${JSON.stringify(large.memoryMB)}`)

  const results = {
    machine: m,
    startup,
    largeHost: {...large, timesMs: times, medianMs: round(largeMedian, 0), spreadMs: spread(times), medianCpuMs: median(large.cpuMs as number[]), staticMedianMs: round(staticMedian, 0), staticMedianCpuMs: median(large.staticCpuMs as number[]), targetMs: LARGE_TARGET_MS, pass: staticMedian < LARGE_TARGET_MS},
    liveCollect: live,
    watchCpu,
    sosVsCapture: sos,
    twoHosts,
    twoHostsLab,
  }
  const file = join(ROOT, 'test/bench/results.json')
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
  console.log(`\nwritten: ${file}`)
}

await main()
