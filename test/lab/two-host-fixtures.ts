/**
 * `npx tsx test/lab/two-host-fixtures.ts`: real two-host bundle pairs from the two-host lab, taken
 * with the existing single-host `capture` run inside each host (its netns, its UTS namespace and
 * /etc/netns machine-id, its OVS_RUNDIR), both during the same capped iperf3 from VM0 to VM1:
 * host0's capture runs the load (--load), host1's window (--during) encloses it. Writes
 * fixtures/two-host/<scenario>/{host0,host1,hosts.json} (beside fixtures/bundles/, whose every directory is one bundle). Leaves the lab as it found it
 * only if it built it (then down).
 */
import {execa} from 'execa'
import fs from 'node:fs'
import path from 'node:path'
import {privateCli, ROOT} from './built-cli.js'
import {down, vmIperfArgv} from './lab.js'
import {HOST_NAMES, hostOvsEnv, hostPaths, isTwoHostUp, setModes, twoHostTarget, upTwoHost, type HostModes} from './two-host.js'

const LOAD_SECONDS = 8
const BANDWIDTH = '100M'
const OUT = path.join(ROOT, 'fixtures', 'two-host')
const SCENARIOS: Array<{name: string; modes: HostModes}> = [
  {name: 'broken-host1-load', modes: ['fixed', 'broken']},
  {name: 'fixed-load', modes: ['fixed', 'fixed']},
]
const say = (line: string) => process.stderr.write(`[two-host-fixtures] ${line}\n`)

function captureIn(cliDir: string, i: 0 | 1, out: string, window: string[]) {
  const p = hostPaths(i)
  return execa('nsenter', [`--uts=${p.uts}`, '--', 'ip', 'netns', 'exec', HOST_NAMES[i],
    'node', path.join(cliDir, 'bin', 'run.js'), 'capture', '--out', out, '--ovs-rundir', p.run, ...window], {
    cwd: ROOT, env: {...process.env, ...hostOvsEnv(i), NO_COLOR: '1', NODE_ENV: 'production'}, reject: false, stdin: 'ignore', timeout: 180_000,
  })
}

async function main(): Promise<number> {
  const cliDir = await privateCli(say)
  const builtHere = !(await isTwoHostUp())
  try {
    if (builtHere) await upTwoHost()
    for (const s of SCENARIOS) {
      const {target} = await setModes(s.modes)
      const dir = path.join(OUT, s.name)
      fs.rmSync(dir, {recursive: true, force: true})
      fs.mkdirSync(dir, {recursive: true})
      const load = vmIperfArgv(target, LOAD_SECONDS, BANDWIDTH).join(' ')
      // host1's window opens first and closes after host0's load has ended
      const host1 = captureIn(cliDir, 1, path.join(dir, 'host1'), ['--during', `${LOAD_SECONDS + 8}s`])
      await new Promise((r) => setTimeout(r, 500))
      const host0 = captureIn(cliDir, 0, path.join(dir, 'host0'), ['--load', load])
      const [r0, r1] = await Promise.all([host0, host1])
      for (const [i, r] of [[0, r0], [1, r1]] as const) {
        if (r.exitCode !== 0) throw new Error(`capture of host${i} (${s.name}) failed (exit ${r.exitCode}): ${String(r.stderr || r.stdout).slice(0, 2000)}`)
        say(`${s.name}/host${i}: ${String(r.stdout).trim().split('\n').join(' | ')}`)
      }
      const hosts = {
        format: 'dpdk-doctor/hosts@1',
        // a host's name is its directory (diagnose --from DIR requires it); the bundles' hostnames are lab-host0/1
        hosts: HOST_NAMES.map((_, i) => ({name: `host${i}`, dir: `host${i}`, status: 'ok', reason: null, clock: null})),
        load: load,
        lab: {modes: {host0: s.modes[0], host1: s.modes[1]}, how: 'single-host capture run inside each host namespace; host0 ran --load, host1 --during enclosing it'},
      }
      fs.writeFileSync(path.join(dir, 'hosts.json'), JSON.stringify(hosts, null, 2) + '\n')
    }
  } finally {
    if (builtHere) await down()
    fs.rmSync(cliDir, {recursive: true, force: true})
  }
  return 0
}

main().then((code) => {
  process.exitCode = code
}, (error: unknown) => {
  say(`failed: ${(error as Error).message}`)
  process.exitCode = 1
})
