import {execFileSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import {MAX_MEMBER_BYTES, parseTarListing, readCaptureFrom, refusal} from '../../src/capture/sos-archive.js'
import {derivePortTable, mangleCommand, SOS_WINDOW_REASON} from '../../src/capture/sos.js'
import {analyse} from '../../src/diagnose/analyse.js'
import {parseSource} from '../../src/parsers/index.js'
import {ovsdbListTextToJson} from '../../src/parsers/ovsdb-text.js'

const KERNEL_TREE = 'fixtures/sos/hotsos-ovs2.13-kernel'
const NETNS = 'fixtures/sos/netns-iproute2-6.1'
const LAB = 'fixtures/captures/lab-ovs3.1-dpdk22.11/hugepages'
const input = {mode: 'bundle' as const, bundle: 'sos', savedTo: null}

const scratch = mkdtempSync(join(tmpdir(), 'dd-sos-test-'))
afterAll(() => rmSync(scratch, {recursive: true, force: true}))

/** A sos tree made of the lab's real outputs under sos's file names (the JSON forms parse too). */
function labSosTree(mode: 'broken' | 'fixed', extra: (root: string) => void = () => {}): string {
  const from = `${LAB}/${mode}/idle`
  const root = mkdtempSync(join(scratch, `lab-${mode}-`))
  const ovs = join(root, 'sos_commands/openvswitch')
  const net = join(root, 'sos_commands/networking')
  mkdirSync(ovs, {recursive: true})
  mkdirSync(net, {recursive: true})
  mkdirSync(join(root, 'proc'), {recursive: true})
  const files: Array<[string, string]> = [
    ['ip-addr.txt', 'networking/ip_-d_address'],
    ['ip-route.txt', 'networking/ip_route_show_table_all'],
    ['ip-link-stats.txt', 'networking/ip_-s_-d_link'],
    ['ovs-list-open_vswitch.txt', 'openvswitch/ovs-vsctl_-t_5_list_Open_vSwitch'],
    ['ovs-list-bridge.txt', 'openvswitch/ovs-vsctl_-t_5_list_bridge'],
    ['ovs-list-interface.txt', 'openvswitch/ovs-vsctl_-t_5_list_interface'],
    ['ovs-vsctl-show.txt', 'openvswitch/ovs-vsctl_-t_5_show'],
    ['pmd-stats-show.txt', 'openvswitch/ovs-appctl_dpif-netdev.pmd-stats-show'],
    ['pmd-rxq-show.txt', 'openvswitch/ovs-appctl_dpif-netdev.pmd-rxq-show'],
    ['dpctl-show.txt', 'openvswitch/ovs-appctl_dpctl.show_-s_netdev_ovs-netdev'],
    ['fdb-show.txt', 'openvswitch/ovs-appctl_fdb.show_ovsbr0'],
    ['ofctl-dump-ports.txt', 'openvswitch/ovs-ofctl_dump-ports_ovsbr0'],
    ['dpdk-devbind-status.txt', 'openvswitch/dpdk-devbind.py_--status'],
  ]
  for (const [src, dst] of files) cpSync(join(from, src), join(root, 'sos_commands', dst))
  mkdirSync(join(root, 'proc/sys/net/ipv4'), {recursive: true})
  writeFileSync(join(root, 'proc/sys/net/ipv4/ip_forward'), '1\n')
  writeFileSync(join(root, 'version.txt'), 'sosreport: 4.0\nopenvswitch: 4.0\nnetworking: 4.0\n')
  extra(root)
  return root
}

describe('sos file names', () => {
  it('mangles commands as sos does', () => {
    expect(mangleCommand('ovs-appctl dpif-netdev/pmd-stats-show')).toBe('ovs-appctl_dpif-netdev.pmd-stats-show')
    expect(mangleCommand('ovs-vsctl -t 5 get Open_vSwitch . other_config')).toBe('ovs-vsctl_-t_5_get_Open_vSwitch_._other_config')
    expect(mangleCommand('ovs-appctl dpctl/show -s netdev@ovs-netdev')).toBe('ovs-appctl_dpctl.show_-s_netdev_ovs-netdev')
    expect(mangleCommand('/usr/bin/ip -d address')).toBe('ip_-d_address')
  })

  it('finds snap-prefixed OVS commands', () => {
    const root = labSosTree('broken', (r) => {
      const dir = join(r, 'sos_commands/openvswitch')
      for (const name of readdirSync(dir).filter((n) => n.startsWith('ovs-vsctl_-t_5_list_bridge'))) {
        cpSync(join(dir, name), join(dir, `openstack-hypervisor.${name}`))
        rmSync(join(dir, name))
      }
    })
    const capture = readCapture(root)
    expect(capture.samples[0]!.sources['ovsdb-bridge']?.path).toBe('sos_commands/openvswitch/openstack-hypervisor.ovs-vsctl_-t_5_list_bridge')
  })
})

const LAB_HOST = 'fixtures/sos/lab-host0-ovs3.1'

describe('text parsers agree with the JSON parsers on the same host', () => {
  for (const [id, text, json] of [
    ['ip-addr', 'addr.txt', 'addr.json'],
    ['ip-link', 'link.txt', 'link.json'],
    ['ip-route', 'route.txt', 'route.json'],
    ['ip-route', 'route6.txt', 'route6.json'],
  ] as const) {
    it(`${id}: ${text} and ${json}`, () => {
      const fromText = parseSource(id, readFileSync(join(NETNS, text), 'utf8'))
      const fromJson = parseSource(id, readFileSync(join(NETNS, json), 'utf8'))
      expect(fromText.ok).toBe(true)
      expect(fromJson.ok && fromJson.value).not.toEqual([])
      expect(fromText).toEqual(fromJson)
    })
  }

  // The real lab host (OVS 3.1, iproute2 6.1), both forms recorded back to back by
  // fixtures/sos/lab-host0-ovs3.1/README.md's commands: the same records from either.
  for (const [id, text, json] of [
    ['ip-addr', 'addr.txt', 'addr.json'],
    ['ovsdb-open_vswitch', 'ovsdb-open_vswitch.txt', 'ovsdb-open_vswitch.json'],
    ['ovsdb-bridge', 'ovsdb-bridge.txt', 'ovsdb-bridge.json'],
    ['ovsdb-port', 'ovsdb-port.txt', 'ovsdb-port.json'],
  ] as const) {
    it(`the lab host, ${id}: ${text} and ${json}`, () => {
      const fromText = parseSource(id, readFileSync(join(LAB_HOST, text), 'utf8'))
      const fromJson = parseSource(id, readFileSync(join(LAB_HOST, json), 'utf8'))
      expect(fromText.ok).toBe(true)
      expect(fromJson.ok && fromJson.value).not.toEqual([])
      expect(fromText).toEqual(fromJson)
    })
  }

  it('the OVSDB text listing reads back to the same rows as the JSON table', () => {
    const text = readFileSync(`${KERNEL_TREE}/sos_commands/openvswitch/ovs-vsctl_-t_5_list_bridge`, 'utf8')
    const json = ovsdbListTextToJson(text)
    expect(json.ok).toBe(true)
    if (!json.ok) return
    expect(parseSource('ovsdb-bridge', json.value)).toEqual(parseSource('ovsdb-bridge', text))
    const bridges = parseSource('ovsdb-bridge', text)
    expect(bridges.ok && (bridges.value as Array<{name: string; datapathType: string}>).map((b) => `${b.name}:${b.datapathType}`)).toEqual([
      'br-data:system', 'br-int:system', 'br-ex:system', 'br-tun:system',
    ])
  })

  it('keeps quoted and escaped strings, and numbers with leading zeros as text', () => {
    const json = ovsdbListTextToJson('_uuid : 0c21bdac-958c-4f15-b058-ff4013b143e2\nname : "a \\"b\\", c"\nother_config : {datapath-id=0000000000000001, k="x=y"}\nports : []\n')
    expect(json.ok && JSON.parse(json.value).data[0]).toEqual([
      ['uuid', '0c21bdac-958c-4f15-b058-ff4013b143e2'], 'a "b", c', ['map', [['datapath-id', '0000000000000001'], ['k', 'x=y']]], ['set', []],
    ])
  })
})

describe('a sosreport directory', () => {
  it('OVS 2.13 kernel-datapath host from hotsos: no-userspace-datapath, exit 0', () => {
    const capture = readCapture(KERNEL_TREE)
    expect(capture.samples).toHaveLength(1)
    const d = analyse(capture, {input})
    expect(d.verdict.kind).toBe('no-userspace-datapath')
    expect(d.exitCode).toBe(0)
    expect(d.versions.ovs).toBe('2.13.3')
    expect(d.input.sosreport?.sosVersion).toBeNull()
    expect(d.input.sosreport?.absent).toContain('dpif-show: not collected by sos')
    expect(d.input.sosreport?.absent.some((a) => a.startsWith('pmd-stats:'))).toBe(true)
  })

  it('derives the Port table from ovs-vsctl show with the real bridge and interface uuids', () => {
    const from = `${LAB}/broken/idle`
    const derived = derivePortTable(
      readFileSync(`${from}/ovs-vsctl-show.txt`, 'utf8'),
      readFileSync(`${from}/ovs-list-bridge.txt`, 'utf8'),
      readFileSync(`${from}/ovs-list-interface.txt`, 'utf8'),
    )
    expect(derived).not.toBeNull()
    const real = parseSource('ovsdb-port', readFileSync(`${from}/ovs-list-port.txt`, 'utf8'))
    const mine = parseSource('ovsdb-port', derived!)
    const shape = (r: typeof real) => (r.ok ? (r.value as Array<{name: string; interfaceUuids: string[]}>).map((p) => `${p.name}=${p.interfaceUuids.join(',')}`).sort() : [])
    expect(shape(mine)).toEqual(shape(real))
    expect(shape(mine)).toHaveLength(3)
  })

  it("the lab's broken host: bypass findings, window rules unknown because a sosreport has one sample", () => {
    const d = analyse(readCapture(labSosTree('broken')), {input})
    const ids = d.findings.map((f) => f.ruleId)
    expect(ids).toContain('internal-port-has-ip')
    expect(ids).toContain('kernel-route-via-internal-port')
    expect(d.verdict.kind).toBe('kernel-bypass')
    const windowRules = d.rules.filter((r) => r.reason === SOS_WINDOW_REASON)
    expect(windowRules.map((r) => r.ruleId)).toContain('kernel-nic-carries-load')
    expect(d.rules.filter((r) => r.reason?.includes('needs a load window'))).toEqual([])
    expect(d.input.sosreport?.sosVersion).toBe('4.0')
    // Lifetime counters are evidence beside the verdict, per OVS port and its kernel interface.
    const counters = d.input.sosreport?.lifetimeCounters ?? []
    expect(counters.find((c) => c.name === 'dpdk0' && c.side === 'ovs')?.rxPackets).toEqual(expect.any(Number))
    expect(counters.some((c) => c.side === 'kernel')).toBe(true)
  })

  it("the lab's fixed host: no kernel-bypass finding", () => {
    const d = analyse(readCapture(labSosTree('fixed')), {input})
    expect(d.findings.filter((f) => ['internal-port-has-ip', 'kernel-route-via-internal-port'].includes(f.ruleId))).toEqual([])
    expect(d.verdict.kind).not.toBe('kernel-bypass')
  })

  it('never follows a symlink out of the tree', () => {
    const outside = join(scratch, 'outside-ip-addr')
    cpSync(`${LAB}/broken/idle/ip-addr.txt`, outside)
    const root = labSosTree('broken', (r) => {
      rmSync(join(r, 'sos_commands/networking/ip_-d_address'))
      symlinkSync(outside, join(r, 'sos_commands/networking/ip_-d_address'))
    })
    const capture = readCapture(root)
    expect(capture.samples[0]!.sources['ip-addr']).toBeUndefined()
    expect(capture.origin?.absent).toContain('ip-addr: sos_commands/networking/ip_-d_address')
  })

  it('reads a fifo in the tree as absent, without blocking (through the bundle reader)', () => {
    const root = labSosTree('broken', (r) => {
      rmSync(join(r, 'sos_commands/networking/ip_-d_address'))
      execFileSync('mkfifo', [join(r, 'sos_commands/networking/ip_-d_address')])
    })
    const capture = readCapture(root)
    expect(capture.samples[0]!.sources['ip-addr']).toBeUndefined()
    expect(capture.origin?.absent).toContain('ip-addr: sos_commands/networking/ip_-d_address')
  })

  it('takes argv and exit codes from sos_reports/manifest.json; a failed command is not parsed', () => {
    const root = labSosTree('broken', (r) => {
      mkdirSync(join(r, 'sos_reports'))
      writeFileSync(join(r, 'sos_reports/manifest.json'), JSON.stringify({
        version: '4.5.6',
        start_time: '2026-12-02 10:00:00.000000',
        components: {report: {plugins: {openvswitch: {commands: [
          {exec: 'ovs-appctl dpif-netdev/pmd-rxq-show', filepath: 'sos_commands/openvswitch/ovs-appctl_dpif-netdev.pmd-rxq-show', return_code: 2, run_time: 0.02},
          {exec: 'ovs-vsctl -t 5 list bridge', filepath: 'sos_commands/openvswitch/ovs-vsctl_-t_5_list_bridge', return_code: 0, run_time: 0.01},
        ]}}}},
      }))
    })
    const capture = readCapture(root)
    const sources = capture.samples[0]!.sources
    expect(sources['ovsdb-bridge']?.argv).toEqual(['ovs-vsctl', '-t', '5', 'list', 'bridge'])
    expect(sources['pmd-rxq']?.status).toBe('error')
    expect(sources['pmd-rxq']?.stdout).toBe('')
    expect(capture.origin?.sosVersion).toBe('4.5.6')
  })
})

describe('a real sos 4.0 report (Debian bookworm sosreport, -o openvswitch,networking, in a throwaway netns without OVS)', () => {
  const capture = readCapture('fixtures/sos/sos4.0-netns-no-ovs')
  const sources = capture.samples[0]!.sources

  it('reads the sos version and the argv and exit codes of its manifest', () => {
    expect(capture.origin?.sosVersion).toBe('4.0')
    expect(sources['ip-addr']?.argv).toEqual(['ip', '-d', 'address'])
    expect(sources['ovsdb-bridge']).toMatchObject({status: 'error', exitCode: 1, stdout: ''})
    expect(sources['ovsdb-bridge']?.stderr).toContain('database connection failed')
  })

  it("parses its ip text: the netns's veth and address", () => {
    const addrs = parseSource('ip-addr', sources['ip-addr']!.stdout)
    expect(addrs.ok).toBe(true)
    const ddv0 = addrs.ok ? (addrs.value as Array<{ifname: string; addresses: Array<{local: string; prefixlen: number}>}>).find((i) => i.ifname === 'ddv0') : undefined
    expect(ddv0?.addresses.map((a) => `${a.local}/${a.prefixlen}`)).toEqual(['10.77.0.1/24'])
    const links = parseSource('ip-link', sources['ip-link']!.stdout)
    expect(links.ok && (links.value as Array<{ifname: string; kind: string | null}>).map((l) => `${l.ifname}:${l.kind}`)).toEqual(['lo:null', 'ddv1:veth', 'ddv0:veth'])
  })

  it('OVS unreachable in the report: UNKNOWN, exit 3, never OK', () => {
    const d = analyse(capture, {input})
    expect(d.verdict.kind).toBe('unknown')
    expect(d.exitCode).toBe(3)
  })
})

describe('sosreport archives', () => {
  const tar = (args: string[], cwd: string) => execFileSync('tar', args, {cwd, stdio: ['ignore', 'ignore', 'pipe']})

  it('a .tar.xz is unpacked, read, and its temporary tree removed', async () => {
    const dir = mkdtempSync(join(scratch, 'xz-'))
    cpSync(KERNEL_TREE, join(dir, 'sosreport-compute4-2026'), {recursive: true})
    const archive = join(scratch, 'sosreport-compute4.tar.xz')
    tar(['-cJf', archive, 'sosreport-compute4-2026'], dir)
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('dpdk-doctor-sos-')).length
    const d = analyse(await readCaptureFrom(archive), {input})
    expect(d.verdict.kind).toBe('no-userspace-datapath')
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('dpdk-doctor-sos-')).length).toBe(before)
  })

  it('refuses a member whose path escapes the unpack directory', async () => {
    const dir = mkdtempSync(join(scratch, 'escape-'))
    mkdirSync(join(dir, 'sos/sos_commands'), {recursive: true})
    writeFileSync(join(dir, 'evil'), 'x')
    const archive = join(scratch, 'escape.tar.gz')
    tar(['-czf', archive, '-P', '--transform', 's,^evil$,../../evil,', 'sos', 'evil'], dir)
    await expect(readCaptureFrom(archive)).rejects.toThrow(/outside the unpack directory/)
    expect(existsSync(join(scratch, '..', 'evil'))).toBe(false)
  })

  it('refuses a symlink pointing out of the archive', async () => {
    const dir = mkdtempSync(join(scratch, 'link-'))
    mkdirSync(join(dir, 'sos/sos_commands'), {recursive: true})
    symlinkSync('/etc/passwd', join(dir, 'sos/sos_commands/passwd'))
    symlinkSync('../../../etc', join(dir, 'sos/up'))
    const archive = join(scratch, 'link.tar.gz')
    tar(['-czf', archive, 'sos'], dir)
    await expect(readCaptureFrom(archive)).rejects.toThrow(/symlink .* points outside the archive/)
  })

  it('refuses a 1 GB member (a sparse file: the archive itself is small)', async () => {
    const dir = mkdtempSync(join(scratch, 'big-'))
    mkdirSync(join(dir, 'sos/sos_commands'), {recursive: true})
    execFileSync('truncate', ['-s', '1G', join(dir, 'sos/sos_commands/big')])
    const archive = join(scratch, 'big.tar.gz')
    tar(['-S', '-czf', archive, 'sos'], dir)
    await expect(readCaptureFrom(archive)).rejects.toThrow(new RegExp(`1073741824 bytes \\(limit ${MAX_MEMBER_BYTES}\\)`))
  })

  it('refuses fifos and devices, hardlinks out and unreadable listings', () => {
    const fifo = parseTarListing('prw-r--r-- 0/0 0 2026-12-02 10:00 sos/fifo\n')
    expect(refusal(fifo.members, fifo.unreadable)).toMatch(/device, fifo or socket/)
    const dev = parseTarListing('crw-r--r-- 0/0 1,3 2026-12-02 10:00 sos/null\n')
    expect(refusal(dev.members, dev.unreadable)).toMatch(/device, fifo or socket/)
    const hard = parseTarListing('hrw-r--r-- 0/0 0 2026-12-02 10:00 sos/x link to ../etc/shadow\n')
    expect(refusal(hard.members, hard.unreadable)).toMatch(/hardlink/)
    const garbled = parseTarListing('something else\n')
    expect(refusal(garbled.members, garbled.unreadable)).toMatch(/not understood/)
    const fine = parseTarListing('drwxr-xr-x 0/0 0 2026-12-02 10:00 sos/\nlrwxrwxrwx 0/0 0 2026-12-02 10:00 sos/ip_addr -> sos_commands/networking/ip_-d_address\n')
    expect(refusal(fine.members, fine.unreadable)).toBeNull()
  })
})
