/**
 * fix's CLI contract on the built binary (npm test builds first): the plan under --json, the
 * consent refusals and their exit codes in human and --json mode. Nothing here changes the host:
 * every apply below is refused before anything is collected.
 */
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

const BIN = 'bin/run.js'
const BROKEN = 'fixtures/bundles/lab-broken-huge-load'
const state = mkdtempSync(join(tmpdir(), 'dd-fix-cli-'))

beforeAll(() => {
  if (!existsSync('dist/commands/fix.js')) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
})
afterAll(() => rmSync(state, {recursive: true, force: true}))

async function cli(args: string[]) {
  const r = await execa(process.execPath, [BIN, ...args], {reject: false, env: {NO_COLOR: '', NODE_ENV: 'production', DPDK_DOCTOR_STATE_DIR: state}, stdin: 'ignore'})
  return {code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr)}
}

describe('fix --from (plan only)', () => {
  it('--json: one plan document, exit 0, stderr empty', async () => {
    const r = await cli(['fix', '--from', BROKEN, '--vm-subnet', '10.10.1.0/24', '--json'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    const plan = JSON.parse(r.stdout) as {schema: string; steps: Array<{argv: string[]; inverseArgv: string[]; managementImpact: string; reversible: boolean; risk: string; why: string[]}>; guest: Array<{address: string}>}
    expect(plan.schema).toBe('dpdk-doctor/fix-plan@1')
    expect(plan.steps[0]).toEqual(expect.objectContaining({argv: expect.any(Array), inverseArgv: expect.any(Array), managementImpact: 'unknown', reversible: true, risk: 'high', why: expect.any(Array)}))
    expect(plan.guest[0]!.address).toBe('10.10.1.10')
  })

  it('human: the steps table with each command and its undo, the guest file, the alternatives', async () => {
    const r = await cli(['fix', '--from', BROKEN, '--vm-subnet', '10.10.1.0/24'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Host steps (one at a time; never `ip addr flush`)')
    expect(r.stdout).toContain('version: 2')
    expect(r.stdout).toContain('Alternatives, and what they cost')
    expect(r.stdout).not.toMatch(/\u001B\[/)
  })
})

describe('fix on a host it could not judge', () => {
  it('OVS unreachable: says it could not judge and exits 3, in human and --json mode (was "Nothing to change", exit 0)', async () => {
    const human = await cli(['fix', '--from', 'fixtures/bundles/ovs-down'])
    expect(human.code).toBe(3)
    expect(human.stdout).toContain('Could not judge the host, so nothing is planned (exit 3)')
    expect(human.stdout).not.toContain('Nothing to change')
    const json = await cli(['fix', '--from', 'fixtures/bundles/ovs-down', '--json'])
    expect(json.code).toBe(3)
    const plan = JSON.parse(json.stdout) as {steps: unknown[]; verdict: {kind: string; text: string}}
    expect(plan.steps).toEqual([])
    expect(plan.verdict.kind).toBe('unknown')
  })
})

describe('consent (SAFETY C20) and exit codes that survive --json (C17)', () => {
  it('--apply with stdin not a terminal and no --yes: exit 15, the message names --yes', async () => {
    const r = await cli(['fix', '--apply'])
    expect(r.code).toBe(15)
    expect(r.stderr).toMatch(/^Error: .*pass --yes/m)
    const j = await cli(['fix', '--apply', '--json'])
    expect(j.code).toBe(15)
    expect(j.stderr).toBe('')
    expect(JSON.parse(j.stdout)).toEqual({error: {code: 'E_NEEDS_YES', message: expect.stringContaining('--yes'), suggestions: expect.any(Array), exit: 15}})
  })

  it('--no-revert-timer without --force: exit 15', async () => {
    const r = await cli(['fix', '--apply', '--yes', '--no-revert-timer', '--json'])
    expect(r.code).toBe(15)
    expect((JSON.parse(r.stdout) as {error: {code: string}}).error.code).toBe('E_NEEDS_FORCE')
  })

  it('--rollback of an unknown change: exit 3 with the journal directory named', async () => {
    const r = await cli(['fix', '--rollback', 'no-such-change', '--json'])
    expect(r.code).toBe(3)
    expect((JSON.parse(r.stdout) as {error: {message: string}}).error.message).toContain(join(state, 'journal'))
  })

  it('--from with --apply is a usage error (exit 3)', async () => {
    const r = await cli(['fix', '--from', BROKEN, '--apply', '--yes'])
    expect(r.code).toBe(3)
  })
})
