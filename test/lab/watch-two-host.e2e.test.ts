/**
 * End-to-end in a real terminal on the two-host lab (issue 14): tmux runs the BUILT `watch --host
 * lab-host0 --host lab-host1` from lab-ops (the operator's workstation) over the lab's ssh, with
 * host0 FIXED and host1 BROKEN and iperf3 from VM0 to VM1 as the load. capture-pane shows what a
 * human sees: host0 FAST PATH, host1 KERNEL PATH via ovsbr0 -> its kernel NIC, the wire line with
 * host0's dpdk0 sending and host1's dpdk0 receiving next to nothing, both hosts' sections. `q` ends
 * it; the exit code is the two-host diagnose's for the saved DIR (hosts.json), which `diagnose
 * --from DIR` replays. Asserts where the packets went, never throughput.
 *
 * tmux runs on its own socket (-L) and only that server is ended afterwards.
 */
import {execa} from 'execa'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {ROOT} from './built-cli.js'
import {gateLabTests} from './harness.js'
import {HOST_NAMES, OPS_NS, setModes, sshConfigPath, twoHostTarget} from './two-host.js'
import type {HostModes} from './two-host.js'
import {twoHostE2e} from './two-host-e2e.js'

const SOCKET = `dd-watch2-e2e-${process.pid}`
const MODES: HostModes = ['fixed', 'broken']
const {tmp, runtimeDir, cliDir, setup, teardown} = twoHostE2e('watch two-host')

