/**
 * Self-test of the lab on the real thing: up -> broken -> fixed -> down, asserting where the
 * packets went (live counters), never how fast. A lab that is already up is torn down first: this
 * file needs to see a full build and a full teardown.
 */
import fs from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {gateLabTests} from './harness.js'
import {
  breakHost, counterDelta, currentMode, down, fixHost, isHugeMounted, LAB_NAMESPACES, LAB_TARGETS, labExec, labPaths, labProcesses,
  pidMatches, readCounters, readNrHugepages, status, up, vmIperfArgv, type LabCounters, type LabProcess,
} from './lab.js'

/** iperf3 from the VM with live counters read just before and just after. */
async function measure(target: string, seconds: number): Promise<{bytes: number; delta: LabCounters; stderr: string; exitCode: number}> {
  const before = await readCounters()
  const r = await labExec(null, vmIperfArgv(target, seconds), {timeoutMs: (seconds + 20) * 1000})
  const after = await readCounters()
  let bytes = 0
  try {
    bytes = (JSON.parse(r.stdout) as {end?: {sum_sent?: {bytes?: number}}}).end?.sum_sent?.bytes ?? 0
  } catch {
    /* stays 0 and fails below */
  }
  return {bytes, delta: counterDelta(before, after), stderr: r.stderr || r.stdout.slice(-400), exitCode: r.exitCode}
}

async function ping(target: string): Promise<number> {
  return (await labExec('lab-vm0', ['ping', '-c', '2', '-i', '0.2', '-W', '2', target], {timeoutMs: 15_000})).exitCode
}

/** Processes whose command line mentions the lab directory (other than this test process). */
function processesMentioningLabDir(): string[] {
  const dir = labPaths().dir
  const hits: string[] = []
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8')
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ')
      if (cmd.includes(dir)) hits.push(`${e}: ${cmd.trim()}`)
    } catch {
      /* exited meanwhile */
    }
  }
  return hits
}

describe('lab (real OVS 3.1 + DPDK 22.11 in network namespaces)', () => {
  const gate = gateLabTests()
  let hugeBefore = 0
  let started: LabProcess[] = []

  beforeAll(async () => {
    if (!gate.ok) return
    await down()
    hugeBefore = readNrHugepages()
  })

  // Runs even when a test failed: the lab saturates both cores while it is up.
  afterAll(async () => {
    if (gate.ok) await down()
  }, 60_000)

  it('up builds it: 4 namespaces, 4 processes, DPDK initialised, vhost-user1 up', async () => {
    const r = await up()
    expect(r.alreadyUp).toBe(false)
    const s = await status()
    expect(s.up).toBe(true)
    expect(Object.values(s.namespaces)).toEqual([true, true, true, true])
    expect(s.dpdkInitialized).toBe(true)
    expect(s.vhostLinkState).toBe('up')
    expect(s.mode).toBe('none')
    // The VM NIC's shaping keeps a healthy host healthy under an unthrottled iperf3 (LAB_VM_RATE).
    expect(s.vmNicRate).toBe(process.env.LAB_VM_RATE ? expect.any(String) : '600Mbit')
    started = labProcesses()
    expect(started.map((p) => p.name).sort()).toEqual(['iperf3-host1', 'ovs-vswitchd', 'ovsdb-server', 'testpmd-vm0'])
    expect(started.every((p) => p.alive)).toBe(true)
  })

  it('up on a running lab is a no-op', async () => {
    const r = await up()
    expect(r.alreadyUp).toBe(true)
    expect(labProcesses().map((p) => p.pid)).toEqual(started.map((p) => p.pid))
  })

  it('broken: VM traffic to 172.16.0.2 leaves through the kernel NIC, dpdk0 carries nothing', async () => {
    await breakHost()
    expect(await currentMode()).toBe('broken')
    expect(await ping(LAB_TARGETS.broken)).toBe(0)
    const m = await measure(LAB_TARGETS.broken, 3)
    expect(m.exitCode, m.stderr).toBe(0)
    expect(m.bytes).toBeGreaterThan(0)
    // every packet the VM sends enters OVS on vhost-user1 ...
    expect(m.delta.vhost.rx).toBeGreaterThan(1000)
    // ... and leaves host0 through the kernel NIC (one for one), with the replies coming back the same way
    expect(m.delta.knic.tx).toBeGreaterThanOrEqual(Math.floor(m.delta.vhost.rx * 0.9))
    expect(m.delta.knic.rx).toBeGreaterThan(100)
    // dpdk0 sees at most ARP noise
    expect(m.delta.dpdk0.tx).toBeLessThan(20)
    expect(m.delta.dpdk0.rx).toBeLessThan(20)
  })

  it('fixed: the same traffic to 10.10.1.20 goes through dpdk0, the kernel NIC carries nothing', async () => {
    await fixHost()
    expect(await currentMode()).toBe('fixed')
    expect(await ping(LAB_TARGETS.fixed)).toBe(0)
    const m = await measure(LAB_TARGETS.fixed, 3)
    expect(m.exitCode, m.stderr).toBe(0)
    expect(m.bytes).toBeGreaterThan(0)
    expect(m.delta.vhost.rx).toBeGreaterThan(1000)
    expect(m.delta.dpdk0.tx).toBeGreaterThanOrEqual(Math.floor(m.delta.vhost.rx * 0.9))
    expect(m.delta.dpdk0.rx).toBeGreaterThan(100)
    expect(m.delta.knic.tx).toBeLessThan(20)
    expect(m.delta.knic.rx).toBeLessThan(20)
  })

  it('break and fix are idempotent and switch in either order', async () => {
    await fixHost()
    expect(await currentMode()).toBe('fixed')
    await breakHost()
    await breakHost()
    expect(await currentMode()).toBe('broken')
    expect(await ping(LAB_TARGETS.broken)).toBe(0)
    expect((await status()).up).toBe(true)
  })

  it('down leaves no process, namespace, mount or hugepage behind', async () => {
    expect(started.length).toBe(4)
    await down()
    for (const p of started) expect(pidMatches(p.pid, p.comm), `${p.name} pid ${p.pid}`).toBe(false)
    expect(processesMentioningLabDir()).toEqual([])
    const ns = (await labExec(null, ['ip', 'netns', 'list'])).stdout
    for (const n of LAB_NAMESPACES) expect(ns).not.toMatch(new RegExp(`^${n}\\b`, 'm'))
    expect(isHugeMounted()).toBe(false)
    expect(readNrHugepages()).toBe(hugeBefore)
    expect(fs.existsSync('/var/run/dpdk/ovslab')).toBe(false)
    expect(fs.existsSync('/var/run/dpdk/vm0')).toBe(false)
    expect((await status()).up).toBe(false)
    // and a second down is a fast no-op
    const again = await down()
    expect(again.killed).toEqual([])
    expect(again.ms).toBeLessThan(2000)
  })
})
