/**
 * A capture bundle is hostile input (issue 11): crafted bundles, made here in a temp directory,
 * each refused or contained with a clear message; --json stays one document; exit 3 where nothing
 * could be judged; and the CLI child's peak resident size stays under 200 MB (its maxRSS, not a
 * clock: the timings go to the bench, test/bench/hostile-bundles.ts).
 */
import {cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import {BundleReader, FILE_LIMIT} from '../../src/capture/bundle-reader.js'
import {analyse} from '../../src/diagnose/analyse.js'
import {makePlan} from '../../src/fix/service.js'
import {renderPlan} from '../../src/fix/render.js'
import {renderDiagnosis} from '../../src/report/human.js'
import {makeStyle} from '../../src/report/style.js'
import {CRAFT_FROM, craftedBundle} from '../helpers/crafted-bundle.js'

const FIXTURE = CRAFT_FROM
const tmp = mkdtempSync(join(tmpdir(), 'dd-hostile-'))
const RSS_LIMIT_KB = 200 * 1024

beforeAll(() => {
  if (!existsSync('dist/commands/diagnose.js')) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
})
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

let n = 0
/** A copy of the broken lab bundle, edited. */
const crafted = (edit: (dir: string) => void) => craftedBundle(tmp, edit)

async function mkfifo(path: string): Promise<void> {
  await execa('mkfifo', [path])
}

/** The built CLI in a child, with its peak resident size; a hang ends at 20 s and fails the test. */
async function cli(args: string[]) {
  const rssFile = join(tmp, `rss-${n++}`)
  const r = await execa(process.execPath, ['--import', './test/helpers/report-rss.mjs', 'bin/run.js', ...args], {
    reject: false, timeout: 20_000, stdin: 'ignore', env: {NO_COLOR: '', NODE_ENV: 'production', DD_RSS_FILE: rssFile},
  })
  expect(r.timedOut, `${args.join(' ')} did not finish`).toBe(false)
  const maxRssKb = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) : Number.NaN
  return {code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), maxRssKb}
}

interface Doc {
  exitCode?: number
  coverage?: {notOk: Array<{sample: string; id: string; status: string; reason: string | null}>}
  warnings?: string[]
  error?: {code: string; message: string; exit: number}
}

/** diagnose --from B --json: exactly one JSON document on stdout, nothing on stderr, bounded memory. */
async function diagnoseJson(dir: string): Promise<{code: number | undefined; doc: Doc; stdout: string}> {
  const r = await cli(['diagnose', '--from', dir, '--json'])
  expect(r.stderr).toBe('')
  const doc = JSON.parse(r.stdout) as Doc
  expect(r.maxRssKb).toBeLessThan(RSS_LIMIT_KB)
  return {code: r.code, doc, stdout: r.stdout}
}

const refusedEntry = (doc: Doc, sample: string, id: string) => doc.coverage?.notOk.find((e) => e.sample === sample && e.id === id)

