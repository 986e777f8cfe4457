import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {readCapture, writeCapture} from '../../src/capture/bundle.js'
import {DoctorError} from '../../src/errors.js'

const tmp = mkdtempSync(join(tmpdir(), 'dd-bundle-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))
const fixture = 'fixtures/bundles/lab-broken-huge-load'

describe('capture bundles', () => {
  it('round-trips byte for byte', () => {
    const capture = readCapture(fixture)
    const out = join(tmp, 'copy')
    writeCapture(out, capture)
    const again = readCapture(out)
    expect(again).toEqual(capture)
    expect(readFileSync(join(out, 'during/pmd-stats.out'))).toEqual(readFileSync(join(fixture, 'during/pmd-stats.out')))
    expect(readFileSync(join(out, 'load/output.json'), 'utf8')).toBe(capture.loadOutput)
  })

  it('refuses to write into a directory that is not a bundle', () => {
    const dir = join(tmp, 'not-a-bundle')
    mkdirSync(dir)
    writeFileSync(join(dir, 'important.txt'), 'keep me')
    expect(() => writeCapture(dir, readCapture(fixture))).toThrow(/not empty and not a capture bundle/)
    expect(readFileSync(join(dir, 'important.txt'), 'utf8')).toBe('keep me')
  })

  const broken = (name: string, edit: (dir: string) => void) => {
    const dir = join(tmp, name)
    cpSync(fixture, dir, {recursive: true})
    edit(dir)
    return dir
  }

  it.each([
    ['no capture.json', (d: string) => rmSync(join(d, 'capture.json')), /capture.json is missing/],
    ['capture.json not JSON', (d: string) => writeFileSync(join(d, 'capture.json'), '{nope'), /capture.json is not JSON/],
    ['wrong format', (d: string) => writeFileSync(join(d, 'capture.json'), JSON.stringify({format: 'x', version: 1, samples: []})), /format is "x"/],
    ['a sample without sources.json', (d: string) => rmSync(join(d, 'during/sources.json')), /during\/sources.json is missing/],
    ['a bad status', (d: string) => {
      const p = join(d, 'before/sources.json')
      writeFileSync(p, readFileSync(p, 'utf8').replace('"status": "ok"', '"status": "fine"'))
    }, /unknown status "fine"/],
    ['a load output outside the bundle', (d: string) => {
      const p = join(d, 'capture.json')
      writeFileSync(p, readFileSync(p, 'utf8').replace('"load/output.json"', '"../../../etc/passwd"'))
    }, /not inside load\//],
    ['a source id that is a path', (d: string) => {
      const p = join(d, 'before/sources.json')
      writeFileSync(p, readFileSync(p, 'utf8').replace('"id": "meminfo"', '"id": "../../etc/shadow"'))
    }, /without a valid id/],
  ])('says what is wrong: %s', (name, edit, message) => {
    const dir = broken(name.replace(/\W+/g, '-'), edit)
    expect(() => readCapture(dir)).toThrow(DoctorError)
    expect(() => readCapture(dir)).toThrow(message)
  })

  it('refuses a newer format version with its own code', () => {
    const dir = broken('v2', (d) => {
      const p = join(d, 'capture.json')
      writeFileSync(p, readFileSync(p, 'utf8').replace('"version": 1', '"version": 2'))
    })
    expect(() => readCapture(dir)).toThrow(expect.objectContaining({code: 'E_BUNDLE_VERSION', exit: 3}))
  })
})
