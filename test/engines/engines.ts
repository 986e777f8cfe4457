/**
 * Shared by the engine tests (test/engines/): the real promtool, node_exporter and ansible from
 * Debian's packages (`npm run lab -- deps` installs them). As for the lab tests: when a binary is
 * missing the tests FAIL with the reason under CI (CI=true), and are skipped outside CI with one
 * line saying why.
 */
import {execa} from 'execa'
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, beforeEach} from 'vitest'
import {isCI} from '../lab/harness.js'
import {privateCli, ROOT} from '../lab/built-cli.js'

export {ROOT}

function which(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', bin], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

/** The private CLI copies builtCli made in this file; removed after the describe block that gated. */
const cliCopies: string[] = []

/**
 * Registers the gate in the current describe block (and the removal of the CLI copies that
 * builtCli makes for it); returns whether the binaries are here.
 */
export function gateEngines(bins: string[]): boolean {
  afterAll(() => {
    for (const dir of cliCopies.splice(0)) fs.rmSync(dir, {recursive: true, force: true})
  })
  const missing = bins.filter((b) => !which(b))
  if (missing.length === 0) return true
  const reason = `${missing.join(', ')} not found (Debian: prometheus, prometheus-node-exporter, ansible-core; run \`npm run lab -- deps\`)`
  if (isCI()) {
    beforeAll(() => {
      throw new Error(`engine tests cannot run on this CI machine: ${reason}`)
    })
  } else {
    console.warn(`[engines] skipping: ${reason}`)
    beforeEach((ctx) => {
      ctx.skip(true, reason)
    })
  }
  return false
}

export interface CliRun {
  exitCode: number | null
  stdout: string
  stderr: string
}

/** The built CLI (a private copy, see privateCli) as `node .../bin/run.js`. */
export async function builtCli(): Promise<{bin: string; run: (args: string[]) => Promise<CliRun>}> {
  const dir = await privateCli()
  cliCopies.push(dir)
  const bin = path.join(dir, 'bin', 'run.js')
  return {
    bin,
    run: async (args) => {
      // NODE_ENV=production: under vitest (NODE_ENV=test) oclif would run the .ts sources through tsx.
      const r = await execa(process.execPath, [bin, ...args], {cwd: ROOT, reject: false, stdin: 'ignore', env: {NODE_ENV: 'production', NO_COLOR: '1'}})
      return {exitCode: r.exitCode ?? null, stdout: String(r.stdout), stderr: String(r.stderr)}
    },
  }
}

export const bundle = (name: string) => path.join(ROOT, 'fixtures', 'bundles', name)