describe('the bundle reader', () => {
  it('reads a regular file, and a link that stays inside the bundle', () => {
    const dir = crafted((d) => symlinkSync('ip-addr.out', join(d, 'before', 'alias.out')))
    const reader = new BundleReader(dir)
    expect(reader.read('before/ip-addr.out')).toMatchObject({kind: 'ok'})
    expect(reader.read('before/alias.out')).toEqual(reader.read('before/ip-addr.out'))
    expect(reader.read('before/nothing.out')).toEqual({kind: 'missing'})
  })

  it.each([
    ['a link to a file outside the bundle', async (d: string) => {
      writeFileSync(join(tmp, 'secret.txt'), 'SECRET-LINE\n')
      symlinkSync(join(tmp, 'secret.txt'), join(d, 'x.out'))
    }, /symbolic link to a file outside the bundle/],
    ['a link to /dev/zero', async (d: string) => symlinkSync('/dev/zero', join(d, 'x.out')), /outside the bundle/],
    ['a fifo', async (d: string) => mkfifo(join(d, 'x.out')), /is a fifo, not a regular file/],
    ['a link to a fifo inside the bundle', async (d: string) => {
      await mkfifo(join(d, 'pipe'))
      symlinkSync('pipe', join(d, 'x.out'))
    }, /is a fifo, not a regular file/],
    ['a directory', async (d: string) => mkdirSync(join(d, 'x.out')), /is a directory/],
    ['a file over the limit (sparse, 300 MB)', async (d: string) => {
      writeFileSync(join(d, 'x.out'), '')
      truncateSync(join(d, 'x.out'), 300 * 1024 * 1024)
    }, /over the limit of 64 MiB a file/],
    ['a sample directory that is a link out', async (d: string) => {
      mkdirSync(join(tmp, 'elsewhere'), {recursive: true})
      writeFileSync(join(tmp, 'elsewhere', 'x.out'), 'SECRET')
      symlinkSync(join(tmp, 'elsewhere'), join(d, 'during'))
    }, /reached through a symbolic link to a file outside the bundle/],
  ])('refuses %s', async (_name, make, reason) => {
    const dir = join(tmp, `r${n++}`)
    mkdirSync(dir)
    await make(dir)
    const rel = existsSync(join(dir, 'during')) ? 'during/x.out' : 'x.out'
    const got = new BundleReader(dir).read(rel)
    expect(got.kind).toBe('refused')
    expect(got.kind === 'refused' ? got.reason : '').toMatch(reason)
  })

  it.each(['../capture.json', '/etc/passwd', 'before/\0.out', 'before/../../x'])('refuses the path %j', (rel) => {
    expect(new BundleReader(FIXTURE).read(rel)).toEqual({kind: 'refused', reason: 'its path leads outside the bundle'})
  })

  it('stops at the bundle limit', () => {
    const reader = new BundleReader(FIXTURE, {file: FILE_LIMIT, bundle: 3000})
    expect(reader.read('before/ip-addr.out').kind).toBe('ok') // 1975 bytes
    const second = reader.read('before/ip-link.out')
    expect(second).toEqual({kind: 'refused', reason: 'would take the bundle over its limit of 0 MiB'})
  })
})

