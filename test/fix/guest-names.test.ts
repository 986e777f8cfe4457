import {describe, expect, it} from 'vitest'
import {guestFileName} from '../../src/fix/guest.js'
import {argvIsClean} from '../../src/fix/planner.js'
import {isValidOvsName} from '../../src/util/names.js'

describe('names from outside', () => {
  it.each(['vhost-user1', 'dpdk0', 'vhost-user-client-12345', 'eth0.100', 'port@1:2'])('%j is a plain OVS name', (name) => {
    expect(isValidOvsName(name)).toBe(true)
    expect(guestFileName(name)).toBe(`network-config-${name}`)
  })

  it.each(['', '.', '..', '-x', 'a/b', 'a b', 'x\necho INJECTED\n/../../../../tmp/somewhere/evil.sh', 'nul\u0000', 'esc\u001B[2J', 'a'.repeat(300), '.hidden'])(
    '%j is not: its guest file is a slug and a hash, one plain file name',
    (name) => {
      expect(isValidOvsName(name)).toBe(false)
      const file = guestFileName(name)
      expect(file).toMatch(/^network-config-[A-Za-z0-9_-]{1,40}-[0-9a-f]{8}$/)
    },
  )

  it('two names with the same slug get different files', () => {
    expect(guestFileName('a/b')).not.toBe(guestFileName('a b'))
  })

  it.each([
    [['ip', '-n', 'ns', 'addr', 'del', '10.0.0.1/24', 'dev', 'ovsbr0'], true],
    [['ovs-vsctl', '-t', '5', 'set', 'Open_vSwitch', '.', 'other_config:pmd-cpu-mask=0x6'], true],
    [['ip', 'route', 'del', '10.0.0.0/24', 'dev', 'a;b'], false],
    [['ip', 'route', 'del', '--help'], false],
    [['ip', 'addr', 'del', '1.2.3.4/24 dev eth0'], false],
    [['ip', 'link', 'set', 'dev', 'x\ny'], false],
    // A capture's JSON with a number or an object where a name belongs (fuzz seed 525938188).
    [['ip', 'route', 'del', '10.0.0.0/24', 'dev', -1], false],
    [['ip', 'route', 'del', '10.0.0.0/24', 'table', {}], false],
  ])('argv %j clean: %s', (argv, clean) => {
    expect(argvIsClean(argv as string[])).toBe(clean)
  })
})
