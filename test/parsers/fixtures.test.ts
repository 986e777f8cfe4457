import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {PARSERS} from '../../src/parsers/index.js'
import {ALL_PARSERS, instanceFor, listFixtures} from './fixture-cases.js'

const {cases, misnamed} = listFixtures()

describe('parser fixtures', () => {
  it('finds fixtures named <base>/<base>--<scenario>.out only', () => {
    expect(misnamed).toEqual([])
    expect(cases.length).toBeGreaterThan(0)
  })

  it('has at least one fixture for every registered parser', () => {
    const covered = new Set(cases.map((c) => c.baseId))
    const missing = Object.keys(ALL_PARSERS).filter((id) => !covered.has(id))
    expect(missing).toEqual([])
  })

  it('has a parser for every fixture folder', () => {
    const unknown = [...new Set(cases.map((c) => c.baseId))].filter((id) => ALL_PARSERS[id] === undefined)
    expect(unknown).toEqual([])
  })

  it('has an expected .json for every .out', () => {
    expect(cases.filter((c) => !c.hasJson).map((c) => `${c.baseId}--${c.scenario}`)).toEqual([])
  })

  it('registers exactly the snapshot source ids', () => {
    expect(Object.keys(PARSERS).sort()).toEqual(
      [
        'ip-addr', 'ip-route', 'ip-link', 'sysctl-net', 'sysfs-net', 'sysfs-stats', 'ovsdb-open_vswitch',
        'ovsdb-bridge', 'ovsdb-port', 'ovsdb-interface', 'dpif-show', 'dpctl-show', 'pmd-stats', 'pmd-perf',
        'pmd-rxq', 'fdb', 'ofctl-show', 'ofctl-ports', 'devbind', 'ethtool-i', 'meminfo', 'cmdline', 'ps-vmm',
      ].sort(),
    )
  })

  for (const fixture of cases.filter((c) => c.hasJson)) {
    it(`${fixture.baseId}--${fixture.scenario}`, () => {
      const parser = ALL_PARSERS[fixture.baseId]
      expect(parser, `no parser for ${fixture.baseId}`).toBeDefined()
      const result = parser!(readFileSync(fixture.outPath, 'utf8'), instanceFor(fixture.baseId))
      if (!result.ok) expect.fail(`parse failed: ${result.error}`)
      const expected: unknown = JSON.parse(readFileSync(fixture.jsonPath, 'utf8'))
      expect(result.value).toStrictEqual(expected)
    })
  }
})
