import {describe, expect, it} from 'vitest'
import {parseBridges, parseInterfaces, parseOpenVswitch, parseOvsdbMap, parseOvsdbTable, parsePorts} from '../../src/parsers/ovsdb.js'
import {valueOf} from './helpers.js'

describe('parseOvsdbMap', () => {
  it('keeps commas and "=" inside quoted values', () => {
    expect(valueOf(parseOvsdbMap('{bus_info="bus_name=pci, vendor_id=15b3, device_id=1017", n_rxq="2"}'))).toEqual({
      bus_info: 'bus_name=pci, vendor_id=15b3, device_id=1017',
      n_rxq: '2',
    })
  })

  it('unescapes backslash escapes in keys and values', () => {
    expect(valueOf(parseOvsdbMap('{"a b"="say \\"hi\\"", c="back\\\\slash", d="tab\\there", e="\\u0041"}'))).toEqual({
      'a b': 'say "hi"',
      c: 'back\\slash',
      d: 'tab\there',
      e: 'A',
    })
  })

  it('reads bare words, including "=" in a bare value, and tolerates blanks and newlines', () => {
    expect(valueOf(parseOvsdbMap('{ a=b ,\n c = d=e , f=0x3c}\n'))).toEqual({a: 'b', c: 'd=e', f: '0x3c'})
  })

  it('reads an empty map and an empty quoted value', () => {
    expect(valueOf(parseOvsdbMap('{}'))).toEqual({})
    expect(valueOf(parseOvsdbMap('{firmware_version=""}'))).toEqual({firmware_version: ''})
  })

  it('fails, without throwing, on malformed or truncated maps', () => {
    for (const text of [
      '',
      'rx_packets',
      '138',
      '{a=b',
      '{a="b, c}',
      '{a}',
      '{=b}',
      '{a=b} trailing',
      '{a="\\q"}',
      '{a="\\u12"}',
      '{a=b,',
      '{a="b"c}',
    ]) {
      const result = parseOvsdbMap(text)
      expect(result.ok, text).toBe(false)
    }
  })
})

const table = (headings: string[], ...rows: unknown[][]): string => JSON.stringify({data: rows, headings})

describe('parseOvsdbTable', () => {
  it('converts uuid, set and map cells; a one-element set may be a bare atom', () => {
    const rows = valueOf(
      parseOvsdbTable(
        table(
          ['_uuid', 'interfaces', 'trunks', 'other_config', 'tag'],
          [['uuid', 'u1'], ['uuid', 'i1'], ['set', [10, 20]], ['map', [['k', 'v'], ['n', 3]]], ['set', []]],
        ),
      ),
    )
    expect(rows).toEqual([{_uuid: 'u1', interfaces: 'i1', trunks: [10, 20], other_config: {k: 'v', n: 3}, tag: []}])
  })

  it('fails on non-JSON, wrong shapes and empty output', () => {
    expect(parseOvsdbTable('').ok).toBe(false)
    expect(parseOvsdbTable('ovs-vsctl: unix:/var/run/openvswitch/db.sock: database connection failed').ok).toBe(false)
    expect(parseOvsdbTable('[1,2]').ok).toBe(false)
    expect(parseOvsdbTable('{"data":[]}').ok).toBe(false)
    expect(parseOvsdbTable('{"data":[[["uuid","x"]]],"headings":["_uuid"]').ok).toBe(false)
  })

  it('skips rows whose cell count does not match the headings, with a warning', () => {
    const result = parseOvsdbTable(table(['_uuid', 'name'], [['uuid', 'a'], 'x'], [['uuid', 'b']]))
    expect(valueOf(result)).toHaveLength(1)
    expect(result.ok && result.warnings).toHaveLength(1)
  })

  it('drops cells that are not OVSDB JSON, with a warning', () => {
    const result = parseOvsdbTable(table(['_uuid', 'bad'], [['uuid', 'a'], {nested: true}]))
    expect(valueOf(result)).toEqual([{_uuid: 'a'}])
    expect(result.ok && result.warnings[0]).toContain('bad')
  })
})

describe('typed OVSDB views', () => {
  it('reads optional columns as null when empty and as the value when a bare atom or one-element set', () => {
    const ifaces = valueOf(
      parseInterfaces(
        table(
          ['_uuid', 'name', 'type', 'ofport', 'error', 'mtu', 'mtu_request', 'link_speed', 'statistics', 'status'],
          [['uuid', 'a'], 'dpdk1', 'dpdk', -1, 'could not open network device dpdk1 (No such device)', ['set', []], ['set', [9000]], 0,
            ['map', [['rx_packets', 5], ['weird', 'text']]], ['map', [['n_rxq', '2']]]],
          [['uuid', 'b'], 'eth5', '', ['set', [4]], ['set', []], 1500, ['set', []], ['set', []], ['map', []], ['map', []]],
        ),
      ),
    )
    expect(ifaces[0]).toMatchObject({type: 'dpdk', ofport: -1, error: 'could not open network device dpdk1 (No such device)', mtu: null, mtuRequest: 9000, linkSpeed: 0, statistics: {rx_packets: 5}, status: {n_rxq: '2'}})
    expect(ifaces[1]).toMatchObject({type: '', ofport: 4, error: null, mtu: 1500, mtuRequest: null, linkSpeed: null, statistics: {}, options: {}})
  })

  it('skips rows without a name, with a warning', () => {
    const result = parseBridges(table(['_uuid', 'name'], [['uuid', 'a'], ['set', []]], [['uuid', 'b'], 'br0']))
    expect(valueOf(result).map((b) => b.name)).toEqual(['br0'])
    expect(result.ok && result.warnings).toHaveLength(1)
  })

  it('defaults datapath_type to "" and reads a bare single port uuid', () => {
    const bridges = valueOf(parseBridges(table(['_uuid', 'name', 'ports'], [['uuid', 'a'], 'br0', ['uuid', 'p1']])))
    expect(bridges[0]).toMatchObject({datapathType: '', portUuids: ['p1'], otherConfig: {}})
  })

  it('reads tag and trunks of a port', () => {
    const ports = valueOf(parsePorts(table(['_uuid', 'name', 'tag', 'trunks', 'bond_mode'], [['uuid', 'a'], 'p', 100, 5, 'active-backup'])))
    expect(ports[0]).toMatchObject({tag: 100, trunks: [5], bondMode: 'active-backup'})
  })

  it('leaves dpdk_initialized null when the column is absent', () => {
    const rows = valueOf(parseOpenVswitch(table(['_uuid', 'ovs_version'], [['uuid', 'a'], '2.6.1'])))
    expect(rows[0]).toMatchObject({ovsVersion: '2.6.1', dpdkVersion: null, dpdkInitialized: null, bridgeUuids: []})
  })
})
