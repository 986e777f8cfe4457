/**
 * End-to-end in a real terminal: tmux runs the BUILT `watch` against the lab with iperf3 from the
 * VM as its load; capture-pane shows what a human would see. Broken host: KERNEL PATH and the
 * kernel NIC carrying the rate. Fixed host: FAST PATH through dpdk0. `q` ends the watch, the
 * iperf3 process (found read-only under /proc) is gone, and the exit code, written to a file by
 * the tmux command, is diagnose's for the saved window.
 *
 * tmux runs on its own socket (-L) and only that server is ended afterwards.
 */
import {execa} from 'execa'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {useLab} from './harness.js'
import {privateCli, ROOT} from './built-cli.js'
import {KERNEL_NIC} from './lab.js'

const SOCKET = `dd-watch-e2e-${process.pid}`
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-watch-e2e-'))
let cliDir = ''

const tmux = (...args: string[]) => execa('tmux', ['-L', SOCKET, ...args], {reject: false, stdin: 'ignore'})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`

/** PIDs of iperf3 clients to `target` (read-only scan of /proc). */
function iperfPids(target: string): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const argv = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')
      return path.basename(argv[0] ?? '') === 'iperf3' && argv.includes('-c') && argv.includes(target) ? [Number(d)] : []
    } catch {
      return []
    }
  })
}

/** A live process (not a zombie waiting to be reaped). */
function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** The row of a port on the captured screen, and its rx + tx Mbit/s. */
function mbpsOf(screen: string, port: string): number | null {
  const row = screen.split('\n').find((l) => l.trimStart().startsWith(`${port} `))
  if (!row) return null
  const cells = row.trim().split(/\s+/)
  // port class rx-pkt/s tx-pkt/s rx-Mbit/s tx-Mbit/s drops/s [sparkline]
  const rx = Number(cells[4])
  const tx = Number(cells[5])
  return Number.isFinite(rx) && Number.isFinite(tx) ? rx + tx : null
}

interface WatchRun {
  screen: string
  exitCode: number
  iperfPid: number
  iperfGone: boolean
  saved: string
}

async function watchInTmux(name: string, target: string, env: Record<string, string>, until: (screen: string) => boolean): Promise<WatchRun> {
  const exitFile = path.join(tmp, `${name}.exit`)
  const errFile = path.join(tmp, `${name}.stderr`)
  const saved = path.join(tmp, `${name}-bundle`)
  const load = `ip netns exec lab-vm0 iperf3 -c ${target} -t 30`
  const command = [
    `cd ${quote(ROOT)} &&`,
    // NODE_ENV as the test runner has it: a private copy built from the sources runs them through tsx (oclif dev mode).
    'env -u CI',
    ...Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`),
    `node ${quote(path.join(cliDir, 'bin', 'run.js'))} watch --netns lab-host0 --ovs-rundir ${quote(env.OVS_RUNDIR!)} --save ${quote(saved)} --run ${quote(load)} 2> ${quote(errFile)};`,
    `echo $? > ${quote(exitFile)}`,
  ].join(' ')
  const started = await tmux('new-session', '-d', '-s', name, '-x', '120', '-y', '50', command)
  expect(started.exitCode, String(started.stderr)).toBe(0)
  let screen = ''
  const deadline = Date.now() + 45_000
  // Until the verdict and rates are in and iperf3's first interval line has been shown.
  const iperfLine = new RegExp(`iperf3 -> ${target.replaceAll('.', '\\.')}: [\\d.]+ [MG]bit/s`)
  while (Date.now() < deadline) {
    screen = String((await tmux('capture-pane', '-p', '-t', name)).stdout)
    if (until(screen) && iperfLine.test(screen)) break
    await sleep(500)
  }
  const pids = iperfPids(target)
  const why = () => `screen:\n${screen}\nstderr: ${fs.existsSync(errFile) ? fs.readFileSync(errFile, 'utf8').slice(0, 2000) : '(none)'}\nexit: ${fs.existsSync(exitFile) ? fs.readFileSync(exitFile, 'utf8') : '(running)'}`
  expect(pids.length, `no iperf3 -c ${target} running; ${why()}`).toBe(1)
  const iperfPid = pids[0]!
  await tmux('send-keys', '-t', name, 'q')
  for (let i = 0; i < 60 && !fs.existsSync(exitFile); i++) await sleep(250)
  const finalScreen = String((await tmux('capture-pane', '-p', '-t', name)).stdout)
  expect(fs.existsSync(exitFile), `watch did not exit after q; screen:\n${finalScreen}`).toBe(true)
  let gone = false
  for (let i = 0; i < 20 && !gone; i++) {
    gone = !alive(iperfPid)
    if (!gone) await sleep(100)
  }
  return {screen, exitCode: Number(fs.readFileSync(exitFile, 'utf8').trim()), iperfPid, iperfGone: gone, saved}
}

