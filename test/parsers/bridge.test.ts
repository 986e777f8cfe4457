import {describe, expect, it} from 'vitest'
import {parseFdbShow} from '../../src/parsers/fdb.js'
import {parseOfctlPorts, parseOfctlShow} from '../../src/parsers/ofctl.js'
import {valueOf} from './helpers.js'

describe('parseFdbShow', () => {
  it('reads an empty table (header only) as no entries', () => {
    expect(valueOf(parseFdbShow(' port  VLAN  MAC                Age\n', 'br0'))).toEqual([])
  })

  it('fails on empty output and on text without the header', () => {
    expect(parseFdbShow('', 'br0').ok).toBe(false)
    expect(parseFdbShow('no such bridge\n', 'br0').ok).toBe(false)
    expect(parseFdbShow('[{"port": 1', 'br0').ok).toBe(false)
  })

  it('warns about rows it cannot read instead of failing', () => {
    const result = parseFdbShow(' port  VLAN  MAC                Age\n    1     0  not-a-mac    3\n    2     0  52:54:00:02:D9:01    3\n', 'br0')
    expect(valueOf(result)).toEqual([{bridge: 'br0', port: '2', vlan: 0, mac: '52:54:00:02:d9:01', age: 3, static: false}])
    expect(result.ok && result.warnings).toHaveLength(1)
  })

  it('maps JSON port 65534 to LOCAL and static entries to age null', () => {
    expect(valueOf(parseFdbShow('[{"port":65534,"vlan":0,"mac":"0c:42:a1:67:d5:e7","static":true}]', null))).toEqual([
      {bridge: null, port: 'LOCAL', vlan: 0, mac: '0c:42:a1:67:d5:e7', age: null, static: true},
    ])
  })
})

describe('parseOfctlShow', () => {
  it('reads port numbers, LOCAL, PORT_DOWN and LINK_DOWN', () => {
    const ports = valueOf(
      parseOfctlShow(
        'OFPT_FEATURES_REPLY (xid=0x2): dpid:0000000000000001\n 7(a-very-long-port-name-x): addr:AA:BB:CC:DD:EE:FF\n     config:     PORT_DOWN\n     state:      LINK_DOWN LIVE\n LOCAL(br0): addr:02:00:00:00:00:01\n     config:     0\n     state:      0\n',
      ),
    )
    expect(ports).toEqual([
      {port: 7, name: 'a-very-long-port-name-x', mac: 'aa:bb:cc:dd:ee:ff', linkDown: true, portDown: true},
      {port: 'LOCAL', name: 'br0', mac: '02:00:00:00:00:01', linkDown: false, portDown: false},
    ])
  })

  it('fails on empty output and garbage', () => {
    expect(parseOfctlShow('').ok).toBe(false)
    expect(parseOfctlShow('ovs-ofctl: br9 is not a bridge or a socket\n').ok).toBe(false)
  })
})

describe('parseOfctlPorts', () => {
  it('reads "?" as null, tolerates padding and duration lines', () => {
    const stats = valueOf(parseOfctlPorts('OFPST_PORT reply (OF1.3) (xid=0x2): 1 ports\n  port  12: rx pkts=?, bytes=?, drop=0, errs=?, frame=?, over=?, crc=?\n           tx pkts=3, bytes=180, drop=?, errs=?, coll=?\n           duration=1.5s\n'))
    expect(stats).toEqual([{port: 12, rx: {packets: null, bytes: null, drop: 0, errs: null}, tx: {packets: 3, bytes: 180, drop: null, errs: null}}])
  })

  it('skips ports printed by name, with a warning', () => {
    const result = parseOfctlPorts('OFPST_PORT reply (xid=0x2): 1 ports\n  port "dpdk0": rx pkts=1, bytes=2, drop=0, errs=0, frame=0, over=0, crc=0\n           tx pkts=1, bytes=2, drop=0, errs=0, coll=0\n')
    expect(valueOf(result)).toEqual([])
    expect(result.ok && result.warnings).toHaveLength(1)
  })

  it('fails on empty output and garbage', () => {
    expect(parseOfctlPorts('').ok).toBe(false)
    expect(parseOfctlPorts('ovs-ofctl: ovsbr0: failed to connect to socket (Connection refused)\n').ok).toBe(false)
  })
})
