/**
 * Help and usage on the built binary: every command's usage lines agree with its flags' real
 * exclusivity (flags in one [a | b] group exclude each other, flags side by side combine), no empty
 * alternatives; help, -h, help COMMAND, a typo and autocomplete work; parse errors in one style.
 */
import {existsSync} from 'node:fs'
import {execa} from 'execa'
import {beforeAll, describe, expect, it} from 'vitest'
import manifest from '../../oclif.manifest.json' with {type: 'json'}
import {GLOBAL_FLAGS, excludes} from '../../src/usage.js'
import type {UsageFlag} from '../../src/usage.js'

const BIN = 'bin/run.js'
beforeAll(() => {
  if (!existsSync('dist/commands/diagnose.js')) throw new Error('dist/ is missing: run `npm run build` first')
})

async function cli(args: string[]) {
  const r = await execa(process.execPath, [BIN, ...args], {reject: false, env: {NO_COLOR: '1', NODE_ENV: 'production', COLUMNS: '200'}, stdin: 'ignore'})
  return {code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr)}
}

type ManifestCommand = {id: string; flags: Record<string, UsageFlag & {dependsOn?: string[]}>}
const commands = Object.values((manifest as unknown as {commands: Record<string, ManifestCommand>}).commands).filter((c) => !c.id.startsWith('autocomplete'))

/** The usage lines of a --help text, joined back from oclif's wrapping. */
function usageLines(help: string): string[] {
  const block = help.split('\nUSAGE\n')[1]!.split('\n\n')[0]!
  return block.split(/\n {2}\$ /).map((l) => l.replace(/^ {2}\$ /, '').replace(/\s+/g, ' ').trim())
}

/** Flag groups of a usage line: each [ ... ] (or a bare --flag) with its alternatives. */
function groupsOf(line: string): string[][] {
  const out: string[][] = []
  for (const m of line.matchAll(/\[([^\]]*)\]|(--[\w-]+)/g)) {
    const inner = m[1] ?? m[2]!
    out.push([...inner.matchAll(/--([\w-]+)/g)].map((x) => x[1]!))
  }
  return out
}

describe.each(commands.map((c) => [c.id.replaceAll(':', ' '), c] as const))('%s --help', (id, command) => {
  it('usage lines tell the truth about exclusivity, no empty alternatives, every flag shown', async () => {
    const r = await cli([...id.split(' '), '--help'])
    expect(r.code).toBe(0)
    const lines = usageLines(r.stdout)
    const seen = new Set<string>()
    for (const line of lines) {
      expect(line).not.toMatch(/\|\s*\]|\[\s*\||\|\s*\|/)
      const groups = groupsOf(line).map((g) => g.filter((n) => !GLOBAL_FLAGS.includes(n)))
      for (const g of groups) {
        g.forEach((n) => seen.add(n))
        for (const a of g) for (const b of g) if (a !== b) expect(excludes(command.flags, a, b), `${id}: ${a} | ${b} do not exclude each other`).toBe(true)
      }
      const flat = groups.flat()
      for (const a of flat) {
        for (const b of flat) {
          const together = !groups.some((g) => g.includes(a) && g.includes(b))
          if (a !== b && together) expect(excludes(command.flags, a, b), `${id}: ${a} and ${b} side by side but exclusive`).toBe(false)
        }
      }
    }
    for (const name of Object.keys(command.flags)) if (!GLOBAL_FLAGS.includes(name) && !command.flags[name]!.hidden) expect(seen, `${id}: --${name} missing from usage`).toContain(name)
  })
})

describe('help', () => {
  it('root help lists --version, the commands and examples', async () => {
    const r = await cli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/--version +Print the version/)
    expect(r.stdout).toMatch(/EXAMPLES/)
    expect(r.stdout).toMatch(/diagnose/)
  })
  it.each([['help'], ['help', 'diagnose'], ['diagnose', '-h']])('%s works', async (...args) => {
    const r = await cli(args)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/USAGE/)
  })
  it('--json help says what the document is', async () => {
    const r = await cli(['diagnose', '--help'])
    expect(r.stdout).toMatch(/--json +Print the diagnosis/)
  })
  it('a typo names the nearest command, in the one error style, exit 3', async () => {
    const r = await cli(['diagnos'])
    expect(r.code).toBe(3)
    expect(r.stderr).toBe('Error: diagnos is not a dpdk-doctor command\nTry: dpdk-doctor diagnose')
  })
  it('autocomplete prints its setup', async () => {
    const r = await cli(['autocomplete', 'bash'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/dpdk-doctor/)
  })
})

describe('errors in one style', () => {
  it.each([
    ['diagnose', '--load', 'x', '--during', '5s'],
    ['diagnose', '--frobnicate'],
    ['rules', 'explain'],
  ])('%s: Error: and Try:, nothing of oclif\'s framing', async (...args) => {
    const r = await cli(args)
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/^Error: [^\n]+\nTry: [^\n]+$/)
    expect(r.stderr).not.toMatch(/See more help|The following error/)
  })
  it.each(['diagnose', 'fix', 'watch'])('%s --from a missing directory: the same E_BUNDLE error', async (cmd) => {
    const r = await cli([cmd, '--from', '/nonexistent-bundle', '--json'])
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout) as {error: {code: string; message: string}}
    expect(doc.error.code).toBe('E_BUNDLE')
    expect(doc.error.message).toBe('/nonexistent-bundle is not a readable capture bundle: no such directory')
  })
  it('fix --confirm without an id is a usage error; with it, the id is the argument as for --rollback', async () => {
    const r = await cli(['fix', '--confirm'])
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/^Error: --confirm needs the change id/)
    const bad = await cli(['fix', '--confirm', 'not-an-id'])
    expect(bad.code).toBe(3)
    const badRollback = await cli(['fix', '--rollback', 'not-an-id'])
    expect(badRollback.stderr.split('\n')[0]).toBe(bad.stderr.split('\n')[0])
  })
})

describe('one vocabulary', () => {
  it('watch takes --load/--during and still --run/--duration', async () => {
    for (const flags of [['--during', '1s'], ['--duration', '1s']]) {
      const r = await cli(['watch', '--from', 'fixtures/bundles/lab-broken-huge-load', ...flags, '--interval', '100ms'])
      expect(r.code).toBe(2)
    }
    const help = await cli(['watch', '--help'])
    expect(help.stdout).toMatch(/--load=<value>/)
    expect(help.stdout).toMatch(/--during=<value>/)
  })
})
