/**
 * Writes the expected .json next to each fixtures/parsers .out that has none (or all with --force).
 * Run: npx tsx test/parsers/regen-fixtures.ts [--force]. Read every new .json against its .out
 * before committing: the expectation is only as good as that review.
 */

import {readFileSync, writeFileSync} from 'node:fs'
import {ALL_PARSERS, instanceFor, listFixtures} from './fixture-cases.js'

const force = process.argv.includes('--force')
for (const fixture of listFixtures().cases) {
  if (fixture.hasJson && !force) continue
  const parser = ALL_PARSERS[fixture.baseId]
  if (parser === undefined) {
    console.error(`no parser for ${fixture.baseId}`)
    continue
  }
  const result = parser(readFileSync(fixture.outPath, 'utf8'), instanceFor(fixture.baseId))
  if (!result.ok) {
    console.error(`${fixture.baseId}--${fixture.scenario}: ${result.error}`)
    continue
  }
  if (result.warnings.length > 0) console.error(`${fixture.baseId}--${fixture.scenario} warnings: ${result.warnings.join('; ')}`)
  writeFileSync(fixture.jsonPath, `${JSON.stringify(result.value, null, 2)}\n`)
  console.log(`wrote ${fixture.jsonPath}`)
}
