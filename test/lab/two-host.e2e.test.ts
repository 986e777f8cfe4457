/**
 * End-to-end on the two-host lab (issue 14): two real OVS-DPDK hosts (lab-host0, lab-host1), a
 * testpmd VM on each, dpdk0 <-> wire <-> dpdk0 between them, and Debian's sshd in each host
 * namespace. The BUILT CLI runs `diagnose --host lab-host0 --host lab-host1` from the lab-ops
 * namespace (the operator's workstation on the management network: the root namespace is never
 * configured), through the system ssh and the lab's ssh config. Loads are capped (iperf3 -b) so two
 * PMDs and two busy-polling VMs fit on 2 cores. Asserts where the packets went, never throughput.
 */
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {gateLabTests} from './harness.js'
import {counterDelta, KERNEL_NIC, labExec, labRun, vmIperfArgv, type LabCounters} from './lab.js'
import {
  HOST_NAMES, HOSTS, labSsh, setModes, sshConfigPath, startSshd, stopSshd, twoHostCounters, twoHostTarget, type HostModes,
} from './two-host.js'
import {twoHostE2e, type CliRun} from './two-host-e2e.js'

const LOAD_SECONDS = 6
const BANDWIDTH = '100M'
/** dpdk-doctor's ssh ConnectTimeout (docs/multi-host.md). */
const CONNECT_TIMEOUT_MS = 10_000
const {say, tmp, cli, setup, teardown} = twoHostE2e('two-host')

interface Finding {
  ruleId: string
  subject: string
  severity: string
  message: string
}
interface HostDoc {
  name: string
  status: string
  reason: string | null
  diagnosis: null | {
    exitCode: number
    verdict: {kind: string; text: string}
    findings: Finding[]
    attribution?: {paths: Array<{name: string; rxPackets: number | null; txPackets: number | null}>}
  }
}
interface MultiDoc {
  schema: string
  status: string
  exitCode: number
  hosts: HostDoc[]
  cross: {findings: Finding[]; rules: Array<{ruleId: string; status: string; reason: string | null}>}
  failed: Array<{name: string; status: string; reason: string}>
}
function json(run: CliRun): MultiDoc {
  try {
    return JSON.parse(run.stdout) as MultiDoc
  } catch {
    throw new Error(`diagnose --json did not print one JSON document (exit ${run.exitCode}):\n${run.stdout.slice(0, 2000)}\n${run.stderr.slice(-2000)}`)
  }
}

const hostArgs = () => ['--host', HOST_NAMES[0], '--host', HOST_NAMES[1], '--ssh-config', sshConfigPath()]
const load = (modes: HostModes) => vmIperfArgv(twoHostTarget(modes), LOAD_SECONDS, BANDWIDTH).join(' ')
const host = (d: MultiDoc, name: string) => d.hosts.find((h) => h.name === name)!
const dpdk0 = (h: HostDoc) => h.diagnosis?.attribution?.paths.find((p) => p.name === 'dpdk0')
const findingKeys = (list: Finding[]) => list.map((f) => `${f.ruleId} | ${f.subject} | ${f.severity}`).sort()
const lastLine = (text: string) => text.trimEnd().split('\n').at(-1) ?? ''
/** Why a run is not what a test expects: statuses, verdicts and findings per host. */
const explain = (d: MultiDoc) => JSON.stringify({
  hosts: d.hosts.map((h) => ({name: h.name, status: h.status, reason: h.reason, verdict: h.diagnosis?.verdict.kind, findings: h.diagnosis?.findings.map((f) => `${f.ruleId}/${f.severity}`)})),
  cross: d.cross.findings.map((f) => `${f.ruleId}/${f.severity}: ${f.message}`),
})

async function rootLinks(): Promise<string[]> {
  const r = await labRun(['ip', '-o', 'link', 'show'], {check: false})
  return r.stdout.split('\n').map((l) => l.split(':')[1]?.trim() ?? '').filter(Boolean).sort()
}

