/**
 * `npm run bench:hostile` (after `npm run build`): the crafted bundles of issue 11 through the
 * built CLI, one child each, with its wall time and peak resident size (maxRSS), against the
 * targets 2 s and 200 MB. Figures, not a test: test/capture/hostile-bundle.test.ts asserts the
 * memory bound; time goes here.
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {CRAFT_FROM, craftedBundle, linkInstead} from '../helpers/crafted-bundle.js'

const FIXTURE = CRAFT_FROM
const tmp = mkdtempSync(join(tmpdir(), 'dd-hostile-bench-'))
const crafted = (edit: (dir: string) => void) => craftedBundle(tmp, edit)
const replace = linkInstead
const fifo = (path: string) => spawnSync('mkfifo', [path])

const CASES: Array<[string, () => string[]]> = [
  ['the lab bundle as it is', () => ['diagnose', '--from', FIXTURE, '--json']],
  ['ip-addr.out -> a file outside', () => ['diagnose', '--from', crafted((d) => replace(d, 'before/ip-addr.out', '/etc/hostname')), '--json']],
  ['pmd-stats.out -> /dev/zero', () => ['diagnose', '--from', crafted((d) => replace(d, 'during/pmd-stats.out', '/dev/zero')), '--json']],
  ['ovsdb-port.out a fifo', () => ['diagnose', '--from', crafted((d) => {
    rmSync(join(d, 'before/ovsdb-port.out'))
    fifo(join(d, 'before/ovsdb-port.out'))
  }), '--json']],
  ['a 300 MB file (sparse)', () => ['diagnose', '--from', crafted((d) => truncateSync(join(d, 'during/dpctl-show.out'), 300 * 1024 * 1024)), '--json']],
  ['every OVSDB table -> /dev/zero (exit 3)', () => ['diagnose', '--from', crafted((d) => {
    for (const s of ['before', 'during']) for (const id of ['ovsdb-bridge', 'ovsdb-interface', 'ovsdb-port', 'ovsdb-open_vswitch']) replace(d, `${s}/${id}.out`, '/dev/zero')
  }), '--json']],
  ['a source id of 300 characters', () => ['diagnose', '--from', crafted((d) => {
    const p = join(d, 'before/sources.json')
    const r = JSON.parse(readFileSync(p, 'utf8')) as Array<{id: string}>
    r[0]!.id = `fdb.${'a'.repeat(300)}`
    writeFileSync(p, JSON.stringify(r))
  }), '--json']],
  ['a hostname of escape codes (human)', () => ['diagnose', '--from', crafted((d) => {
    const p = join(d, 'capture.json')
    writeFileSync(p, readFileSync(p, 'utf8').replace('"lab-host0"', JSON.stringify('\u001b[2J\u001b[31mPWNED')))
  })]],
  ['fix with a hostile port name', () => ['fix', '--from', crafted((d) => {
    for (const s of ['before', 'during']) for (const id of ['ovsdb-port', 'ovsdb-interface']) {
      const p = join(d, s, `${id}.out`)
      writeFileSync(p, readFileSync(p, 'utf8').replaceAll('"vhost-user1"', JSON.stringify('x\necho INJECTED\n/../../../../tmp/somewhere/evil.sh')))
    }
  }), '--vm-subnet', '10.10.1.0/24', '--guest-config-dir', join(tmp, 'guest'), '--json']],
  ['a 60 MB one-line output (under the limit)', () => ['diagnose', '--from', crafted((d) => writeFileSync(join(d, 'during/pmd-stats.out'), 'a'.repeat(60 * 1024 * 1024))), '--json']],
  ['a 60 MB JSON array of tiny values', () => ['diagnose', '--from', crafted((d) => writeFileSync(join(d, 'before/ip-addr.out'), `[${'1,'.repeat(30 * 1024 * 1024)}1]`)), '--json']],
]

console.log(`${'case'.padEnd(44)}${'exit'.padStart(5)}${'wall s'.padStart(8)}${'maxRSS MB'.padStart(11)}  targets: 2 s, 200 MB`)
for (const [i, [name, make]] of CASES.entries()) {
  const args = make()
  const rssFile = join(tmp, `rss${i}`)
  const t0 = performance.now()
  const r = spawnSync(process.execPath, ['--import', './test/helpers/report-rss.mjs', 'bin/run.js', ...args], {
    env: {...process.env, NO_COLOR: '1', NODE_ENV: 'production', DD_RSS_FILE: rssFile}, timeout: 60_000, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'],
  })
  const wall = (performance.now() - t0) / 1000
  let rss = Number.NaN
  try {
    rss = Number(readFileSync(rssFile, 'utf8')) / 1024
  } catch {
    // The child died before its exit handler.
  }
  const flag = wall > 2 || rss > 200 ? '  over' : ''
  console.log(`${name.padEnd(44)}${String(r.status ?? r.signal).padStart(5)}${wall.toFixed(2).padStart(8)}${rss.toFixed(0).padStart(11)}${flag}`)
}
rmSync(tmp, {recursive: true, force: true})
