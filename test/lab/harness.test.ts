/**
 * The e2e harness itself: useLab() brings the lab up in a mode, gives the tool's environment,
 * runs load from the VM and reads where it went, and tears down what it started.
 */
import fs from 'node:fs'
import {describe, expect, it} from 'vitest'
import {gateLabTests, useLab} from './harness.js'
import {currentMode, isLabUp, labProcesses} from './lab.js'

let pids: number[] = []

describe('useLab harness', () => {
  const lab = useLab('fixed')

  it('brings the lab up in the requested mode and exposes the tool environment', async () => {
    expect(await isLabUp()).toBe(true)
    expect(await currentMode()).toBe('fixed')
    expect(lab.mode).toBe('fixed')
    expect(lab.target).toBe('10.10.1.20')
    const env = lab.env()
    expect(env.DPDK_DOCTOR_NETNS).toBe('lab-host0')
    expect(env.OVS_RUNDIR).toMatch(/\/run$/)
    // what the tool will do: an ovs-appctl in the lab namespace with the lab's OVS_* variables
    const r = await lab.exec(lab.netns, ['ovs-appctl', 'dpif-netdev/pmd-stats-show'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/pmd thread numa_id/)
    pids = labProcesses().map((p) => p.pid)
  })

  it('measure(): fixed traffic goes through dpdk0', async () => {
    const m = await lab.measure(2)
    expect(m.result.exitCode, m.result.stderr).toBe(0)
    expect(m.json?.end?.sum_sent?.bytes ?? 0).toBeGreaterThan(0)
    expect(m.delta.dpdk0.tx).toBeGreaterThan(1000)
    expect(m.delta.knic.tx).toBeLessThan(20)
  })

  it('switchTo() + startLoad(): counters read during background load show the bypass', async () => {
    await lab.switchTo('broken')
    expect(lab.target).toBe('172.16.0.2')
    const before = await lab.counters()
    const load = lab.startLoad(3)
    await new Promise((r) => setTimeout(r, 1500))
    const during = await lab.counters()
    const run = await load.done
    expect(run.result.exitCode, run.result.stderr).toBe(0)
    expect(during.knic.tx - before.knic.tx).toBeGreaterThan(100)
    expect(during.dpdk0.tx - before.dpdk0.tx).toBeLessThan(20)
  })
})

describe('after a useLab block that brought the lab up', () => {
  gateLabTests()
  it('the lab is down again and its processes are gone', async () => {
    expect(pids.length).toBe(4)
    expect(await isLabUp()).toBe(false)
    expect(labProcesses()).toEqual([])
    for (const pid of pids) expect(fs.existsSync(`/proc/${pid}/comm`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')).toBe(false)
  })
})
