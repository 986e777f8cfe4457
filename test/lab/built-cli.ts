/**
 * The built CLI for lab tests and the fixture refresh: a private copy of bin/ + dist/, so that a
 * rebuild of the shared dist/ (`rm -rf dist` in `npm run build`) cannot pull it away mid-run.
 */
import {execa} from 'execa'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function newestMtime(dir: string): number {
  let newest = 0
  for (const e of fs.readdirSync(dir, {withFileTypes: true, recursive: true})) {
    if (e.isFile() && /\.tsx?$/.test(e.name)) newest = Math.max(newest, fs.statSync(path.join(e.parentPath, e.name)).mtimeMs)
  }
  return newest
}

/**
 * A private copy of the built CLI (bin/, dist/, package.json, the oclif manifest; node_modules
 * linked), so that a rebuild in the shared tree (`rm -rf dist`) cannot pull it away mid-run.
 * `npm test` builds first and that build is used; when dist/ is missing, half-built or older than
 * the sources, the sources are copied and built there with `npm run build` (never the shared dist/).
 */
export async function privateCli(say: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<string> {
  const diagnoseJs = path.join(ROOT, 'dist', 'commands', 'diagnose.js')
  const manifest = path.join(ROOT, 'oclif.manifest.json')
  const sourcesAt = Math.max(...['src', 'commands', 'rules'].map((d) => newestMtime(path.join(ROOT, d))))
  // Complete when the manifest (written last by `npm run build`) is newer than dist/.
  const usable = () => fs.existsSync(diagnoseJs) && fs.existsSync(manifest) &&
    fs.statSync(manifest).mtimeMs >= fs.statSync(diagnoseJs).mtimeMs && fs.statSync(diagnoseJs).mtimeMs >= sourcesAt
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-e2e-cli-'))
  fs.cpSync(path.join(ROOT, 'bin'), path.join(dir, 'bin'), {recursive: true})
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'))
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'))
  try {
    if (!usable()) throw new Error('no complete, current build in dist/')
    fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), {recursive: true})
    fs.copyFileSync(manifest, path.join(dir, 'oclif.manifest.json'))
    if (!usable()) throw new Error('dist/ changed while copying')
    return dir
  } catch (error) {
    // Build a private copy of the sources with the project's own build script (tsc, the esbuild
    // fast-path bundle, the oclif manifest), never into the shared dist/.
    say(`${(error as Error).message}: building the sources in ${dir}`)
    fs.rmSync(path.join(dir, 'dist'), {recursive: true, force: true})
    fs.rmSync(path.join(dir, 'oclif.manifest.json'), {force: true})
    for (const d of ['commands', 'src', 'rules']) fs.cpSync(path.join(ROOT, d), path.join(dir, d), {recursive: true})
    fs.copyFileSync(path.join(ROOT, 'tsconfig.json'), path.join(dir, 'tsconfig.json'))
    const build = await execa('npm', ['run', 'build'], {cwd: dir, reject: false, stdin: 'ignore', timeout: 240_000, all: true})
    if (build.exitCode !== 0) throw new Error(`npm run build of the current sources failed (exit ${build.exitCode}):\n${String(build.all).slice(-3000)}`)
    return dir
  }
}
