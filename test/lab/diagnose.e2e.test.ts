/**
 * End-to-end: the BUILT CLI (`node bin/run.js diagnose ...`) against the real lab (OVS 3.1 + DPDK
 * 22.11 in network namespaces). Asserts where the packets went and what the report says, never
 * throughput: the machine has 2 shared cores.
 *
 * The CLI under test is a private copy of the build (see privateCli): `npm test` builds first; a
 * missing or stale dist/ is compiled into the copy, never rebuilt in place.
 */
import {execa} from 'execa'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import {BYPASS_RULES} from '../../src/diagnose/verdict.js'
import type {Diagnosis} from '../../src/diagnose/types.js'
import {useLab} from './harness.js'
import {privateCli, ROOT} from './built-cli.js'
import {down, KERNEL_NIC, labPaths, signalLabProcess, stopLabProcesses, up} from './lab.js'
import {BROKEN_LOAD_FINDINGS, FIXED_LOAD_LIMITS, FIXED_LOAD_VERDICT} from '../helpers/expectations.js'

const LOAD_SECONDS = 6
/** ovs-appctl / ovs-ofctl sources: the ones a hung ovs-vswitchd cannot answer. */
const VSWITCHD_SOURCES = ['dpctl-show', 'dpif-show', 'fdb.ovsbr0', 'ofctl-ports.ovsbr0', 'ofctl-show.ovsbr0', 'pmd-perf', 'pmd-rxq', 'pmd-stats']

interface CliRun {
  exitCode: number | null
  stdout: string
  stderr: string
  ms: number
}

/** Where privateCli() put the CLI (set in beforeAll). */
let cliDir = ''

async function cli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const t0 = Date.now()
  const r = await execa('node', [path.join(cliDir, 'bin', 'run.js'), ...args], {
    cwd: ROOT,
    // NODE_ENV=production: under vitest (NODE_ENV=test) oclif would run the .ts sources through tsx, not the build.
    env: {...process.env, ...env, NO_COLOR: '1', NODE_ENV: 'production'},
    reject: false,
    stdin: 'ignore',
    timeout: 120_000,
  })
  return {exitCode: r.exitCode ?? null, stdout: String(r.stdout), stderr: String(r.stderr), ms: Date.now() - t0}
}

function json(run: CliRun): Diagnosis {
  try {
    return JSON.parse(run.stdout) as Diagnosis
  } catch {
    throw new Error(`diagnose --json did not print one JSON document (exit ${run.exitCode}):\n${run.stdout.slice(0, 2000)}\n${run.stderr.slice(0, 2000)}`)
  }
}

const ids = (d: Diagnosis) => d.findings.map((f) => f.ruleId)
/** What the run could not collect, for assertion messages. */
const notOk = (d: Diagnosis) => `not collected: ${JSON.stringify(d.coverage.notOk.map((n) => `${n.sample}/${n.id}: ${n.status} ${n.reason ?? ''}`))}`
const findingKeys = (d: Diagnosis) => d.findings.map((f) => `${f.ruleId} | ${f.subject} | ${f.severity}`).sort()
const say = (line: string) => process.stderr.write(`[e2e] ${line}\n`)

