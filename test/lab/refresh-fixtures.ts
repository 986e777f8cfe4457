/**
 * `npm run fixtures:lab`: re-capture the lab's broken and fixed hosts, idle and under load, with
 * dpdk-doctor's own `capture` (the built CLI, --netns lab-host0 --ovs-rundir <lab run dir>) into
 * fixtures/bundles/live-lab-{broken,fixed}-{idle,load}/ (those four only), then check each with
 * `diagnose --from` and bring the lab down. Exit 1 when a capture or an expectation fails.
 */
import {execa} from 'execa'
import fs from 'node:fs'
import path from 'node:path'
import {privateCli, ROOT} from './built-cli.js'
import {breakHost, down, fixHost, guestIperfArgv, HOST_NS, LAB_TARGETS, labPaths, ovsEnv, up, vmIperfArgv, type LabMode} from './lab.js'

const LOAD_SECONDS = 7
const OUT = path.join(ROOT, 'fixtures', 'bundles')

/** What `diagnose --from` must say on each bundle (kept in step with test/diagnose/live-lab-bundles.test.ts). */
const EXPECTED: Record<string, {exit: number; verdict: string}> = {
  'live-lab-broken-idle': {exit: 2, verdict: 'kernel-bypass'},
  'live-lab-broken-load': {exit: 2, verdict: 'kernel-bypass'},
  // The lab's PMD core is not isolated (warning, FIELD D5), so even the fixed host is WARNING.
  'live-lab-fixed-idle': {exit: 1, verdict: 'problems'},
  'live-lab-fixed-load': {exit: 1, verdict: 'fast-path'},
}
/**
 * `npm run fixtures:lab -- qemu`: the fixed host with the QEMU guest (LAB_VM=qemu, a Debian kernel,
 * 2 queue pairs, TSO off because userspace-tso-enable is unset) under a 2-stream iperf3 from the
 * guest, into fixtures/bundles/lab-fixed-qemu-tso-off/. Its exit code is the rules' to decide.
 */
const QEMU_BUNDLE = 'lab-fixed-qemu-tso-off'

const say = (line: string) => process.stderr.write(`[fixtures:lab] ${line}\n`)

async function run(cliDir: string, args: string[]) {
  return execa('node', [path.join(cliDir, 'bin', 'run.js'), ...args], {
    // NODE_ENV=production: oclif runs the build, never the .ts sources through tsx
    cwd: ROOT, env: {...process.env, ...ovsEnv(), NO_COLOR: '1', NODE_ENV: 'production'}, reject: false, stdin: 'ignore', timeout: 180_000,
  })
}

async function capture(cliDir: string, mode: LabMode, load: boolean): Promise<string> {
  const name = `live-lab-${mode}-${load ? 'load' : 'idle'}`
  const out = path.join(OUT, name)
  fs.rmSync(out, {recursive: true, force: true})
  // iperf3 from the VM, as a plain command line (capture --load splits it, no shell)
  const loadArgs = load ? ['--load', vmIperfArgv(LAB_TARGETS[mode], LOAD_SECONDS).join(' ')] : []
  const r = await run(cliDir, ['capture', '--out', out, '--netns', HOST_NS, '--ovs-rundir', labPaths().run, ...loadArgs])
  if (r.exitCode !== 0) throw new Error(`capture ${name} failed (exit ${r.exitCode}): ${String(r.stderr || r.stdout).slice(0, 2000)}`)
  say(`${name}: ${String(r.stdout).trim().split('\n').join(' | ')}`)
  return name
}

async function captureQemu(cliDir: string): Promise<number> {
  const out = path.join(OUT, QEMU_BUNDLE)
  try {
    await up()
    await fixHost()
    fs.rmSync(out, {recursive: true, force: true})
    const load = guestIperfArgv(LAB_TARGETS.fixed, LOAD_SECONDS, undefined, 2).join(' ')
    const r = await run(cliDir, ['capture', '--out', out, '--netns', HOST_NS, '--ovs-rundir', labPaths().run, '--load', load])
    if (r.exitCode !== 0) throw new Error(`capture ${QEMU_BUNDLE} failed (exit ${r.exitCode}): ${String(r.stderr || r.stdout).slice(0, 2000)}`)
  } finally {
    await down()
  }
  const r = await run(cliDir, ['diagnose', '--from', out, '--json'])
  const d = JSON.parse(String(r.stdout)) as {verdict: {kind: string; text: string}; findings: Array<{ruleId: string; severity: string}>}
  const ok = d.verdict.kind === 'fast-path'
  say(`${ok ? 'ok  ' : 'FAIL'} ${QEMU_BUNDLE}: exit ${r.exitCode}, ${d.verdict.kind} (want fast-path): ${d.verdict.text}; ` +
    `findings: ${d.findings.map((f) => `${f.ruleId}/${f.severity}`).join(', ') || 'none'}`)
  fs.rmSync(cliDir, {recursive: true, force: true})
  return ok ? 0 : 1
}

async function main(): Promise<number> {
  const cliDir = await privateCli(say)
  if (process.argv[2] === 'qemu') {
    process.env.LAB_VM = 'qemu'
    return captureQemu(cliDir)
  }
  const names: string[] = []
  try {
    await up()
    await breakHost()
    names.push(await capture(cliDir, 'broken', false), await capture(cliDir, 'broken', true))
    await fixHost()
    names.push(await capture(cliDir, 'fixed', false), await capture(cliDir, 'fixed', true))
  } finally {
    await down()
  }
  let failures = 0
  for (const name of names) {
    const r = await run(cliDir, ['diagnose', '--from', path.join(OUT, name), '--json'])
    const d = JSON.parse(String(r.stdout)) as {verdict: {kind: string; text: string}; findings: Array<{ruleId: string; severity: string}>}
    const want = EXPECTED[name]!
    const ok = r.exitCode === want.exit && d.verdict.kind === want.verdict
    if (!ok) failures++
    say(`${ok ? 'ok  ' : 'FAIL'} ${name}: exit ${r.exitCode} (want ${want.exit}), ${d.verdict.kind} (want ${want.verdict}): ${d.verdict.text}; ` +
      `findings: ${d.findings.map((f) => `${f.ruleId}/${f.severity}`).join(', ') || 'none'}`)
  }
  fs.rmSync(cliDir, {recursive: true, force: true})
  return failures === 0 ? 0 : 1
}

main().then((code) => {
  process.exitCode = code
}, (error: unknown) => {
  say(`failed: ${(error as Error).message}`)
  process.exitCode = 1
})
