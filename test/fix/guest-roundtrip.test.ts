/**
 * The guest file fix writes is what the lab's guest-config step reads back (the lab e2e applies it
 * to a real VM namespace): MAC, address, no gateway.
 */
import {describe, expect, it} from 'vitest'
import {networkConfig, parseVmAddresses} from '../../src/fix/guest.js'
import {parseNetworkConfig} from '../lab/guest.js'

describe('network-config v2 round trip', () => {
  it('fix\'s file parses back to one NIC with its MAC and address and no routes', () => {
    const doc = networkConfig({port: 'vhost-user1', mac: '02:00:00:00:10:10', address: '10.10.1.10', prefixlen: 24, subnet: '10.10.1.0/24'})
    expect(parseNetworkConfig(doc)).toEqual([{id: 'vmnic0', mac: '02:00:00:00:10:10', name: null, addresses: ['10.10.1.10/24'], routes: []}])
  })

  it('reads the nested form with inline addresses, gateway4 and routes', () => {
    const doc = 'network:\n  version: 2\n  ethernets:\n    eth0:\n      match:\n        name: "vm0*"\n      addresses: [10.10.1.11/24]\n      gateway4: 10.10.1.254\n      routes:\n        - to: 203.0.113.0/24\n          via: 10.10.1.253\n'
    expect(parseNetworkConfig(doc)).toEqual([{id: 'eth0', mac: null, name: 'vm0*', addresses: ['10.10.1.11/24'], routes: [{to: 'default', via: '10.10.1.254'}, {to: '203.0.113.0/24', via: '10.10.1.253'}]}])
  })

  it('--vm-address values are validated', () => {
    expect(parseVmAddresses(['vhost-user1=10.10.1.10', 'vhost-user2=10.10.1.11/24'])).toEqual({'vhost-user1': '10.10.1.10', 'vhost-user2': '10.10.1.11/24'})
    expect(() => parseVmAddresses(['vhost-user1=10.10.1.10; reboot'])).toThrow(/PORT=ADDRESS/)
    expect(() => parseVmAddresses(['10.10.1.10'])).toThrow(/PORT=ADDRESS/)
  })
})
