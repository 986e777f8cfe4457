import {describe, expect, it} from 'vitest'
import {canonicalPrefix, isLinkLocal, isMulticast, networkOf, parseIp, prefixContains} from '../../../rules/lib/ip.js'

describe('rules/lib/ip', () => {
  it.each([
    ['10.10.1.1', 24, '10.10.1.0/24'],
    ['192.168.100.77', 16, '192.168.0.0/16'],
    ['172.16.0.2', 32, '172.16.0.2/32'],
    ['2001:db8:1:2::1', 64, '2001:db8:1:2::/64'],
    ['fe80::a8bb:ccff:fedd:eeff', 64, 'fe80::/64'],
    ['2001:db8::1', 0, '::/0'],
  ])('networkOf(%s, %d) = %s', (address, len, expected) => {
    expect(networkOf(address, len)).toBe(expected)
  })

  it('canonicalises route destinations as ip prints them', () => {
    expect(canonicalPrefix('10.10.1.0/24')).toBe('10.10.1.0/24')
    expect(canonicalPrefix('172.16.0.2')).toBe('172.16.0.2/32')
    expect(canonicalPrefix('default')).toBe('0.0.0.0/0')
    expect(canonicalPrefix('default', 'inet6')).toBe('::/0')
    expect(canonicalPrefix('2001:0db8:0000::/48')).toBe('2001:db8::/48')
    expect(canonicalPrefix('not-an-ip')).toBeNull()
  })

  it('rejects malformed addresses', () => {
    expect(parseIp('10.10.1')).toBeNull()
    expect(parseIp('10.10.1.256')).toBeNull()
    expect(parseIp('1::2::3')).toBeNull()
    expect(parseIp('::ffff:10.0.0.1')?.family).toBe('inet6')
  })

  it('tests containment and the address classes the kernel adds by itself', () => {
    expect(prefixContains('10.10.1.0/24', '10.10.1.20')).toBe(true)
    expect(prefixContains('10.10.1.0/24', '10.10.2.20')).toBe(false)
    expect(prefixContains('10.10.1.0/24', '2001:db8::1')).toBe(false)
    expect(isLinkLocal('fe80::1')).toBe(true)
    expect(isLinkLocal('169.254.10.1')).toBe(true)
    expect(isLinkLocal('10.10.1.1')).toBe(false)
    expect(isMulticast('ff02::1')).toBe(true)
    expect(isMulticast('224.0.0.251')).toBe(true)
    expect(isMulticast('192.0.2.1')).toBe(false)
  })
})
