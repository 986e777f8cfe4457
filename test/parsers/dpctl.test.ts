import {describe, expect, it} from 'vitest'
import {parseDpctlShow, parseDpifShow} from '../../src/parsers/dpctl.js'
import {valueOf} from './helpers.js'

describe('parseDpctlShow', () => {
  it('reads "?" counters as null, not 0', () => {
    const show = valueOf(
      parseDpctlShow(
        'netdev@ovs-netdev:\n  port 3: vhost-user1 (dpdkvhostuserclient: mtu=1500)\n    RX packets:5 errors:? dropped:0 overruns:? frame:?\n    TX packets:? errors:? dropped:? aborted:? carrier:?\n    collisions:?\n    RX bytes:336  TX bytes:?\n',
      ),
    )
    expect(show.datapaths[0]?.ports[0]?.stats).toEqual({
      rxPackets: 5, rxBytes: 336, rxErrors: null, rxDropped: 0, txPackets: null, txBytes: null, txErrors: null, txDropped: null,
    })
  })

  it('reads a port without parentheses as type system, and bytes followed by a human size', () => {
    const show = valueOf(parseDpctlShow('system@ovs-system:\n  port 4: eth5\n    RX bytes:8639236 (8.2 MiB)  TX bytes:3531201285 (3.3 GiB)\n'))
    expect(show.datapaths[0]?.ports[0]).toMatchObject({portNo: 4, name: 'eth5', type: 'system', config: {}, stats: {rxBytes: 8639236, txBytes: 3531201285}})
  })

  it('keeps bare commas inside a config value (vdev devargs)', () => {
    const show = valueOf(parseDpctlShow('netdev@ovs-netdev:\n  port 2: dpdk0 (dpdk: dpdk-devargs=net_af_packet0,iface=veth0, n_rxq=2)\n'))
    expect(show.datapaths[0]?.ports[0]?.config).toEqual({'dpdk-devargs': 'net_af_packet0,iface=veth0', n_rxq: '2'})
  })

  it('leaves stats null when dpctl/show ran without -s, and reads several datapaths', () => {
    const show = valueOf(parseDpctlShow('system@ovs-system:\n  lookups: hit:1 missed:2 lost:3\n  flows: 0\n  port 0: ovs-system (internal)\nnetdev@ovs-netdev:\n  port 0: ovs-netdev (tap)\n'))
    expect(show.datapaths.map((d) => [d.name, d.lookups, d.ports[0]?.type, d.ports[0]?.stats])).toEqual([
      ['system@ovs-system', {hit: 1, missed: 2, lost: 3}, 'internal', null],
      ['netdev@ovs-netdev', null, 'tap', null],
    ])
  })

  it('fails on empty output and garbage without throwing', () => {
    expect(parseDpctlShow('').ok).toBe(false)
    expect(parseDpctlShow('2024-01-01T00:00:00Z|00001|unixctl|WARN|failed to connect\n').ok).toBe(false)
  })
})

describe('parseDpifShow', () => {
  it('reads both port numbers, "(system)", and "none" as null', () => {
    const show = valueOf(parseDpifShow('netdev@ovs-netdev: hit:10 missed:2\n  br0:\n    br0 65534/1: (tap)\n    eth5 4/11: (system)\n    patch-br1 5/none: (patch: peer=patch-br0)\n'))
    expect(show.bridges[0]?.ports).toEqual([
      {name: 'br0', ofport: 65534, odpPort: 1, type: 'tap', config: {}},
      {name: 'eth5', ofport: 4, odpPort: 11, type: 'system', config: {}},
      {name: 'patch-br1', ofport: 5, odpPort: null, type: 'patch', config: {peer: 'patch-br0'}},
    ])
    expect(show.datapaths).toEqual([{name: 'netdev@ovs-netdev', hit: 10, missed: 2}])
  })

  it('fails on empty output and garbage', () => {
    expect(parseDpifShow('').ok).toBe(false)
    expect(parseDpifShow('no such command\n').ok).toBe(false)
  })
})