/** iperf3 from VM0 to VM1 with both hosts' live counters read just before and after. */
async function measure(modes: HostModes): Promise<{bytes: number; delta: [LabCounters, LabCounters]; why: string}> {
  const before = await twoHostCounters()
  const r = await labExec(null, vmIperfArgv(twoHostTarget(modes), LOAD_SECONDS, BANDWIDTH), {timeoutMs: (LOAD_SECONDS + 20) * 1000})
  const after = await twoHostCounters()
  let bytes = 0
  try {
    bytes = (JSON.parse(r.stdout) as {end?: {sum_sent?: {bytes?: number}}}).end?.sum_sent?.bytes ?? 0
  } catch {
    /* stays 0 and fails below */
  }
  const delta: [LabCounters, LabCounters] = [counterDelta(before[0], after[0]), counterDelta(before[1], after[1])]
  return {bytes, delta, why: `iperf3 exit ${r.exitCode}: ${r.stderr || r.stdout.slice(-300)}; deltas ${JSON.stringify(delta)}`}
}

describe('two hosts: the lab (two OVS-DPDK hosts, sshd) and diagnose --host A --host B over real ssh', () => {
  const gate = gateLabTests()
  let linksBefore: string[] = []
  let modes: HostModes | null = null
  const savedBroken = path.join(tmp, 'broken-host1')
  let brokenLive: MultiDoc | null = null

  const ensureModes = async (want: HostModes) => {
    if (modes && modes[0] === want[0] && modes[1] === want[1]) return
    await setModes(want)
    modes = want
  }

  beforeAll(async () => {
    if (!gate.ok) return
    linksBefore = await rootLinks()
    await setup()
  }, 240_000)

  afterAll(async () => {
    await teardown()
  }, 60_000)

  it('the lab: ssh to each host reaches that host\'s own OVS (identity, machine-id, hostname); the root namespace gained no link', async () => {
    const seen: Array<{systemId: string; machineId: string; hostname: string}> = []
    for (const i of HOSTS) {
      // One session per host; ssh hands the remote shell one command line (the login's own env: sshd's SetEnv).
      const r = await labSsh(i, ['ovs-vsctl get Open_vSwitch . external_ids:system-id dpdk_initialized -- br-exists ovsbr0 && cat /etc/machine-id && hostname'])
      expect(r.exitCode, r.stderr).toBe(0)
      const [systemId, init, machineId, hostname] = r.stdout.split('\n').map((l) => l.trim().replace(/"/g, ''))
      seen.push({systemId: systemId!, machineId: machineId!, hostname: hostname!})
      expect(init).toBe('true')
    }
    expect(seen.map((s) => [s.systemId, s.hostname])).toEqual([['lab-host0', 'lab-host0'], ['lab-host1', 'lab-host1']])
    expect(seen[0]!.machineId).toMatch(/^[0-9a-f]{32}$/)
    expect(seen[0]!.machineId).not.toBe(seen[1]!.machineId)
    // The client key and the lab's ssh dir are private.
    expect(fs.statSync(path.dirname(sshConfigPath())).mode & 0o777).toBe(0o700)
    expect(fs.statSync(path.join(path.dirname(sshConfigPath()), 'id_ed25519')).mode & 0o777).toBe(0o600)
    expect(await rootLinks()).toEqual(linksBefore)
  })

  it('the lab, both fixed: VM0 -> VM1 through dpdk0 <-> wire <-> dpdk0, what host0\'s dpdk0 sent host1\'s received; kernel NICs idle', async () => {
    await ensureModes(['fixed', 'fixed'])
    const m = await measure(['fixed', 'fixed'])
    const [h0, h1] = m.delta
    say(`fixed/fixed: ${m.bytes} B; host0 dpdk0 tx ${h0.dpdk0.tx}, host1 dpdk0 rx ${h1.dpdk0.rx}`)
    expect(m.bytes, m.why).toBeGreaterThan(1_000_000)
    expect(h0.dpdk0.tx, m.why).toBeGreaterThan(10_000)
    expect(Math.abs(h0.dpdk0.tx - h1.dpdk0.rx) / h0.dpdk0.tx, m.why).toBeLessThanOrEqual(0.02)
    expect(h1.dpdk0.tx, m.why).toBeGreaterThan(100) // the ACKs
    for (const h of [h0, h1]) expect(h.knic.rx + h.knic.tx, m.why).toBeLessThan(20)
  })

  it('the lab, host1 broken: host0\'s dpdk0 sends, host1\'s kernel NIC receives it all and its dpdk0 nothing', async () => {
    await ensureModes(['fixed', 'broken'])
    const m = await measure(['fixed', 'broken'])
    const [h0, h1] = m.delta
    say(`fixed/broken: ${m.bytes} B; host0 dpdk0 tx ${h0.dpdk0.tx}, host1 dpdk0 rx ${h1.dpdk0.rx}, host1 ${KERNEL_NIC} rx ${h1.knic.rx}`)
    expect(h0.dpdk0.tx, m.why).toBeGreaterThan(10_000)
    expect(h1.knic.rx, m.why).toBeGreaterThanOrEqual(0.98 * h0.dpdk0.tx)
    expect(h1.dpdk0.rx + h1.dpdk0.tx, m.why).toBeLessThan(20)
    expect(h0.knic.rx + h0.knic.tx, m.why).toBeLessThan(20)
  })

  it('broken on host1 only: "lab-host0: FAST PATH; lab-host1: KERNEL PATH", the wire accounting names lab-host1, exit 2', async () => {
    await ensureModes(['fixed', 'broken'])
    const run = await cli(['diagnose', ...hostArgs(), '--load', load(['fixed', 'broken']), '--save', savedBroken, '--json'])
    say(`broken host1 --json: exit ${run.exitCode} in ${run.ms} ms`)
    const d = json(run)
    expect(d.schema).toBe('dpdk-doctor/multi-host@1')
    expect(run.exitCode, explain(d)).toBe(2)
    expect(d.exitCode).toBe(2)
    expect(host(d, 'lab-host0').diagnosis?.verdict.kind, explain(d)).toBe('fast-path')
    expect(host(d, 'lab-host1').diagnosis?.verdict.kind, explain(d)).toBe('kernel-bypass')
    expect(host(d, 'lab-host1').diagnosis?.verdict.text).toBe(`Traffic is bypassing DPDK: VM -> ovsbr0 (kernel) -> ${KERNEL_NIC}`)
    const wire = d.cross.findings.find((f) => f.ruleId === 'cross-wire-accounting')
    expect(wire, explain(d)).toBeDefined()
    expect(wire!.severity).toBe('critical')
    expect(wire!.message).toContain('lab-host1')
    expect(d.failed).toEqual([])
    brokenLive = d
    // The human report of the saved run: one line per side first.
    const human = await cli(['diagnose', '--from', savedBroken])
    expect(human.stdout.split('\n')[0], human.stderr).toMatch(/^CRITICAL: lab-host0: FAST PATH; lab-host1: KERNEL PATH via ovsbr0 -> enp65s0f0np0$/)
  })

  it('--save then --from (the directory, and the two bundles) gives the same findings for both hosts', async () => {
    expect(brokenLive, 'the live broken run (previous test) saved a directory').not.toBeNull()
    expect(JSON.parse(fs.readFileSync(path.join(savedBroken, 'hosts.json'), 'utf8')).hosts.map((h: {name: string}) => h.name)).toEqual([...HOST_NAMES])
    for (const from of [['--from', savedBroken], ['--from', path.join(savedBroken, 'lab-host0'), '--from', path.join(savedBroken, 'lab-host1')]]) {
      const run = await cli(['diagnose', ...from, '--json'])
      const d = json(run)
      expect(run.exitCode, `${from.join(' ')}: ${run.stderr.slice(-500)}`).toBe(brokenLive!.exitCode)
      for (const name of HOST_NAMES) {
        const live = host(brokenLive!, name).diagnosis!
        const replay = host(d, name).diagnosis!
        expect(replay.verdict, `${from.join(' ')} ${name}`).toEqual(live.verdict)
        expect(findingKeys(replay.findings), `${from.join(' ')} ${name}`).toEqual(findingKeys(live.findings))
      }
      expect(findingKeys(d.cross.findings)).toEqual(findingKeys(brokenLive!.cross.findings))
    }
  })

  it('both fixed: exit 0, host0\'s dpdk0 tx within 2 % of host1\'s dpdk0 rx', async () => {
    await ensureModes(['fixed', 'fixed'])
    const run = await cli(['diagnose', ...hostArgs(), '--load', load(['fixed', 'fixed']), '--json'])
    say(`both fixed --json: exit ${run.exitCode} in ${run.ms} ms`)
    const d = json(run)
    for (const name of HOST_NAMES) expect(host(d, name).diagnosis?.verdict.kind, explain(d)).toBe('fast-path')
    const tx = dpdk0(host(d, 'lab-host0'))?.txPackets ?? 0
    const rx = dpdk0(host(d, 'lab-host1'))?.rxPackets ?? 0
    say(`both fixed: host0 dpdk0 tx ${tx}, host1 dpdk0 rx ${rx}`)
    expect(tx).toBeGreaterThan(10_000)
    expect(Math.abs(tx - rx) / tx).toBeLessThanOrEqual(0.02)
    expect(d.cross.rules.map((r) => `${r.ruleId}: ${r.status}`).sort()).toEqual(
      ['cross-config-consistent: pass', 'cross-fdb-symmetric: pass', 'cross-identity-distinct: pass', 'cross-wire-accounting: pass'])
    expect(run.exitCode, explain(d)).toBe(0)
    expect(d.exitCode).toBe(0)
  })

  it('host1\'s sshd stopped: host1 unreachable in the last line within ConnectTimeout + 2 s, host0 still judged, cross-host rules unknown, exit 3', async () => {
    await ensureModes(['fixed', 'fixed'])
    await stopSshd(1)
    try {
      const alone = await cli(['diagnose', '--host', HOST_NAMES[1], '--ssh-config', sshConfigPath()])
      say(`host1 alone, sshd stopped: exit ${alone.exitCode} in ${alone.ms} ms`)
      expect(alone.ms).toBeLessThan(CONNECT_TIMEOUT_MS + 2_000)
      expect(lastLine(alone.stdout), alone.stdout).toMatch(/^failed hosts: lab-host1 unreachable \(.*Connection refused\)$/)
      expect(alone.exitCode).toBe(3)

      const human = await cli(['diagnose', ...hostArgs()])
      say(`both, host1's sshd stopped: exit ${human.exitCode} in ${human.ms} ms`)
      expect(lastLine(human.stdout), human.stdout).toMatch(/^failed hosts: lab-host1 unreachable \(/)
      expect(human.exitCode, human.stdout).toBe(3)

      const d = json(await cli(['diagnose', ...hostArgs(), '--json']))
      expect(host(d, 'lab-host1').status).toBe('unreachable')
      expect(host(d, 'lab-host1').diagnosis).toBeNull()
      expect(d.failed.map((f) => `${f.name} ${f.status}`)).toEqual(['lab-host1 unreachable'])
      const h0 = host(d, 'lab-host0')
      expect(h0.status).toBe('ok')
      // host0 is judged on its own (fixed, idle): not critical, so the missing side makes it UNKNOWN
      expect(h0.diagnosis?.verdict.kind, explain(d)).not.toBe('unknown')
      expect(h0.diagnosis?.exitCode, explain(d)).toBeLessThan(2)
      expect(d.cross.rules.map((r) => `${r.ruleId}: ${r.status}`).sort()).toEqual(
        ['cross-config-consistent: unknown', 'cross-fdb-symmetric: unknown', 'cross-identity-distinct: unknown', 'cross-wire-accounting: unknown'])
      expect(d.exitCode).toBe(3)
    } finally {
      await startSshd(1)
    }
  })
})
