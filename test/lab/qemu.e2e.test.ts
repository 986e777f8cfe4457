/**
 * End-to-end on a real guest kernel (issue 13): the lab with LAB_VM=qemu (QEMU as the vhost-user
 * server, Debian's kernel, virtio-net with 2 queue pairs, one OVS PMD), brought up by this file and
 * torn down after it. Asserts what OVS and the guest's driver negotiated, queue counts and where
 * the packets went (OVS Interface status/statistics, ovs-ofctl counters, the guest's ethtool), and
 * what the built CLI says about it; never throughput (TCG on 2 shared cores).
 *
 * Order matters: the TSO test comes last. With userspace-tso-enable=true, OVS 3.1 hands dpdk0
 * (net_af_packet, no Tx checksum/TSO offload) the guest's checksum-offloaded TCP segments and drops
 * them ("dpdk0: Tx TSO offload is not supported"): TCP through dpdk0 stops, ICMP still works. A real
 * NIC offloads both; here the host-side fix is checked without a TCP load.
 */
import {execa} from 'execa'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Diagnosis} from '../../src/diagnose/types.js'
import {privateCli, ROOT} from './built-cli.js'
import {gateLabTests} from './harness.js'
import {ensureGuestKernel} from './initramfs.js'
import {
  counterDelta, down, fixHost, guestExec, guestIperfArgv, HOST_NS, isLabUp, LAB_TARGETS, labExec, labPaths, labVmKind, ovsEnv, readCounters,
  restartVswitchd, status, up,
} from './lab.js'