async function diagnoseExit(bundle: string): Promise<number | null> {
  const r = await execa('node', [path.join(cliDir, 'bin', 'run.js'), 'diagnose', '--from', bundle, '--json'], {cwd: ROOT, reject: false, stdin: 'ignore'})
  return r.exitCode ?? null
}

/** diagnose's findings for the saved window, for assertion messages. */
async function diagnoseFindings(bundle: string): Promise<string> {
  const r = await execa('node', [path.join(cliDir, 'bin', 'run.js'), 'diagnose', '--from', bundle, '--json'], {cwd: ROOT, reject: false, stdin: 'ignore'})
  try {
    const d = JSON.parse(String(r.stdout)) as {findings: Array<{ruleId: string; severity: string; message: string}>}
    return d.findings.map((f) => `${f.severity} ${f.ruleId}: ${f.message}`).join('\n')
  } catch {
    return String(r.stdout).slice(0, 2000)
  }
}

describe('watch in a real terminal on the lab', () => {
  const lab = useLab('broken')

  beforeAll(async () => {
    cliDir = await privateCli()
  }, 240_000)

  afterAll(async () => {
    await tmux('kill-server')
    fs.rmSync(tmp, {recursive: true, force: true})
    if (cliDir) fs.rmSync(cliDir, {recursive: true, force: true})
  })

  it('broken host: KERNEL PATH with the kernel NIC carrying the load; q ends iperf3 and exits with diagnose\'s code', async () => {
    const run = await watchInTmux('broken', lab.target, lab.env(), (s) => s.includes('KERNEL PATH') && (mbpsOf(s, KERNEL_NIC) ?? 0) > 10)
    expect(run.screen).toContain('KERNEL PATH')
    expect(mbpsOf(run.screen, KERNEL_NIC), run.screen).toBeGreaterThan(10)
    expect(mbpsOf(run.screen, 'dpdk0'), run.screen).toBeLessThan(1)
    expect(run.screen).toMatch(/iperf3 -> 172\.16\.0\.2: [\d.]+ [MG]bit\/s/)
    expect(run.iperfGone).toBe(true)
    expect(run.exitCode).toBe(2)
    expect(run.exitCode).toBe(await diagnoseExit(run.saved))
  }, 120_000)

  it('fixed host: FAST PATH with dpdk0 carrying the load; q ends iperf3 and exits with diagnose\'s code', async () => {
    await lab.switchTo('fixed')
    const run = await watchInTmux('fixed', lab.target, lab.env(), (s) => s.includes('FAST PATH') && (mbpsOf(s, 'dpdk0') ?? 0) > 10)
    expect(run.screen).toContain('FAST PATH')
    expect(mbpsOf(run.screen, 'dpdk0') ?? -1, run.screen).toBeGreaterThan(10)
    // The kernel NIC's row is on the screen, with nothing through it.
    expect(mbpsOf(run.screen, KERNEL_NIC) ?? Infinity, run.screen).toBeLessThan(1)
    expect(run.iperfGone).toBe(true)
    // The lab's tuning findings are info; a warning may still come from a short window (exit 1).
    expect([0, 1], `exit ${run.exitCode}; diagnose --from the saved window:\n${await diagnoseFindings(run.saved)}`).toContain(run.exitCode)
    expect(run.exitCode).toBe(await diagnoseExit(run.saved))
  }, 120_000)
})
