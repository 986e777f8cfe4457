/**
 * The fleet outputs through the built binary: --format nagios keeps the exit codes (one bundle per
 * exit code; test/report/ renders every bundle), --format npd maps them, --prometheus-textfile writes the file next to the usual
 * output, and a failed run still answers each engine in its terms.
 */
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {diagnoseBundle} from '../../src/diagnose/service.js'
import {parsePluginOutput} from '../helpers/nagios-perfdata.js'

const BIN = 'bin/run.js'
const BROKEN = 'fixtures/bundles/lab-broken-huge-load'
/** One bundle per exit code the fixtures have (2, 0, 3 from OVS down, 3 from missing permissions). */
const BUNDLES = ['lab-broken-huge-load', 'lab-fixed-huge-load', 'lab-fixed-huge-idle', 'ovs-down', 'permission-denied']
const tmp = mkdtempSync(join(tmpdir(), 'dd-fleet-'))

beforeAll(() => {
  if (!existsSync('dist/commands/diagnose.js')) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
})
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

async function cli(args: string[]) {
  const r = await execa(process.execPath, [BIN, ...args], {reject: false, env: {NO_COLOR: '', NODE_ENV: 'production'}, stdin: 'ignore'})
  return {code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr)}
}

/** Runs fn over items, a few at a time (each is a node process). */
async function pool<T, R>(items: T[], fn: (item: T) => Promise<R>, width = 4): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({length: width}, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }))
  return out
}

describe('--format nagios and npd through the binary', () => {
  it('nagios exits with the --json exit code and prints a parseable check result; npd maps it to 0/1/2', async () => {
    const results = await pool(BUNDLES, async (name) => {
      const from = `fixtures/bundles/${name}`
      const [nagios, npd] = [await cli(['diagnose', '--from', from, '--format', 'nagios']), await cli(['diagnose', '--from', from, '--format', 'npd'])]
      return {name, d: diagnoseBundle(from), nagios, npd}
    })
    for (const {name, d, nagios, npd} of results) {
      expect(nagios.code, name).toBe(d.exitCode)
      expect(parsePluginOutput(nagios.stdout).statusLine, name).toMatch(new RegExp(`^DPDK-DOCTOR ${d.status} - `))
      expect(nagios.stderr, name).toBe('')
      expect(npd.code, name).toBe(d.exitCode === 0 ? 0 : d.exitCode === 3 ? 2 : 1)
      expect(npd.stdout.trimEnd().split('\n'), name).toHaveLength(1)
      expect(npd.stdout.trimEnd().length, name).toBeLessThanOrEqual(80)
    }
    expect(new Set(results.map((r) => r.d.exitCode))).toEqual(new Set([0, 1, 2, 3]))
  }, 60_000)
})

describe('--prometheus-textfile', () => {
  it('writes the metrics and keeps the human output and the exit code', async () => {
    const file = join(tmp, 'dpdk_doctor.prom')
    const r = await cli(['diagnose', '--from', BROKEN, '--prometheus-textfile', file])
    expect(r.code).toBe(2)
    expect(r.stdout.split('\n')[0]).toBe('Traffic is bypassing DPDK: VM -> ovsbr0 (kernel) -> enp65s0f0np0')
    const text = readFileSync(file, 'utf8')
    expect(text).toMatch(/^dpdk_doctor_rule_state\{rule="internal-port-has-ip",subject="ovsbr0",severity="critical",state="fail"\} 1$/m)
    expect(text).toMatch(/^dpdk_doctor_exit_code 2$/m)
    expect(readdirSync(tmp)).toEqual(['dpdk_doctor.prom'])
  })

  it('prints the same metrics on stdout with --format prometheus', async () => {
    const r = await cli(['diagnose', '--from', BROKEN, '--format', 'prometheus'])
    expect(r.code).toBe(2)
    expect(r.stdout).toMatch(/^# TYPE dpdk_doctor_rule_state gauge$/m)
    expect(r.stdout).toMatch(/^dpdk_doctor_verdict\{kind="kernel-bypass"\} 1$/m)
  })
})

describe('a run that fails', () => {
  it('is a Nagios UNKNOWN (exit 3) on stdout', async () => {
    const r = await cli(['diagnose', '--from', join(tmp, 'no-such-bundle'), '--format', 'nagios'])
    expect(r.code).toBe(3)
    expect(r.stdout).toMatch(/^DPDK-DOCTOR UNKNOWN - \S/)
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1)
  })
  it('is an NPD unknown (exit 2) in one short line, also for a bad flag', async () => {
    for (const args of [['--from', join(tmp, 'no-such-bundle')], ['--no-such-flag']]) {
      const r = await cli(['diagnose', ...args, '--format=npd'])
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stdout, args.join(' ')).toMatch(/^UNKNOWN: /)
      expect(r.stdout.trimEnd().length).toBeLessThanOrEqual(80)
    }
  })
  it('refuses --format with --json (one document means --json alone)', async () => {
    const r = await cli(['diagnose', '--from', BROKEN, '--format', 'nagios', '--json'])
    expect(r.code).toBe(3)
  })
})
