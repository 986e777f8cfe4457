/** The tool's name and version, as recorded in capture bundles. */
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/** The package root: found by walking up, so it works from src/ (tests) and dist/src/ alike. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) || !readFileSync(join(dir, 'package.json'), 'utf8').includes('"name": "dpdk-doctor"')) {
    const up = dirname(dir)
    if (up === dir) throw new Error('package.json of dpdk-doctor not found')
    dir = up
  }
  return dir
}

const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {version: string}

export const TOOL = {name: 'dpdk-doctor', version: pkg.version}
