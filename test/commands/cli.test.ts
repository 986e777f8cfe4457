/**
 * The CLI contract, on the built binary (npm test builds first): exit codes in human and --json
 * mode, one JSON document on stdout, a minimal error schema, no escape codes unless a human
 * watches a terminal.
 */
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {RULES} from '../../rules/index.js'

const BIN = 'bin/run.js'
const BROKEN = 'fixtures/bundles/lab-broken-huge-load'
const FIXED = 'fixtures/bundles/lab-fixed-huge-load'
const tmp = mkdtempSync(join(tmpdir(), 'dd-cli-'))

beforeAll(() => {
  if (!existsSync('dist/commands/diagnose.js')) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
})
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

async function cli(args: string[], env: Record<string, string> = {}) {
  // NODE_ENV=production as for users: vitest's NODE_ENV=test puts oclif in dev mode (extra warnings).
  const r = await execa(process.execPath, [BIN, ...args], {reject: false, env: {NO_COLOR: '', NODE_ENV: 'production', ...env}, stdin: 'ignore'})
  return {code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr)}
}

function json(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>
}

describe('diagnose --from', () => {
  it('broken host: verdict first, exit 2, plain output to a pipe, nothing on stderr', async () => {
    const r = await cli(['diagnose', '--from', BROKEN])
    expect(r.code).toBe(2)
    expect(r.stdout.split('\n')[0]).toBe('Traffic is bypassing DPDK: VM -> ovsbr0 (kernel) -> enp65s0f0np0')
    expect(r.stdout).toContain('internal-port-has-ip')
    // Coverage is its own line, not worded as if it were critical; each source counted once.
    // 22 sources in each of the two full samples, counted once (was "CRITICAL: collected 44/46").
    expect(r.stdout).toMatch(/^Sources: collected 22\/22(;|$)/m)
    expect(r.stdout.split('\n')[1]).toMatch(/^CRITICAL \(exit 2\), from fixtures\/bundles\/lab-broken-huge-load: /)
    expect(r.stdout).not.toMatch(/\u001B\[/)
    expect(r.stderr).toBe('')
  })

  it('broken host --json: one document, exit 2, empty stderr', async () => {
    const r = await cli(['diagnose', '--from', BROKEN, '--json'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('')
    const d = json(r.stdout)
    expect(d.exitCode).toBe(2)
    expect(d.schema).toBe('dpdk-doctor/diagnosis@1')
    expect((d.verdict as {kind: string}).kind).toBe('kernel-bypass')
  })

  // Exit 1 since issue 13: the fixed lab host's guest has no TSO (userspace-tso-enable unset), a warning.
  it('fixed host: exit 1 (fast path, limited by guest TSO) in both modes', async () => {
    expect((await cli(['diagnose', '--from', FIXED])).code).toBe(1)
    const r = await cli(['diagnose', '--from', FIXED, '--json'])
    expect(r.code).toBe(1)
    expect((json(r.stdout).verdict as {text: string}).text).toBe('DPDK fast path: all load through dpdk0, limited by: guest TSO off (host setting)')
    expect(json(r.stdout).limitedBy).toEqual([{ruleId: 'guest-tso-off-by-host', subject: 'vhost-user1', severity: 'warning', text: 'guest TSO off (host setting)'}])
  })

  it('OVS down: exit 3 with a one-line verdict, in both modes', async () => {
    const r = await cli(['diagnose', '--from', 'fixtures/bundles/ovs-down'])
    expect(r.code).toBe(3)
    expect(r.stdout.split('\n')[0]).toMatch(/^Not enough data to decide: OVS is not reachable/)
    expect((await cli(['diagnose', '--from', 'fixtures/bundles/ovs-down', '--json'])).code).toBe(3)
  })
})

describe('errors keep exit 3 (UNKNOWN), never 1 or 2', () => {
  const cases: Array<[string, string[]]> = [
    ['a missing bundle dir', ['diagnose', '--from', join(tmp, 'nope')]],
    ['a directory that is not a bundle', ['diagnose', '--from', tmp]],
    ['an unknown flag', ['diagnose', '--frobnicate']],
    ['an unknown rule', ['rules', 'explain', 'no-such-rule']],
    ['a load with shell syntax', ['diagnose', '--load', 'iperf3 -c x | tee y']],
    ['--load with --during', ['diagnose', '--load', 'iperf3 -c x', '--during', '5s']],
    ['a 16-character namespace-like bad name', ['diagnose', '--netns', '../../etc']],
  ]
  it.each(cases)('%s: human', async (_name, args) => {
    const r = await cli(args)
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/^Error: /)
    expect(r.stdout).toBe('')
  })
  it.each(cases)('%s: --json gives the minimal error document', async (_name, args) => {
    const r = await cli([...args, '--json'])
    expect(r.code).toBe(3)
    const doc = json(r.stdout) as {error: Record<string, unknown>}
    expect(Object.keys(doc)).toEqual(['error'])
    expect(Object.keys(doc.error).sort()).toEqual(['code', 'exit', 'message', 'suggestions'])
    expect(doc.error.exit).toBe(3)
    expect(r.stdout).not.toContain('"config"')
    expect(r.stderr).toBe('')
  })
})

describe('live diagnose without a reachable OVS', () => {
  it('exits 3 quickly and says why in one line', async () => {
    const started = Date.now()
    const r = await cli(['diagnose'], {OVS_RUNDIR: tmp})
    expect(r.code).toBe(3)
    expect(r.stdout.split('\n')[0]).toMatch(/^Not enough data to decide: (OVS is not reachable|Open vSwitch tools are not installed)/)
    expect(Date.now() - started).toBeLessThan(20_000)
  })
})

describe('rules', () => {
  it('lists every registered rule', async () => {
    const r = await cli(['rules', '--json'])
    expect(r.code).toBe(0)
    expect((json(r.stdout).rules as unknown[]).length).toBe(RULES.length)
  })
  it('explains one', async () => {
    const r = await cli(['rules', 'explain', 'kernel-nic-carries-load'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/Why it matters/)
    expect(r.stdout).toMatch(/Thresholds/)
  })
  it('suggests near names', async () => {
    const r = await cli(['rules', 'explain', 'kernel-nic'])
    expect(r.stderr).toMatch(/Did you mean: .*kernel-nic-carries-load/)
  })
})

describe('colour', () => {
  // script(1) gives the CLI a real terminal on stdout.
  const inTty = (env: Record<string, string>, extra = '') =>
    execa('script', ['-qec', `${process.execPath} ${BIN} diagnose --from ${BROKEN} ${extra}`, '/dev/null'], {reject: false, env: {TERM: 'xterm', NODE_ENV: 'production', ...env}})

  it('is used on a terminal', async () => {
    const r = await inTty({NO_COLOR: ''})
    expect(String(r.stdout)).toMatch(/\u001B\[31m/)
  })
  it('is off with NO_COLOR, --no-color or TERM=dumb', async () => {
    for (const [env, flag] of [[{NO_COLOR: '1'}, ''], [{NO_COLOR: ''}, '--no-color'], [{NO_COLOR: '', TERM: 'dumb'}, '']] as const) {
      const r = await inTty({...env}, flag)
      expect(String(r.stdout)).not.toMatch(/\u001B\[3\dm/)
    }
  })
})

describe('--version', () => {
  it('prints the version', async () => {
    const r = await cli(['--version'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^dpdk-doctor\/0\.1\.0 /)
  })
})

describe('the fast path (diagnose --from, --version, --help and rules without oclif) matches oclif', () => {
  it.each([
    ['diagnose', '--from', BROKEN],
    ['diagnose', '--from', BROKEN, '--json'],
    ['diagnose', '--json', `--from=${FIXED}`, '-v'],
    ['diagnose', '--from', 'fixtures/bundles/ovs-down', '--no-color'],
    ['diagnose', '--from', '/nonexistent-bundle', '--json'],
    ['diagnose', '--from', '/nonexistent-bundle'],
    ['--version'],
    ['--help'],
    ['-h'],
    ['help'],
    ['rules'],
    ['rules', '--json'],
    ['rules', '--no-color'],
  ])('%j', async (...args) => {
    const fast = await cli(args)
    const oclif = await cli(args, {DPDK_DOCTOR_NO_FAST_PATH: '1'})
    expect(fast).toEqual(oclif)
  })

  it.each(['40', '100', '132'])('root help at OCLIF_COLUMNS=%s', async (columns) => {
    const fast = await cli(['--help'], {OCLIF_COLUMNS: columns})
    const oclif = await cli(['--help'], {OCLIF_COLUMNS: columns, DPDK_DOCTOR_NO_FAST_PATH: '1'})
    expect(fast).toEqual(oclif)
  })
})
