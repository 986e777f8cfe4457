/**
 * The persistence finder: netplan, ifupdown, NetworkManager and a named setup script, read under a
 * fixture root; each edit is exact (file, line, the line, what to put instead).
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {findPersistence} from '../../src/fix/persistence.js'
import {tempDir} from './helpers.js'

function tree(files: Record<string, string>): string {
  const root = tempDir('dd-fix-root-')
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), {recursive: true})
    writeFileSync(join(root, path), text)
  }
  return root
}

const removals = {ovsbr0: ['192.168.100.1/24', '10.10.1.1/24']}

describe('findPersistence', () => {
  it('netplan: list items and inline lists under the device', () => {
    const root = tree({
      'etc/netplan/50-ovs.yaml': 'network:\n  version: 2\n  bridges:\n    ovsbr0:\n      addresses:\n        - 192.168.100.1/24\n        - "10.10.1.1/24"\n      openvswitch: {}\n    other:\n      addresses: [10.10.1.1/24]\n',
      'etc/netplan/60-inline.yaml': 'network:\n  ethernets:\n    ovsbr0:\n      addresses: [192.168.100.1/24, 172.16.9.1/24]\n',
    })
    const edits = findPersistence({root, removals, setupScript: null})
    expect(edits.map((e) => [e.file.slice(root.length), e.line, e.text.trim(), e.replacement])).toEqual([
      ['/etc/netplan/50-ovs.yaml', 6, '- 192.168.100.1/24', null],
      ['/etc/netplan/50-ovs.yaml', 7, '- "10.10.1.1/24"', null],
      ['/etc/netplan/60-inline.yaml', 4, 'addresses: [192.168.100.1/24, 172.16.9.1/24]', '      addresses: [172.16.9.1/24]'],
    ])
  })

  it('ifupdown: the static stanza and ip addr add lines', () => {
    const root = tree({
      'etc/network/interfaces': 'auto lo\niface lo inet loopback\n\nauto ovsbr0\niface ovsbr0 inet static\n    address 192.168.100.1/24\n    up ip addr add 10.10.1.1/24 dev ovsbr0\n\niface eth0 inet dhcp\n',
    })
    const edits = findPersistence({root, removals, setupScript: null})
    expect(edits.map((e) => [e.line, e.replacement?.trim()])).toEqual([
      [5, 'iface ovsbr0 inet manual'],
      [6, '# address 192.168.100.1/24  # removed by dpdk-doctor fix'],
      [7, '# up ip addr add 10.10.1.1/24 dev ovsbr0  # removed by dpdk-doctor fix'],
    ])
  })

  it('NetworkManager keyfiles for the device', () => {
    const root = tree({
      'etc/NetworkManager/system-connections/ovsbr0.nmconnection': '[connection]\nid=ovsbr0\ninterface-name=ovsbr0\n\n[ipv4]\naddress1=192.168.100.1/24\naddress2=10.10.1.1/24,10.10.1.254\nmethod=manual\n',
      'etc/NetworkManager/system-connections/eth0.nmconnection': '[connection]\ninterface-name=eth0\n[ipv4]\naddress1=10.10.1.1/24\nmethod=manual\n',
    })
    const edits = findPersistence({root, removals, setupScript: null})
    expect(edits.map((e) => [e.file.endsWith('ovsbr0.nmconnection'), e.line, e.replacement])).toEqual([[true, 6, null], [true, 7, null], [true, 8, 'method=disabled']])
  })

  it('a setup script the user names: the exact lines, commented out', () => {
    const root = tree({'opt/setup-host.sh': '#!/bin/sh\nset -e\nip link set ovsbr0 up\nip addr add 192.168.100.1/24 dev ovsbr0\n  ip address add 10.10.1.1/24 dev ovsbr0\n# ip addr add 10.10.1.1/24 dev ovsbr0\nip addr add 172.16.0.1/24 dev enp65s0f0np0\n'})
    const script = join(root, 'opt/setup-host.sh')
    const edits = findPersistence({root: '/nonexistent', removals, setupScript: script})
    expect(edits.map((e) => [e.line, e.replacement])).toEqual([
      [4, '# ip addr add 192.168.100.1/24 dev ovsbr0  # removed by dpdk-doctor fix'],
      [5, '  # ip address add 10.10.1.1/24 dev ovsbr0  # removed by dpdk-doctor fix'],
    ])
  })

  it('nothing under an empty root', () => {
    expect(findPersistence({root: tree({}), removals, setupScript: null})).toEqual([])
  })
})