describe('diagnose on the lab (built CLI, real OVS-DPDK)', () => {
  const lab = useLab('broken')
  const rundir = labPaths().run
  // The issue's own command, unthrottled: the lab's VM NIC is shaped to 600 Mbit/s (lab.ts labVmRate),
  // which keeps the one PMD on 2 shared vCPUs near 30 % busy, so a healthy host reads healthy.
  const iperf = (target: string) => `ip netns exec lab-vm0 iperf3 -c ${target} -t ${LOAD_SECONDS} -J`
  const liveArgs = () => ['diagnose', '--netns', lab.netns, '--ovs-rundir', rundir]
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-e2e-'))
  const savedDir = path.join(tmp, 'broken-load')
  let brokenLive: Diagnosis | null = null
  let stoppedPid: number | null = null

  beforeAll(async () => {
    cliDir = await privateCli(say)
  }, 240_000)
  let failed = false
  afterAll(() => {
    // Keep the saved bundle when something failed: it holds every source's stderr.
    if (failed) say(`kept ${tmp} (a test failed)`)
    else fs.rmSync(tmp, {recursive: true, force: true})
    if (cliDir) fs.rmSync(cliDir, {recursive: true, force: true})
  })

  // A SIGSTOPped ovs-vswitchd must never outlive its test, whatever failed.
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' || (ctx.task.result?.errors?.length ?? 0) > 0) failed = true
    if (stoppedPid === null) return
    try {
      process.kill(stoppedPid, 'SIGCONT')
    } catch {
      /* already gone */
    }
    stoppedPid = null
  })

  it('broken host under load: exit 2, kernel bypass named, the kernel NIC carried the packets', async () => {
    const before = await lab.counters()
    const run = await cli([...liveArgs(), '--load', iperf(lab.target), '--save', savedDir, '--json'], lab.env())
    const after = await lab.counters()
    say(`broken --load --json: exit ${run.exitCode} in ${run.ms} ms`)
    const d = json(run)
    expect(run.exitCode, run.stderr).toBe(2)
    expect(d.exitCode).toBe(2)
    expect(d.verdict.kind).toBe('kernel-bypass')
    expect(d.verdict.text).toContain('ovsbr0')
    expect(d.verdict.text).toContain(KERNEL_NIC)
    expect(ids(d), notOk(d)).toEqual(expect.arrayContaining(BROKEN_LOAD_FINDINGS))

    const a = d.attribution!
    expect(a.byClass['kernel-nic'].packetShare!).toBeGreaterThanOrEqual(0.9)
    const dpdk0 = a.paths.find((p) => p.name === 'dpdk0')
    expect(dpdk0, 'dpdk0 in the attribution').toBeDefined()
    expect(dpdk0!.packetShare ?? 0).toBeLessThan(0.01)
    // The tool's count agrees with the lab's own counters, read just outside the tool's window.
    const knic = a.paths.find((p) => p.name === KERNEL_NIC)!
    const labKnicTx = after.knic.tx - before.knic.tx
    expect(labKnicTx).toBeGreaterThan(1000)
    expect(knic.txPackets).toBeGreaterThanOrEqual(0.8 * labKnicTx)
    expect(knic.txPackets).toBeLessThanOrEqual(labKnicTx)
    expect(after.dpdk0.tx - before.dpdk0.tx).toBeLessThan(20)
    brokenLive = d
  })

  it('--save then --from gives the same verdict and findings as the live run', async () => {
    expect(brokenLive, 'the live broken run (previous test) saved a bundle').not.toBeNull()
    const run = await cli(['diagnose', '--from', savedDir, '--json'], {})
    const d = json(run)
    expect(run.exitCode).toBe(brokenLive!.exitCode)
    expect(d.verdict).toEqual(brokenLive!.verdict)
    expect(findingKeys(d)).toEqual(findingKeys(brokenLive!))
    expect(d.host.netns).toBe(lab.netns)
    expect(d.host.ovsRundir).toBe(rundir)
  })

  it('broken host, human report: the verdict line first, exit 2', async () => {
    const run = await cli([...liveArgs(), '--load', iperf(lab.target)], lab.env())
    say(`broken --load (human): exit ${run.exitCode} in ${run.ms} ms`)
    expect(run.exitCode, run.stderr).toBe(2)
    const lines = run.stdout.split('\n')
    expect(lines[0]).toBe(`Traffic is bypassing DPDK: VM -> ovsbr0 (kernel) -> ${KERNEL_NIC}`)
    // The short report tells the story (issue 12): the root cause by its rule id, the symptoms in
    // words under it; every finding's id is in --json (above) and under --verbose.
    expect(run.stdout).toMatch(/^Root cause\n {2}CRITICAL ovsbr0 carries [\s\S]*?\(internal-port-has-ip\)/m)
    expect(run.stdout).toMatch(/^What the traffic shows \(explained by the root cause\)\n {2}- dpdk0 moved /m)
    expect(lines[1]).toMatch(/^CRITICAL \(exit 2\), live: /)
    // The coverage line ends the report (it may wrap at the width, so its start is looked for).
    expect(run.stdout.trimEnd()).toMatch(/\nSources: collected \d+\/\d+[^\n]*(\n {2}[^\n]*)*$/)
  })

  it('hung ovs-vswitchd (SIGSTOP): diagnose returns, the appctl/ofctl sources time out and the report says so', async () => {
    stoppedPid = signalLabProcess('ovs-vswitchd', 'SIGSTOP')
    const human = await cli(liveArgs(), lab.env())
    const asJson = await cli([...liveArgs(), '--json'], lab.env())
    process.kill(stoppedPid, 'SIGCONT')
    stoppedPid = null
    say(`hung ovs-vswitchd: human exit ${human.exitCode} in ${human.ms} ms, --json exit ${asJson.exitCode} in ${asJson.ms} ms`)
    expect(human.ms).toBeLessThan(30_000)
    expect(asJson.ms).toBeLessThan(30_000)
    // ovsdb-server still answers and the kernel shows the IPs on ovsbr0: the static kernel-bypass
    // findings make it CRITICAL (2), not UNKNOWN (3, kept for "OVSDB unreadable").
    expect(human.exitCode, human.stderr).toBe(2)
    const d = json(asJson)
    expect(asJson.exitCode, notOk(d)).toBe(2)
    expect(d.verdict.kind).toBe('kernel-bypass')
    const timedOut = d.coverage.notOk.filter((n) => n.status === 'timeout').map((n) => n.id)
    expect([...new Set(timedOut)].sort()).toEqual(VSWITCHD_SOURCES)
    expect(d.coverage.notOk.map((n) => n.id)).not.toContain('ovsdb-interface')
    expect(human.stdout).toMatch(/not collected: .*\(timeout\)/)
  })

  it('OVS stopped: exit 3 within the deadline, one line saying OVS is not reachable', async () => {
    await stopLabProcesses(['ovs-vswitchd', 'ovsdb-server'])
    try {
      const human = await cli(liveArgs(), lab.env())
      const asJson = await cli([...liveArgs(), '--json'], lab.env())
      say(`OVS stopped: human exit ${human.exitCode} in ${human.ms} ms, --json exit ${asJson.exitCode} in ${asJson.ms} ms`)
      // Deadline: one source's (8 s, SOURCE_DEADLINE_MS); a refused socket fails at once.
      expect(human.ms).toBeLessThan(10_000)
      expect(human.exitCode, human.stderr).toBe(3)
      expect(human.stdout.split('\n')[0]).toMatch(/^Not enough data to decide: OVS is not reachable: .*db\.sock/)
      expect(asJson.exitCode).toBe(3)
      const d = json(asJson)
      expect(d.exitCode).toBe(3)
      expect(d.verdict.kind).toBe('unknown')
      expect(d.verdict.text).toMatch(/OVS is not reachable/)
    } finally {
      // Rebuild the lab for the tests after this one.
      await down()
      await up()
      await lab.switchTo(lab.mode)
    }
  })

  it('fixed host under load: fast path, dpdk0 carried the packets, no kernel-bypass finding, only the lab environment\'s findings', async () => {
    await lab.switchTo('fixed')
    const run = await cli([...liveArgs(), '--load', iperf(lab.target), '--json'], lab.env())
    say(`fixed --load --json: exit ${run.exitCode} in ${run.ms} ms`)
    const d = json(run)
    expect(d.verdict.kind).toBe('fast-path')
    expect(d.attribution!.byClass.dpdk.packetShare!).toBeGreaterThanOrEqual(0.9)
    expect(d.attribution!.byClass['kernel-nic'].packetShare ?? 0).toBeLessThan(0.01)
    expect(ids(d).filter((id) => BYPASS_RULES.includes(id))).toEqual([])
    // The lab's own tuning (PMD sleep, no isolcpus) is info; since issue 13 the guest's TSO, off by the
    // host setting, is the one warning (FIXED_LOAD_LIMITS): exit 1. Anything else is shown on failure.
    const notInfo = d.findings.filter((f) => f.severity !== 'info')
    say(`fixed: exit ${run.exitCode}; ${notInfo.map((f) => `${f.ruleId}/${f.severity}`).join(', ') || 'no findings'}`)
    expect(notInfo.filter((f) => !FIXED_LOAD_LIMITS.includes(f.ruleId)).map((f) => `${f.ruleId}: ${f.message}`)).toEqual([])
    expect(notInfo.map((f) => f.ruleId)).toEqual(FIXED_LOAD_LIMITS)
    expect(d.verdict.text).toBe(FIXED_LOAD_VERDICT)
    expect(run.exitCode, run.stderr).toBe(1)
    expect(d.exitCode).toBe(1)
  })
})