const LOAD_SECONDS = 5
/** ovs-vswitchd writes Interface statistics to the database every 5 s (stats-update-interval, minimum 5000 ms). */
const STATS_REFRESH_MS = 5_500
const say = (line: string) => process.stderr.write(`[e2e qemu] ${line}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let cliDir = ''

interface CliRun {
  exitCode: number | null
  stdout: string
  stderr: string
  ms: number
}

async function cli(args: string[]): Promise<CliRun> {
  const t0 = Date.now()
  const r = await execa('node', [path.join(cliDir, 'bin', 'run.js'), ...args], {
    cwd: ROOT,
    // NODE_ENV=production: the build, not the .ts sources through tsx
    env: {...process.env, ...ovsEnv(), DPDK_DOCTOR_NETNS: HOST_NS, NO_COLOR: '1', NODE_ENV: 'production'},
    reject: false,
    stdin: 'ignore',
    timeout: 150_000,
  })
  return {exitCode: r.exitCode ?? null, stdout: String(r.stdout), stderr: String(r.stderr), ms: Date.now() - t0}
}

function json(run: CliRun): Diagnosis {
  try {
    return JSON.parse(run.stdout) as Diagnosis
  } catch {
    throw new Error(`diagnose --json did not print one JSON document (exit ${run.exitCode}):\n${run.stdout.slice(0, 2000)}\n${run.stderr.slice(-2000)}`)
  }
}

const liveArgs = () => ['diagnose', '--netns', HOST_NS, '--ovs-rundir', labPaths().run]
/** diagnose --json under a capped TCP load from the guest (`parallel` streams). */
async function diagnoseUnderLoad(parallel: number, extra: string[] = []): Promise<{run: CliRun; d: Diagnosis}> {
  const load = guestIperfArgv(LAB_TARGETS.fixed, LOAD_SECONDS, undefined, parallel).join(' ')
  const run = await cli([...liveArgs(), '--load', load, '--json', ...extra])
  const d = json(run)
  say(`diagnose --load (-P ${parallel}): exit ${run.exitCode} in ${run.ms} ms; ${d.verdict.text}; findings ${d.findings.map((f) => `${f.ruleId}/${f.severity}`).join(', ') || 'none'}`)
  return {run, d}
}

const ids = (d: Diagnosis) => d.findings.map((f) => f.ruleId)
const why = (d: Diagnosis) => `verdict: ${d.verdict.text}\nfindings: ${d.findings.map((f) => `${f.ruleId}/${f.severity}: ${f.message}`).join('\n  ')}`

/** `ovs-vsctl get Interface vhost-user1 <column>` as a key -> value map. */
async function ifaceMap(column: 'status' | 'statistics' | 'other_config'): Promise<Record<string, string>> {
  const r = await labExec(HOST_NS, ['ovs-vsctl', '--timeout=10', 'get', 'Interface', 'vhost-user1', column], {check: true})
  return Object.fromEntries([...r.stdout.matchAll(/([\w-]+)=("[^"]*"|[^,}\s]+)/g)].map((m) => [m[1]!, m[2]!.replace(/^"|"$/g, '')]))
}

/** Per-queue packet deltas of vhost-user1 between two statistics reads: rx = from the guest, tx = to the guest. */
function queueDeltas(a: Record<string, string>, b: Record<string, string>, queues: number) {
  const d = (key: string) => Number(b[key] ?? 0) - Number(a[key] ?? 0)
  return {
    rx: Array.from({length: queues}, (_, q) => d(`rx_q${q}_good_packets`)),
    tx: Array.from({length: queues}, (_, q) => d(`tx_q${q}_good_packets`)),
  }
}

/** The guest's `ethtool -k eth0` as feature -> "on" | "off" (with " [fixed]" kept). */
async function guestOffloads(): Promise<Record<string, string>> {
  const r = await guestExec(['ethtool', '-k', 'eth0'])
  expect(r.exitCode, r.output).toBe(0)
  return Object.fromEntries([...r.output.matchAll(/^\s*([\w-]+): (.+)$/gm)].map((m) => [m[1]!, m[2]!.trim()]))
}

async function guestCombined(): Promise<{max: number; current: number}> {
  const r = await guestExec(['ethtool', '-l', 'eth0'])
  expect(r.exitCode, r.output).toBe(0)
  const all = [...r.output.matchAll(/^Combined:\s+(\d+)/gm)].map((m) => Number(m[1]))
  return {max: all[0] ?? -1, current: all[1] ?? -1}
}

const HOST_TSO4 = 11n
const HOST_TSO6 = 12n
const MRG_RXBUF = 15n
const MQ = 22n
const has = (features: string, bit: bigint) => (BigInt(features) >> bit) & 1n

describe('a real guest kernel behind vhost-user1 (LAB_VM=qemu)', () => {
  const gate = gateLabTests()
  const savedVm = process.env.LAB_VM
  const tmp = fs.mkdtempSync(path.join('/tmp', 'dd-e2e-qemu-'))
  let bootMs = 0

  beforeAll(async () => {
    if (!gate.ok) return
    cliDir = await privateCli(say)
    // Another file's lab (testpmd) may still be up: this file needs its own kind.
    if ((await isLabUp()) && labVmKind() !== 'qemu') await down()
    process.env.LAB_VM = 'qemu'
    const t0 = Date.now()
    if (!(await isLabUp())) await up()
    bootMs = Date.now() - t0
    await fixHost()
    say(`lab up with the QEMU guest in ${bootMs} ms`)
  }, 300_000)

  afterAll(async () => {
    try {
      if (gate.ok && !process.env.LAB_KEEP) await down()
    } finally {
      if (savedVm === undefined) delete process.env.LAB_VM
      else process.env.LAB_VM = savedVm
      fs.rmSync(tmp, {recursive: true, force: true})
      if (cliDir) fs.rmSync(cliDir, {recursive: true, force: true})
    }
  }, 60_000)

  it('boots Debian\'s kernel and negotiates as a kernel driver: 2 queue pairs, no TSO offered by the host', async () => {
    const st = await status()
    expect(st.up).toBe(true)
    expect(st.vm).toBe('qemu')
    expect(st.accel).toMatch(/^(tcg|kvm) \(/)
    expect(st.processes.map((p) => p.name).sort()).toEqual(['iperf3-host1', 'ovs-vswitchd', 'ovsdb-server', 'qemu-vm0'])
    const kernel = await ensureGuestKernel()
    const uname = await guestExec(['uname', '-r'])
    expect(uname.output.trim()).toBe(kernel.release)

    const s = await ifaceMap('status')
    expect(s.status).toBe('connected')
    expect(s.mode).toBe('client')
    expect(s.num_of_vrings).toBe('4')
    expect(s.vring_0_size).toBe('1024')
    expect(has(s.features!, MRG_RXBUF)).toBe(1n)
    expect(has(s.features!, MQ)).toBe(1n)
    expect(has(s.features!, HOST_TSO4)).toBe(0n)
    expect(has(s.features!, HOST_TSO6)).toBe(0n)

    expect(await guestCombined()).toEqual({max: 2, current: 2})
    const k = await guestOffloads()
    expect(k['tcp-segmentation-offload']).toBe('off')
    expect(k['tx-tcp-segmentation']).toBe('off [fixed]')
    say(`accel ${st.accel}; features ${s.features}; guest ${uname.output.trim()}`)
  })

  it('a TCP load from the guest leaves through dpdk0; the guest sends on both queues, OVS answers on one (one PMD, tx-steering thread)', async () => {
    const statsBefore = await ifaceMap('statistics')
    const before = await readCounters()
    // The guest picks a Tx queue per flow by hash: 4 streams all landed on one queue in a CI run
    // (a 1 in 8 chance); 8 streams leave it at 1 in 128. 50M each: TCG cannot fill even that.
    const r = await guestExec(guestIperfArgv(LAB_TARGETS.fixed, LOAD_SECONDS, '50M', 8).slice(3), {timeoutMs: (LOAD_SECONDS + 60) * 1000})
    const after = await readCounters()
    expect(r.exitCode, r.output.slice(-600)).toBe(0)
    const delta = counterDelta(before, after)
    await sleep(STATS_REFRESH_MS)
    const q = queueDeltas(statsBefore, await ifaceMap('statistics'), 2)
    say(`load: vhost rx ${delta.vhost.rx} tx ${delta.vhost.tx}, dpdk0 tx ${delta.dpdk0.tx}, kernel NIC tx ${delta.knic.tx}; per queue rx ${q.rx} tx ${q.tx}`)
    expect(delta.vhost.rx).toBeGreaterThan(1000)
    expect(delta.dpdk0.tx).toBeGreaterThanOrEqual(0.9 * delta.vhost.rx)
    expect(delta.knic.tx).toBeLessThan(20)
    // guest -> OVS: the driver's 2 Tx queues both carry the streams
    for (const n of q.rx) expect(n).toBeGreaterThan(0)
    // OVS -> guest: one Tx queue per OVS thread that sends (the PMD polling dpdk0), the other idle
    expect(Math.max(...q.tx)).toBeGreaterThan(100)
    expect(Math.min(...q.tx)).toBe(0)
  })

  it('diagnose on the fixed host: fast path, limited by guest TSO (host setting) and an unused vhost Tx queue', async () => {
    const saved = path.join(tmp, 'fixed-tso-off')
    const {run, d} = await diagnoseUnderLoad(4, ['--save', saved])
    // TCG runs the guest slowly: when it falls behind on its rx ring, OVS's drops towards it are a
    // true critical (tx-failure-drops on vhost-user1; seen in 1 CI run). Any other critical fails here.
    const criticals = d.findings.filter((f) => f.severity === 'critical')
    expect(criticals.filter((f) => !(f.ruleId === 'tx-failure-drops' && f.subject === 'vhost-user1')).map((f) => `${f.ruleId}: ${f.message}`)).toEqual([])
    expect(run.exitCode, run.stderr.slice(-1000)).toBe(criticals.length > 0 ? 2 : 1)
    expect(d.verdict.kind).toBe('fast-path')
    expect(d.attribution!.byClass.dpdk.packetShare!).toBeGreaterThanOrEqual(0.9)
    expect(ids(d), why(d)).toEqual(expect.arrayContaining(['guest-tso-off-by-host', 'vhost-txq-unused']))
    expect(d.verdict.text, why(d)).toMatch(/limited by: .*TSO/)
    expect(d.limitedBy.map((l) => l.ruleId), why(d)).toContain('guest-tso-off-by-host')
    // The human report of the same capture leads with the same limit.
    const human = await cli(['diagnose', '--from', saved])
    expect(human.stdout.split('\n')[0], human.stdout.slice(0, 1500)).toMatch(/^DPDK fast path.*limited by: .*TSO/)
  })

  it('tx-steering=hash on vhost-user1: OVS sends to the guest on both queues and vhost-txq-unused clears', async () => {
    await labExec(HOST_NS, ['ovs-vsctl', '--timeout=10', 'set', 'Interface', 'vhost-user1', 'other_config:tx-steering=hash'], {check: true})
    try {
      expect((await ifaceMap('other_config'))['tx-steering']).toBe('hash')
      const statsBefore = await ifaceMap('statistics')
      // 8 streams: hashed over 2 queues, all 8 on one queue has a chance of 1 in 128
      const {d} = await diagnoseUnderLoad(8)
      await sleep(STATS_REFRESH_MS)
      const q = queueDeltas(statsBefore, await ifaceMap('statistics'), 2)
      say(`tx-steering=hash: per queue rx ${q.rx} tx ${q.tx}`)
      for (const n of q.tx) expect(n).toBeGreaterThan(0)
      expect(ids(d), why(d)).not.toContain('vhost-txq-unused')
      expect(ids(d), why(d)).toContain('guest-tso-off-by-host')
    } finally {
      await labExec(HOST_NS, ['ovs-vsctl', '--timeout=10', 'remove', 'Interface', 'vhost-user1', 'other_config', 'tx-steering'], {check: true})
    }
  })

  it('ethtool -L eth0 combined 1 in the guest: OVS shows queue 1 disabled, only queue 0 moves, guest-queues-disabled fires', async () => {
    const set = await guestExec(['ethtool', '-L', 'eth0', 'combined', '1'])
    expect(set.exitCode, set.output).toBe(0)
    try {
      expect(await guestCombined()).toEqual({max: 2, current: 1})
      const rxq = await labExec(HOST_NS, ['ovs-appctl', 'dpif-netdev/pmd-rxq-show'], {check: true})
      expect(rxq.stdout).toMatch(/port: vhost-user1\s+queue-id:\s+0 \(enabled\)/)
      expect(rxq.stdout).toMatch(/port: vhost-user1\s+queue-id:\s+1 \(disabled\)/)
      const statsBefore = await ifaceMap('statistics')
      const {d} = await diagnoseUnderLoad(4)
      await sleep(STATS_REFRESH_MS)
      const q = queueDeltas(statsBefore, await ifaceMap('statistics'), 2)
      say(`combined 1: per queue rx ${q.rx} tx ${q.tx}`)
      expect(q.rx[0]).toBeGreaterThan(1000)
      expect(q.rx[1]).toBe(0)
      expect(ids(d), why(d)).toContain('guest-queues-disabled')
    } finally {
      await guestExec(['ethtool', '-L', 'eth0', 'combined', '2'])
    }
  })

  it('after userspace-tso-enable=true and a restart of ovs-vswitchd and of the guest: TSO offered and on in the guest, the rule and the TSO limit gone', async () => {
    await labExec(HOST_NS, ['ovs-vsctl', '--timeout=10', 'set', 'Open_vSwitch', '.', 'other_config:userspace-tso-enable=true'], {check: true})
    // the guest goes down and boots again around the restart (a VM restart: lab.ts restartVswitchd)
    const restart = await restartVswitchd()
    expect(restart.guestBootMs).not.toBeNull()
    say(`ovs-vswitchd restarted in ${restart.ms} ms, guest booted again in ${restart.guestBootMs} ms`)
    const s = await ifaceMap('status')
    expect(s.status).toBe('connected')
    expect(has(s.features!, HOST_TSO4)).toBe(1n)
    expect(has(s.features!, HOST_TSO6)).toBe(1n)
    const k = await guestOffloads()
    expect(k['tcp-segmentation-offload']).toBe('on')
    expect(k['tx-tcp-segmentation']).toBe('on')
    const ping = await guestExec(['ping', '-c', '2', '-W', '2', LAB_TARGETS.fixed], {timeoutMs: 20_000})
    expect(ping.exitCode, ping.output).toBe(0)

    // A snapshot: TCP through dpdk0 stops here with OVS 3.1 (see the top of the file); the rule reads the status.
    const run = await cli([...liveArgs(), '--json'])
    const d = json(run)
    say(`diagnose after the fix: exit ${run.exitCode}; ${d.verdict.text}; findings ${d.findings.map((f) => `${f.ruleId}/${f.severity}`).join(', ') || 'none'}`)
    expect(ids(d), why(d)).not.toContain('guest-tso-off-by-host')
    expect(d.rules.find((r) => r.ruleId === 'guest-tso-off-by-host')?.status, why(d)).toBe('pass')
    expect(d.verdict.text).not.toMatch(/TSO/)
    const human = await cli(liveArgs())
    expect(human.stdout.split('\n')[0]).not.toMatch(/TSO/)
  })
})
