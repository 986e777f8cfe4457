import {describe, expect, it} from 'vitest'
import {parseEthtoolInfo} from '../../src/parsers/ethtool.js'
import {parseIpAddr, parseIpLink, parseIpRoute} from '../../src/parsers/ip.js'
import {parseIperf3} from '../../src/parsers/iperf3.js'
import {parseCmdline, parseMeminfo} from '../../src/parsers/proc.js'
import {parseSysctl} from '../../src/parsers/sysctl.js'
import {parseSysfsNet, parseSysfsStats} from '../../src/parsers/sysfs.js'
import {valueOf} from './helpers.js'

describe('ip parsers', () => {
  it('fail on empty, truncated or non-array JSON', () => {
    for (const parse of [parseIpAddr, parseIpRoute, parseIpLink]) {
      expect(parse('').ok).toBe(false)
      expect(parse('[{"ifindex":1,"ifname":"lo"').ok).toBe(false)
      expect(parse('{"ifindex":1}').ok).toBe(false)
      expect(parse('Cannot open netlink socket: Operation not permitted').ok).toBe(false)
    }
  })

  it('skip entries without their key fields, with a warning', () => {
    const result = parseIpLink('[{"ifname":"x"},{"ifindex":2,"ifname":"eth0","stats":{"rx":{"bytes":1,"packets":2},"tx":{}}}]')
    expect(valueOf(result)).toHaveLength(1)
    expect(valueOf(result)[0]?.counters).toEqual({rxBytes: 1, rxPackets: 2, rxErrors: null, rxDropped: null, txBytes: null, txPackets: null, txErrors: null, txDropped: null})
    expect(result.ok && result.warnings).toHaveLength(1)
  })

  it('prefers stats64 over stats and reads linkinfo kind', () => {
    const links = valueOf(parseIpLink('[{"ifindex":3,"ifname":"v","linkinfo":{"info_kind":"veth"},"promiscuity":2,"stats":{"rx":{"bytes":1}},"stats64":{"rx":{"bytes":5000000000}}}]'))
    expect(links[0]).toMatchObject({kind: 'veth', promiscuity: 2, counters: {rxBytes: 5000000000}})
  })

  it('defaults the route table to main and derives the family', () => {
    const routes = valueOf(parseIpRoute('[{"dst":"default","gateway":"fe80::1","dev":"eth0"},{"dst":"10.0.0.0/8","table":"100"}]'))
    expect(routes.map((r) => [r.family, r.table])).toEqual([['inet6', 'main'], ['inet', '100']])
  })
})

describe('parseSysctl', () => {
  it('reads key = value and key=value, ignores error lines with a warning', () => {
    const result = parseSysctl('net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter=2\nsysctl: cannot stat /proc/sys/net/x: No such file or directory\n')
    expect(valueOf(result)).toEqual({'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '2'})
    expect(result.ok && result.warnings).toHaveLength(1)
  })

  it('fails on empty output and garbage', () => {
    expect(parseSysctl('').ok).toBe(false)
    expect(parseSysctl('permission denied\n').ok).toBe(false)
  })
})

describe('proc parsers', () => {
  it('meminfo: missing fields are null with warnings; garbage fails', () => {
    const result = parseMeminfo('HugePages_Total:       4\n')
    expect(valueOf(result)).toEqual({hugepagesTotal: 4, hugepagesFree: null, hugepagesRsvd: null, hugepageSizeKb: null, memTotalKb: null})
    // The hugepage fields the rules read are warned about; MemTotal is not needed.
    expect(result.ok && result.warnings).toEqual(['HugePages_Free not present', 'HugePages_Rsvd not present', 'Hugepagesize not present'])
    const hugeOnly = parseMeminfo('HugePages_Total:     160\nHugePages_Free:       64\nHugePages_Rsvd:        0\nHugepagesize:       2048 kB\n')
    expect(hugeOnly.ok && hugeOnly.warnings).toEqual([])
    expect(parseMeminfo('').ok).toBe(false)
    expect(parseMeminfo('cat: /proc/meminfo: No such file').ok).toBe(false)
  })

  it('cmdline: quoted values, flags, repeated keys (last wins, warned)', () => {
    const result = parseCmdline('hugepagesz=1G hugepages=4 hugepagesz=2M hugepages=512 quiet opt="a b"\n')
    expect(valueOf(result).params).toEqual({hugepagesz: '2M', hugepages: '512', quiet: true, opt: 'a b'})
    expect(result.ok && result.warnings).toHaveLength(2)
    expect(parseCmdline('   \n').ok).toBe(false)
  })
})

describe('sysfs parsers', () => {
  it('sysfs-net: negative numa node means unknown', () => {
    expect(valueOf(parseSysfsNet('[{"ifname":"eth0","driver":"ixgbe","pciAddress":"0000:01:00.0","numaNode":-1}]'))[0]?.numaNode).toBeNull()
  })

  it('fail on wrong JSON shapes', () => {
    expect(parseSysfsNet('{}').ok).toBe(false)
    expect(parseSysfsStats('[]').ok).toBe(false)
    expect(parseSysfsStats('').ok).toBe(false)
  })
})

describe('parseEthtoolInfo', () => {
  it('reads empty values as null and fails without a driver line', () => {
    expect(valueOf(parseEthtoolInfo('driver: tun\nversion: 1.6\nfirmware-version: \nbus-info: tap\n'))).toEqual({driver: 'tun', version: '1.6', firmwareVersion: null, busInfo: 'tap'})
    expect(parseEthtoolInfo('').ok).toBe(false)
    expect(parseEthtoolInfo('Cannot get driver information: Operation not supported\n').ok).toBe(false)
  })
})

describe('parseIperf3', () => {
  it('reports an "error" key but stays ok', () => {
    const load = valueOf(parseIperf3('{"start":{},"intervals":[],"end":{},"error":"interrupt - the client has terminated"}'))
    expect(load).toMatchObject({error: 'interrupt - the client has terminated', bytes: null, intervals: []})
  })

  it('sums the intervals when the end summary is missing', () => {
    const load = valueOf(parseIperf3('{"intervals":[{"sum":{"start":0,"end":1,"bytes":10,"bits_per_second":80}},{"sum":{"start":1,"end":2,"bytes":5,"bits_per_second":40}}]}'))
    expect(load.bytes).toBe(15)
    expect(load.intervals[1]).toEqual({start: 1, end: 2, bytes: 5, bitsPerSecond: 40, retransmits: null})
  })

  it('fails on empty output, text and truncated JSON', () => {
    expect(parseIperf3('').ok).toBe(false)
    expect(parseIperf3('iperf3: error - unable to connect to server').ok).toBe(false)
    expect(parseIperf3('{"start": {"connected": [').ok).toBe(false)
  })
})
