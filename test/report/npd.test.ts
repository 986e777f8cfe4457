/** --format npd: node-problem-detector's custom-plugin contract for every fixture bundle. */
import {readdirSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {diagnoseBundle} from '../../src/diagnose/service.js'
import {NPD_MAX_MESSAGE, npdExitCode, npdLine, renderNpd} from '../../src/report/npd.js'

const BUNDLES = readdirSync('fixtures/bundles', {withFileTypes: true}).filter((e) => e.isDirectory()).map((e) => e.name).sort()

describe.each(BUNDLES)('--format npd of %s', (name) => {
  const d = diagnoseBundle(`fixtures/bundles/${name}`)
  it('exits 0 OK, 1 problem, 2 unknown, with one line of at most 80 characters', () => {
    const expected = d.exitCode === 0 ? 0 : d.exitCode === 3 ? 2 : 1
    expect(npdExitCode(d)).toBe(expected)
    const line = renderNpd(d)
    expect(line).not.toContain('\n')
    expect(Array.from(line).length).toBeLessThanOrEqual(NPD_MAX_MESSAGE)
    expect(line.startsWith(`${d.status}: `)).toBe(true)
  })
})

describe('npdLine', () => {
  it('cuts long text to 80 characters with an ellipsis and keeps short text', () => {
    const cut = npdLine('x'.repeat(200))
    expect(cut).toHaveLength(80)
    expect(cut.endsWith('...')).toBe(true)
    expect(npdLine('short\nline')).toBe('short line')
    expect(Array.from(npdLine('é'.repeat(100))).length).toBe(80)
  })
})
