/**
 * Harness for end-to-end tests against the real lab (test/lab/lab.ts).
 *
 *   import {useLab} from '../lab/harness.js'
 *   describe('diagnose a broken host', () => {
 *     const lab = useLab('broken')          // beforeAll: up (if needed) + break; afterAll: down (if it brought it up)
 *     it('finds the bypass', async () => {
 *       const load = lab.startLoad(10)     // iperf3 from the VM, in the background
 *       const r = await execa('node', ['bin/run.js', ...], {env: {...process.env, ...lab.env()}})
 *       await load.done
 *     })
 *   })
 *
 * When the machine cannot run the lab (canRunLab()), the tests FAIL with the reason under CI
 * (CI=true), and are skipped outside CI with one warning line saying why.
 */
import {afterAll, beforeAll, beforeEach} from 'vitest'
import {
  breakHost, canRunLab, counterDelta, down, fixHost, HOST_NS, isLabUp, LAB_TARGETS, labExec, ovsEnv, readCounters, up, vmIperfArgv,
  type LabCounters, type LabMode, type LabNs, type RunResult,
} from './lab.js'

export const isCI = (): boolean => {
  const v = (process.env.CI ?? '').toLowerCase()
  return v !== '' && v !== 'false' && v !== '0'
}

export interface LabGate {
  /** The lab can run here. */
  ok: boolean
  /** Why not (or 'ok'). */
  reason: string
  /** Under CI: a lab that cannot run is a failure, not a skip. */
  ci: boolean
}

let warned = false
/** Whether lab tests run here; warns once (outside CI) when they will be skipped. */
export function labGate(): LabGate {
  const g = canRunLab()
  const gate = {ok: g.ok, reason: g.reason, ci: isCI()}
  if (!gate.ok && !gate.ci && !warned) {
    warned = true
    console.warn(`[lab] skipping lab tests: ${gate.reason}`)
  }
  return gate
}

/**
 * Registers the gate hooks in the current describe block: under CI a beforeAll throws the reason
 * (so every test fails with it); outside CI each test is skipped dynamically via ctx.skip().
 * Returns the gate so callers can avoid lab work in their own hooks when !gate.ok.
 */
export function gateLabTests(): LabGate {
  const gate = labGate()
  if (!gate.ok && gate.ci) {
    beforeAll(() => {
      throw new Error(`the lab cannot run on this CI machine: ${gate.reason}`)
    })
  }
  if (!gate.ok && !gate.ci) {
    beforeEach((ctx) => {
      ctx.skip(true, `lab unavailable: ${gate.reason}`)
    })
  }
  return gate
}

export interface IperfRun {
  result: RunResult
  /** Parsed `iperf3 -J` output (null if it did not parse). */
  json: IperfJson | null
}
export interface IperfJson {
  error?: string
  end?: {sum_sent?: {bytes?: number; bits_per_second?: number; retransmits?: number}; sum_received?: {bytes?: number}}
}

export interface LabHandle {
  /** The configuration useLab() put the lab in (changes with switchTo). */
  readonly mode: LabMode
  /** What the VM talks to in this mode: 172.16.0.2 (broken) or 10.10.1.20 (fixed). */
  readonly target: string
  /** The namespace the diagnosis runs in. */
  readonly netns: typeof HOST_NS
  /** OVS_RUNDIR/OVS_LOGDIR/OVS_DBDIR/OVS_SYSCONFDIR + DPDK_DOCTOR_NETNS=lab-host0: merge into the tool's env. */
  env(): Record<string, string>
  /** Run argv in a lab namespace (or the current one with null); never throws on a non-zero exit. */
  exec(ns: LabNs | null, argv: readonly string[], opts?: {timeoutMs?: number}): Promise<RunResult>
  /** Live packet counters of dpdk0, vhost-user1 (ovs-ofctl dump-ports) and the kernel NIC (sysfs). */
  counters(): Promise<LabCounters>
  /** Start iperf3 -c <target> -t seconds -J in the VM without waiting. */
  startLoad(seconds: number): {done: Promise<IperfRun>}
  /** Run iperf3 from the VM for `seconds` and return it with the counter deltas around it. */
  measure(seconds: number): Promise<IperfRun & {delta: LabCounters}>
  /** Switch the running lab to the other configuration. */
  switchTo(mode: LabMode): Promise<void>
}

function parseIperf(r: RunResult): IperfRun {
  try {
    return {result: r, json: JSON.parse(r.stdout) as IperfJson}
  } catch {
    return {result: r, json: null}
  }
}

/**
 * Bring the lab up (unless it already is) in `mode` before the tests of the current describe
 * block, and down afterwards if this call brought it up (LAB_KEEP=1 keeps it). Gated: see gateLabTests().
 */
export function useLab(mode: LabMode, opts: {keep?: boolean} = {}): LabHandle {
  const gate = gateLabTests()
  let current: LabMode = mode
  let startedHere = false

  beforeAll(async () => {
    if (!gate.ok) return
    if (!(await isLabUp())) {
      await up()
      startedHere = true
    }
    await (mode === 'broken' ? breakHost() : fixHost())
  }, 180_000)

  afterAll(async () => {
    if (gate.ok && startedHere && !opts.keep && !process.env.LAB_KEEP) await down()
  }, 60_000)

  const startLoad = (seconds: number) => {
    return {done: labExec(null, vmIperfArgv(LAB_TARGETS[current], seconds), {timeoutMs: (seconds + 20) * 1000}).then(parseIperf)}
  }

  return {
    get mode() {
      return current
    },
    get target() {
      return LAB_TARGETS[current]
    },
    netns: HOST_NS,
    env: () => ({...ovsEnv(), DPDK_DOCTOR_NETNS: HOST_NS}),
    exec: (ns, argv, o) => labExec(ns, argv, o),
    counters: readCounters,
    startLoad,
    async measure(seconds) {
      const before = await readCounters()
      const run = await startLoad(seconds).done
      const after = await readCounters()
      return {...run, delta: counterDelta(before, after)}
    },
    async switchTo(m) {
      await (m === 'broken' ? breakHost() : fixHost())
      current = m
    },
  }
}