describe('diagnose --from a crafted bundle', () => {
  it('before/ip-addr.out -> a secret outside the bundle: refused per source, the secret never in --json', async () => {
    writeFileSync(join(tmp, 'shadow'), 'root:$6$SECRET-HASH:19000:0:99999:7:::\n')
    const dir = crafted((d) => {
      rmSync(join(d, 'before', 'ip-addr.out'))
      symlinkSync(join(tmp, 'shadow'), join(d, 'before', 'ip-addr.out'))
    })
    const {doc, stdout} = await diagnoseJson(dir)
    expect(stdout).not.toContain('SECRET-HASH')
    expect(refusedEntry(doc, 'before', 'ip-addr')).toMatchObject({status: 'error', reason: expect.stringMatching(/^refused by the bundle reader: before\/ip-addr.out is a symbolic link to a file outside the bundle/)})
    expect(doc.warnings).toContain('bundle file before/ip-addr.out refused: it is a symbolic link to a file outside the bundle')
  })

  it('/etc/shadow itself behind the link: the same refusal', async () => {
    const dir = crafted((d) => {
      rmSync(join(d, 'before', 'ip-addr.out'))
      symlinkSync('/etc/shadow', join(d, 'before', 'ip-addr.out'))
    })
    const {doc, stdout} = await diagnoseJson(dir)
    expect(stdout).not.toMatch(/root:[^"]*:\d+:/)
    expect(refusedEntry(doc, 'before', 'ip-addr')?.reason).toMatch(/outside the bundle/)
  })

  it('a fifo as an output, and a link to /dev/zero: no hang, no growth, both refused', async () => {
    const dir = join(tmp, `fifo${n++}`)
    cpSync(FIXTURE, dir, {recursive: true})
    rmSync(join(dir, 'before', 'ovsdb-port.out'))
    await mkfifo(join(dir, 'before', 'ovsdb-port.out'))
    rmSync(join(dir, 'during', 'pmd-stats.out'))
    symlinkSync('/dev/zero', join(dir, 'during', 'pmd-stats.out'))
    const {doc} = await diagnoseJson(dir)
    expect(refusedEntry(doc, 'before', 'ovsdb-port')?.reason).toMatch(/before\/ovsdb-port.out is a fifo, not a regular file/)
    expect(refusedEntry(doc, 'during', 'pmd-stats')?.reason).toMatch(/outside the bundle/)
  })

  it('a 300 MB file (sparse): refused by its size, never read', async () => {
    const dir = crafted((d) => truncateSync(join(d, 'during', 'dpctl-show.out'), 300 * 1024 * 1024))
    const {doc} = await diagnoseJson(dir)
    expect(refusedEntry(doc, 'during', 'dpctl-show')?.reason).toMatch(/is 300 MiB, over the limit of 64 MiB a file/)
  })

  it('a 100 MB one-line output (the issue costed it 2 GB): refused by its size', async () => {
    const dir = crafted((d) => truncateSync(join(d, 'during', 'pmd-stats.out'), 100 * 1024 * 1024))
    const {doc} = await diagnoseJson(dir)
    expect(refusedEntry(doc, 'during', 'pmd-stats')?.reason).toMatch(/is 100 MiB, over the limit of 64 MiB a file/)
  })

  it('a 40 MB one-line output under the limit: read, unparseable, still under 200 MB', async () => {
    const dir = crafted((d) => writeFileSync(join(d, 'during', 'pmd-stats.out'), 'x'.repeat(40 * 1024 * 1024)))
    const {doc} = await diagnoseJson(dir)
    expect(doc.coverage?.notOk.some((e) => e.sample === 'during' && e.id === 'pmd-stats')).toBe(true)
  })

  it('nothing to judge (every OVSDB table refused): exit 3, one document', async () => {
    const dir = crafted((d) => {
      for (const sample of ['before', 'during']) {
        for (const id of ['ovsdb-bridge', 'ovsdb-interface', 'ovsdb-port', 'ovsdb-open_vswitch']) {
          rmSync(join(d, sample, `${id}.out`))
          symlinkSync('/dev/zero', join(d, sample, `${id}.out`))
        }
      }
    })
    const {code, doc} = await diagnoseJson(dir)
    expect(code).toBe(3)
    expect(doc.exitCode).toBe(3)
  })

  it.each([
    ['capture.json is a fifo', async (d: string) => {
      rmSync(join(d, 'capture.json'))
      await mkfifo(join(d, 'capture.json'))
    }, /capture.json refused: it is a fifo/],
    ['sources.json links to /dev/zero', async (d: string) => {
      rmSync(join(d, 'before', 'sources.json'))
      symlinkSync('/dev/zero', join(d, 'before', 'sources.json'))
    }, /before\/sources.json refused: it is a symbolic link to a file outside the bundle/],
  ])('%s: the bundle is refused, exit 3, one error document', async (_name, make, message) => {
    const dir = join(tmp, `m${n++}`)
    cpSync(FIXTURE, dir, {recursive: true})
    await make(dir)
    const {code, doc} = await diagnoseJson(dir)
    expect(code).toBe(3)
    expect(doc.error).toMatchObject({code: 'E_BUNDLE', exit: 3, message: expect.stringMatching(message)})
  })

  const longName = `ovsdb-port.${'a'.repeat(300)}`
  it.each([['with /', 'fdb.ovsbr0/../../x'], ['with ..', '../../etc/shadow'], ['with a newline', 'fdb.a\nb'], ['with NUL', 'fdb.a\u0000b'], ['of 300 characters', longName]])(
    'a source id %s: refused with the id escaped, exit 3, one document',
    async (_name, id) => {
      const dir = crafted((d) => {
        const p = join(d, 'before', 'sources.json')
        const records = JSON.parse(readFileSync(p, 'utf8')) as Array<{id: string}>
        records[0]!.id = id
        writeFileSync(p, JSON.stringify(records))
      })
      const {code, doc} = await diagnoseJson(dir)
      expect(code).toBe(3)
      expect(doc.error?.message).toMatch(/before\/sources.json has an entry without a valid id/)
      expect(doc.error?.message).not.toMatch(/[\n\u0000]/)
      // Nothing was created from the name.
      expect(readdirSync(join(dir, 'before')).some((f) => f.includes('..') || f.length > 200)).toBe(false)
    },
  )
})

const ESC = '\u001B[2J\u001B[31mPWNED'
/** Every control character a terminal acts on, except the line breaks the renderers put themselves. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/

describe('escape codes in every string field', () => {
  /** The lab bundle with ESC sequences in the host, every record's reason and stderr, and every name. */
  function poisoned(): string {
    return crafted((d) => {
      const cap = JSON.parse(readFileSync(join(d, 'capture.json'), 'utf8')) as {host: Record<string, string | null>; load: {argv: string[]}}
      cap.host = {hostname: ESC, machineId: ESC, kernel: ESC, netns: cap.host.netns ?? null, ovsRundir: ESC}
      cap.load.argv = [...cap.load.argv, ESC]
      writeFileSync(join(d, 'capture.json'), JSON.stringify(cap))
      for (const sample of ['before', 'during']) {
        const p = join(d, sample, 'sources.json')
        const records = JSON.parse(readFileSync(p, 'utf8')) as Array<{id: string; status: string; reason?: string}>
        for (const r of records) {
          r.reason = `reason ${ESC}`
          writeFileSync(join(d, sample, `${r.id}.err`), `stderr ${ESC}\n`)
          const out = join(d, sample, `${r.id}.out`)
          if (!existsSync(out)) continue
          const text = readFileSync(out, 'utf8')
          // Names in JSON outputs get the sequence JSON-escaped, in text outputs raw.
          const json = /^\s*[[{]/.test(text)
          const poison = json ? JSON.stringify(ESC).slice(1, -1) : ESC
          writeFileSync(out, text.replaceAll('vhost-user1', `vhost-user1${poison}`).replaceAll('dpdk0', `dpdk0${poison}`))
        }
      }
    })
  }

  it('the human report and the fix plan show them escaped; --json keeps them raw', async () => {
    const dir = poisoned()
    const capture = readCapture(dir)
    expect(capture.manifest.host.hostname).toBe(ESC)
    const d = analyse(capture, {input: {mode: 'bundle', bundle: dir, savedTo: null}})
    const report = renderDiagnosis(d, makeStyle(false), {verbose: true})
    expect(report).not.toMatch(CONTROL)
    expect(report).toContain('\\x1b[2J\\x1b[31mPWNED')
    const {plan} = await makePlan({from: dir, netns: null, ovsRundir: null, guest: {vmSubnet: '10.10.1.0/24', vmAddresses: {}, guestConfigDir: null}, onlyDevices: [], setupScript: null, configRoot: '/nonexistent', planOut: null})
    const text = renderPlan(plan, makeStyle(false))
    expect(text).not.toMatch(CONTROL)
    expect(text).toContain('\\x1b[2J')
    const r = await cli(['diagnose', '--from', dir, '--json'])
    expect((JSON.parse(r.stdout) as {host: {hostname: string}}).host.hostname).toBe(ESC)
  })

  it('diagnose, fix and watch --from print no escape code to a pipe (the hostname would clear the screen)', async () => {
    const dir = poisoned()
    for (const args of [['diagnose', '--from', dir, '--verbose'], ['fix', '--from', dir, '--vm-subnet', '10.10.1.0/24'], ['watch', '--from', dir, '--interval', '10ms']]) {
      const r = await cli(args)
      expect(r.stdout, args[0]).not.toMatch(CONTROL)
      expect(r.stderr, args[0]).not.toMatch(CONTROL)
      expect(r.stdout + r.stderr, args[0]).toContain('PWNED')
      expect(r.maxRssKb).toBeLessThan(RSS_LIMIT_KB)
    }
  })
})

describe('fix --from with a hostile port name', () => {
  const HOSTILE = 'x\necho INJECTED\n/../../../../tmp/somewhere/evil.sh'

  function withPortName(name: string): string {
    return crafted((d) => {
      for (const sample of ['before', 'during']) {
        for (const id of ['ovsdb-port', 'ovsdb-interface']) {
          const p = join(d, sample, `${id}.out`)
          writeFileSync(p, readFileSync(p, 'utf8').replaceAll('"vhost-user1"', JSON.stringify(name)))
        }
      }
    })
  }

  it('writes the guest file inside --guest-config-dir, named by a slug and a hash, with the name escaped in it', async () => {
    const evil = '/tmp/somewhere/evil.sh'
    const existed = existsSync(evil)
    const base = join(tmp, `guest${n++}`)
    const guestDir = join(base, 'a', 'b', 'guest')
    const name = `x\necho INJECTED\n/../../../escaped.sh`
    for (const port of [HOSTILE, name]) {
      const r = await cli(['fix', '--from', withPortName(port), '--vm-subnet', '10.10.1.0/24', '--guest-config-dir', guestDir, '--json'])
      expect(r.stderr).toBe('')
      const plan = JSON.parse(r.stdout) as {guest: Array<{port: string; file: string | null}>; steps: Array<{argv: string[]; inverseArgv: string[] | null}>; alternatives: Array<{how: string}>; manual: string[]}
      const g = plan.guest.find((x) => x.port === port)!
      expect(g.file).toMatch(new RegExp(`^${guestDir}/network-config-x_echo_INJECTED__[^/]*-[0-9a-f]{8}$`))
      const doc = readFileSync(g.file!, 'utf8')
      expect(doc.split('\n')).not.toContain('echo INJECTED')
      expect(doc).toContain('x\\necho INJECTED\\n')
      // The name never reaches a command of the plan.
      expect(JSON.stringify([plan.steps, plan.alternatives, plan.manual])).not.toContain('INJECTED')
    }
    expect(existsSync(evil)).toBe(existed)
    expect(readdirSync(join(base, 'a'))).toEqual(['b'])
    expect(readdirSync(join(base, 'a', 'b'))).toEqual(['guest'])
  })

  it('the human plan shows the name on one escaped line', async () => {
    const r = await cli(['fix', '--from', withPortName(HOSTILE), '--vm-subnet', '10.10.1.0/24'])
    expect(r.stdout.split('\n').some((l) => l.trim().startsWith('echo INJECTED'))).toBe(false)
    expect(r.stdout).toContain('x\\necho INJECTED\\n/../../../../tmp/somewhere/evil.sh')
  })

  it('a link planted at the guest file name is replaced, never written through', async () => {
    const guestDir = join(tmp, `planted${n++}`)
    mkdirSync(guestDir)
    const victim = join(tmp, `victim${n++}`)
    writeFileSync(victim, 'keep me\n')
    symlinkSync(victim, join(guestDir, 'network-config-vhost-user1'))
    const r = await cli(['fix', '--from', FIXTURE, '--vm-subnet', '10.10.1.0/24', '--guest-config-dir', guestDir, '--json'])
    expect(r.code).toBe(0)
    expect(readFileSync(victim, 'utf8')).toBe('keep me\n')
    expect(lstatSync(join(guestDir, 'network-config-vhost-user1')).isFile()).toBe(true)
    expect(readFileSync(join(guestDir, 'network-config-vhost-user1'), 'utf8')).toContain('version: 2')
  })
})
