/**
 * Plans for the fake host: the findings a broken host gives, turned into a plan by the real planner.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll} from 'vitest'
import type {Diagnosis} from '../../src/diagnose/types.js'
import type {Finding, FixAction} from '../../src/engine/types.js'
import {applyPlan} from '../../src/fix/apply.js'
import type {ApplyContext} from '../../src/fix/apply.js'
import type {IpState} from '../../src/fix/ip-state.js'
import {buildPlan} from '../../src/fix/planner.js'
import {computeProtectedSet} from '../../src/fix/protected.js'
import {statePaths} from '../../src/fix/state-files.js'
import type {FixPlan} from '../../src/fix/types.js'
import {makeState} from '../helpers/factory.js'
import type {FakeHost} from './fake-host.js'

export const MACHINE_ID = '0123456789abcdef0123456789abcdef'

export function finding(ruleId: string, subject: string, fixes: FixAction[]): Finding {
  return {ruleId, severity: 'critical', subject, message: `${ruleId} on ${subject}`, evidence: {}, fixes}
}

export function diagnosisWith(findings: Finding[]): Diagnosis {
  return {verdict: {kind: 'kernel-bypass', text: 'Traffic is bypassing DPDK'}, findings, load: null} as unknown as Diagnosis
}

export const ovsbr0Findings = (): Finding[] => [
  finding('internal-port-has-ip', 'ovsbr0', [
    {kind: 'remove-address', ifname: 'ovsbr0', address: '192.168.100.1', prefixlen: 24, family: 'inet'},
    {kind: 'remove-address', ifname: 'ovsbr0', address: '10.10.1.1', prefixlen: 24, family: 'inet'},
  ]),
]

/** A plan made by the real planner from the fake host's current state (plan mode reads through the same runner). */
export async function planFor(host: FakeHost, findings: Finding[] = ovsbr0Findings(), env: NodeJS.ProcessEnv = {}): Promise<FixPlan> {
  const ip: IpState = structuredClone(host.state)
  const protectedSet = await computeProtectedSet({runner: host, netns: host.netns, state: ip, env})
  return buildPlan({
    diagnosis: diagnosisWith(findings), state: makeState(), ip, protectedSet,
    guest: {vmSubnet: null, vmAddresses: {}, guestConfigDir: null}, onlyDevices: [],
    host: {hostname: 'host0', machineId: MACHINE_ID, netns: host.netns, ovsRundir: null}, source: {mode: 'live', bundle: null},
  })
}

const made: string[] = []
// Registered in every test file that imports this module: its temporary directories go with it.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, {recursive: true, force: true})
})

/** A temporary directory removed after the test file. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

export function stateEnv(): NodeJS.ProcessEnv {
  return {DPDK_DOCTOR_STATE_DIR: tempDir('dd-fix-unit-')}
}

export function applyCtx(host: FakeHost, plan: FixPlan, env: NodeJS.ProcessEnv, extra: Partial<ApplyContext> = {}): ApplyContext & {timer: ReturnType<FakeHost['timer']>} {
  return {
    runner: host, plan, paths: statePaths(env), timer: host.timer(), env, machineId: MACHINE_ID, checkFingerprint: false,
    force: false, noRevertTimer: false, allowIrreversible: false, confirmTimeoutMs: 120_000, forceUnlock: null, verifyDelayMs: 1,
    ...extra,
  } as ApplyContext & {timer: ReturnType<FakeHost['timer']>}
}

export const run = (ctx: ApplyContext) => applyPlan(ctx)