const tmux = (...args: string[]) => execa('tmux', ['-L', SOCKET, ...args], {reject: false, stdin: 'ignore'})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`

/** A port row's rx + tx Mbit/s within a host's section of the screen. */
function mbpsIn(section: string, port: string): number | null {
  const row = section.split('\n').find((l) => l.trimStart().startsWith(`${port} `))
  if (!row) return null
  const cells = row.trim().split(/\s+/)
  const rx = Number(cells[4])
  const tx = Number(cells[5])
  return Number.isFinite(rx) && Number.isFinite(tx) ? rx + tx : null
}

/** The screen's part from `== NAME` to the next section (or the end). */
function sectionOf(screen: string, name: string): string {
  const lines = screen.split('\n')
  const start = lines.findIndex((l) => l.startsWith(`== ${name} `))
  if (start < 0) return ''
  const end = lines.findIndex((l, i) => i > start && l.startsWith('== '))
  return lines.slice(start, end < 0 ? undefined : end).join('\n')
}

describe('watch --host lab-host0 --host lab-host1 in a real terminal on the two-host lab', () => {
  const gate = gateLabTests()

  beforeAll(async () => {
    if (!gate.ok) return
    await setup()
    await setModes(MODES)
  }, 240_000)

  afterAll(async () => {
    await tmux('kill-server')
    await teardown()
  }, 60_000)

  it('host0 FAST PATH, host1 KERNEL PATH via ovsbr0 -> its kernel NIC; the wire: host0\'s dpdk0 sends, host1\'s barely receives; q exits with the two-host diagnose\'s code', async () => {
    const target = twoHostTarget(MODES)
    const exitFile = path.join(tmp, 'exit')
    const errFile = path.join(tmp, 'stderr')
    const saved = path.join(tmp, 'two-host-watch')
    const load = `ip netns exec lab-vm0 iperf3 -c ${target} -t 40 -b 100M`
    const command = [
      `cd ${quote(ROOT)} &&`,
      'env -u CI NODE_ENV=production',
      `XDG_RUNTIME_DIR=${quote(runtimeDir)}`,
      `ip netns exec ${OPS_NS} node ${quote(path.join(cliDir(), 'bin', 'run.js'))} watch --host ${HOST_NAMES[0]} --host ${HOST_NAMES[1]}`,
      `--ssh-config ${quote(sshConfigPath())} --save ${quote(saved)} --load ${quote(load)} 2> ${quote(errFile)};`,
      `echo $? > ${quote(exitFile)}`,
    ].join(' ')
    const started = await tmux('new-session', '-d', '-s', 'two', '-x', '120', '-y', '60', command)
    expect(started.exitCode, String(started.stderr)).toBe(0)
    let screen = ''
    const ready = (s: string) =>
      /^ lab-host0: FAST PATH/m.test(s) && /^ lab-host1: KERNEL PATH via ovsbr0 -> enp65s0f0np0/m.test(s) && /^wire: lab-host0 dpdk0 tx \S+ pkt\/s [\d.]+ Mbit\/s/m.test(s) && (mbpsIn(sectionOf(s, 'lab-host0'), 'dpdk0') ?? 0) > 10 &&
      // The hosts are sampled on one tick but their rates settle apart: wait for host1's too (9.2 seen once).
      (mbpsIn(sectionOf(s, 'lab-host1'), 'enp65s0f0np0') ?? 0) > 10
    const deadline = Date.now() + 90_000
    while (Date.now() < deadline) {
      screen = String((await tmux('capture-pane', '-p', '-t', 'two')).stdout)
      if (ready(screen) || fs.existsSync(exitFile)) break
      await sleep(1000)
    }
    const why = () => `screen:\n${screen}\nstderr: ${fs.existsSync(errFile) ? fs.readFileSync(errFile, 'utf8').slice(-2000) : '(none)'}`
    expect(ready(screen), why()).toBe(true)
    // host0's VM traffic leaves through its dpdk0; host1 takes it off the wire with its kernel NIC.
    const wire = /^wire: lab-host0 dpdk0 tx \S+ pkt\/s ([\d.]+) Mbit\/s -> lab-host1 dpdk0 rx \S+ pkt\/s ([\d.]+) Mbit\/s \((?:gap ([\d.-]+) %|sender idle)\)/m.exec(screen)
    expect(wire, why()).not.toBeNull()
    expect(Number(wire![1]), why()).toBeGreaterThan(10)
    expect(Number(wire![2]), why()).toBeLessThan(Number(wire![1]) * 0.1)
    const host1 = sectionOf(screen, 'lab-host1')
    expect(host1, why()).toContain(' KERNEL PATH ')
    expect(mbpsIn(host1, 'enp65s0f0np0') ?? 0, why()).toBeGreaterThan(10)
    expect(mbpsIn(host1, 'dpdk0') ?? Infinity, why()).toBeLessThan(1)
    expect(sectionOf(screen, 'lab-host0'), why()).toContain(' FAST PATH ')
    for (const l of screen.split('\n')) expect(l.length, l).toBeLessThanOrEqual(120)

    await tmux('send-keys', '-t', 'two', 'q')
    for (let i = 0; i < 240 && !fs.existsSync(exitFile); i++) await sleep(250)
    expect(fs.existsSync(exitFile), `watch did not exit after q; ${why()}`).toBe(true)
    const exitCode = Number(fs.readFileSync(exitFile, 'utf8').trim())
    // host1's kernel path is CRITICAL: the two-host code is 2, and diagnose --from DIR agrees.
    expect(exitCode, why()).toBe(2)
    const hosts = JSON.parse(fs.readFileSync(path.join(saved, 'hosts.json'), 'utf8')) as {hosts: Array<{name: string; status: string}>}
    expect(hosts.hosts.map((h) => [h.name, h.status])).toEqual([['lab-host0', 'ok'], ['lab-host1', 'ok']])
    const replay = await execa('node', [path.join(cliDir(), 'bin', 'run.js'), 'diagnose', '--from', saved, '--json'], {cwd: ROOT, reject: false, stdin: 'ignore', env: {NODE_ENV: 'production'}})
    type Side = {name: string; diagnosis: {verdict: {kind: string; text: string}; rules: Array<{ruleId: string; status: string; reason: string | null}>} | null}
    const doc = JSON.parse(String(replay.stdout)) as {exitCode: number; sides: string[]; hosts: Side[]}
    const replayWhy = () => {
      const h1 = doc.hosts.find((h) => h.name === 'lab-host1')?.diagnosis
      const samples = fs.readdirSync(path.join(saved, 'lab-host1')).join(' ')
      return `lab-host1 replayed: ${h1?.verdict.text ?? 'no diagnosis'}; unknown rules: ${JSON.stringify(h1?.rules.filter((r) => r.status === 'unknown') ?? [])}; bundle: ${samples}; ${why()}`
    }
    expect(doc.sides[1], replayWhy()).toMatch(/^lab-host1: KERNEL PATH/)
    expect(replay.exitCode, replayWhy()).toBe(exitCode)
  }, 200_000)
})
