/**
 * A private build of the CLI for tests that run it as a process: the sources compiled with tsc into
 * a temporary directory with its own package.json and a plain oclif entry script. The shared dist/
 * is rebuilt (`rm -rf dist`) by anyone running `npm run build` in this tree, which would pull the
 * CLI (and the revert timer's script) away in the middle of a test.
 */
import {execa} from 'execa'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const ROOT = new URL('../..', import.meta.url).pathname

/** Builds it and returns the path of its entry script (run it with `node`). */
export async function privateCli(): Promise<{dir: string; entry: string}> {
  const dir = mkdtempSync(join(tmpdir(), 'dd-fix-cli-'))
  const tsc = await execa(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json'), '--outDir', join(dir, 'dist')], {reject: false, stdin: 'ignore', timeout: 240_000})
  if (!existsSync(join(dir, 'dist/commands/fix.js')) || !existsSync(join(dir, 'dist/src/fix/revert-timer-main.js'))) {
    throw new Error(`tsc produced no fix command: ${String(tsc.stdout).slice(0, 2000)}`)
  }
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'))
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  mkdirSync(join(dir, 'bin'))
  // Without a manifest oclif finds the commands in dist/commands itself.
  writeFileSync(join(dir, 'bin/run.js'), "#!/usr/bin/env node\nconst {execute} = await import('@oclif/core')\nawait execute({dir: import.meta.url})\n")
  return {dir, entry: join(dir, 'bin/run.js')}
}
