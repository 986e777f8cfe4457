import {describe, expect, it} from 'vitest'
import {DoctorError} from '../../src/errors.js'
import {assertIfname, assertNetns, isValidIfname} from '../../src/util/names.js'

describe('interface and bridge names', () => {
  it.each(['ovsbr0', 'enp65s0f0np0', 'dpdk0-veth', 'a', 'eth0.100', 'abcdefghijklmno'])('accepts %s', (name) => {
    expect(isValidIfname(name)).toBe(true)
    expect(assertIfname(name)).toBe(name)
  })

  it.each([
    ['abcdefghijklmnop', '16 characters'],
    ['eth0/1', 'slash'],
    ['a:b', 'colon (ip reads dev:label)'],
    ['-x', 'leading dash reads as an option'],
    ['', 'empty'],
    ['.', 'dot'],
    ['..', 'dot dot'],
    ['eth 0', 'space'],
    ['eth0\n', 'newline'],
    ['ovsbr0;rm', 'semicolon'],
    ['ethé', 'unicode'],
  ])('refuses %j (%s)', (name) => {
    expect(isValidIfname(name)).toBe(false)
    expect(() => assertIfname(name)).toThrow(DoctorError)
  })

  it('says why a 16-byte name is refused', () => {
    expect(() => assertIfname('abcdefghijklmnop')).toThrow(/longer than 15 bytes \(16\)/)
  })

  it('validates namespace names', () => {
    expect(assertNetns('lab-host0')).toBe('lab-host0')
    expect(() => assertNetns('../etc')).toThrow(DoctorError)
    expect(() => assertNetns('-n')).toThrow(DoctorError)
  })
})
