/**
 * What the two-host lab's e2e files share: a scratch directory with a private XDG_RUNTIME_DIR (a
 * file's ssh control sockets, ControlPersist, are its own), a private copy of the built CLI run
 * inside lab-ops (the operator's workstation, where the hosts' management addresses are), and the
 * lab itself: built when it is down, and then torn down after unless LAB_KEEP is set.
 */
import {execa} from 'execa'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {privateCli} from './built-cli.js'
import {down} from './lab.js'
import {isTwoHostUp, OPS_NS, upTwoHost} from './two-host.js'

export interface CliRun {
  exitCode: number | null
  stdout: string
  stderr: string
  ms: number
}

export interface TwoHostE2e {
  say: (line: string) => void
  tmp: string
  runtimeDir: string
  /** The private built CLI's directory (set by setup). */
  cliDir: () => string
  /** The built CLI inside lab-ops, through the lab's network and ssh. */
  cli: (args: string[], opts?: {timeoutMs?: number}) => Promise<CliRun>
  /** For beforeAll: the runtime dir and the private CLI, then the lab when it is down. */
  setup: () => Promise<void>
  /** For afterAll: the lab down when setup built it, else `otherwise` (put the modes back); the scratch and CLI copy removed. */
  teardown: (otherwise?: () => Promise<unknown>) => Promise<void>
}

export function twoHostE2e(tag: string): TwoHostE2e {
  const say = (line: string) => process.stderr.write(`[e2e ${tag}] ${line}\n`)
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `dd-e2e-${tag.replaceAll(' ', '-')}-`))
  const runtimeDir = path.join(tmp, 'xdg')
  let cliDir = ''
  let setUp = false
  let builtHere = false
  return {
    say,
    tmp,
    runtimeDir,
    cliDir: () => cliDir,
    async cli(args, opts = {}) {
      const t0 = Date.now()
      const r = await execa('ip', ['netns', 'exec', OPS_NS, 'node', path.join(cliDir, 'bin', 'run.js'), ...args], {
        env: {...process.env, NO_COLOR: '1', NODE_ENV: 'production', XDG_RUNTIME_DIR: runtimeDir},
        reject: false,
        stdin: 'ignore',
        timeout: opts.timeoutMs ?? 150_000,
      })
      return {exitCode: r.exitCode ?? null, stdout: String(r.stdout), stderr: String(r.stderr), ms: Date.now() - t0}
    },
    async setup() {
      setUp = true
      fs.mkdirSync(runtimeDir, {mode: 0o700})
      cliDir = await privateCli(say)
      if (await isTwoHostUp()) return
      const r = await upTwoHost()
      builtHere = true
      say(`two-host lab up in ${r.ms} ms (${r.mem})`)
    },
    async teardown(otherwise) {
      try {
        // Never the lab of a file whose setup did not run (its gate said no).
        if (setUp && builtHere && !process.env.LAB_KEEP) await down()
        else if (setUp) await otherwise?.()
      } finally {
        fs.rmSync(tmp, {recursive: true, force: true})
        if (cliDir) fs.rmSync(cliDir, {recursive: true, force: true})
      }
    },
  }
}
