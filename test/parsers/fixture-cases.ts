/** Discovery of the parser fixture pairs under fixtures/parsers/ (shared by the test and the regen script). */

import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {OTHER_PARSERS, PARSERS, type SourceParser} from '../../src/parsers/index.js'

export const FIXTURE_ROOT = new URL('../../fixtures/parsers/', import.meta.url).pathname

/** Source parsers plus the non-source ones (iperf3, ovsdb-map), all fixture-tested. */
export const ALL_PARSERS: Record<string, SourceParser> = {...PARSERS, ...OTHER_PARSERS}

/** Per-bridge sources were all captured for the lab bridge; the instance is what the collector passes. */
const FIXTURE_INSTANCE: Record<string, string> = {fdb: 'ovsbr0', 'ofctl-show': 'ovsbr0', 'ofctl-ports': 'ovsbr0'}

export function instanceFor(baseId: string): string | null {
  return FIXTURE_INSTANCE[baseId] ?? null
}

export interface FixtureCase {
  baseId: string
  scenario: string
  outPath: string
  jsonPath: string
  hasJson: boolean
}

/** Every <base>/<base>--<scenario>.out; a file whose prefix does not match its folder is reported too. */
export function listFixtures(): {cases: FixtureCase[]; misnamed: string[]} {
  const cases: FixtureCase[] = []
  const misnamed: string[] = []
  for (const dir of readdirSync(FIXTURE_ROOT, {withFileTypes: true})) {
    if (!dir.isDirectory()) continue
    for (const file of readdirSync(join(FIXTURE_ROOT, dir.name)).sort()) {
      if (!file.endsWith('.out')) continue
      const m = /^(.+?)--(.+)\.out$/.exec(file)
      if (!m || m[1] !== dir.name) {
        misnamed.push(`${dir.name}/${file}`)
        continue
      }
      const outPath = join(FIXTURE_ROOT, dir.name, file)
      const jsonPath = outPath.replace(/\.out$/, '.json')
      cases.push({baseId: dir.name, scenario: m[2] ?? '', outPath, jsonPath, hasJson: existsSync(jsonPath)})
    }
  }
  return {cases, misnamed}
}
