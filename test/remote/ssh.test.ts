import {execFileSync} from 'node:child_process'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {assertSshOption, classifySshFailure, CONTROL_DIR_MAX_BYTES, isValidHostName, privateControlDir, remoteArgv, remoteCommandLine, shQuote, sshArgv} from '../../src/remote/ssh.js'
import {localReaderText} from '../../src/remote/readers.js'

const settings = {configFile: '/tmp/cfg', options: ['ConnectTimeout=3'], acceptNewHostKeys: false, controlDir: '/run/user/0/dpdk-doctor-ssh'}

describe('remote words', () => {
  it('any word survives a POSIX sh unchanged (property, real sh)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({unit: 'binary', minLength: 0, maxLength: 12}).filter((w) => !w.includes('\0')), {minLength: 1, maxLength: 4}), (words) => {
        const out = execFileSync('sh', ['-c', `printf '%s\\0' ${remoteCommandLine(words)}`], {encoding: 'utf8'})
        expect(out.split('\0').slice(0, -1)).toEqual(words)
      }),
      {numRuns: 40},
    )
  })

  it('plain words stay bare, others are single-quoted', () => {
    expect(shQuote('ovs-vsctl')).toBe('ovs-vsctl')
    expect(shQuote("a'b")).toBe(`'a'\\''b'`)
    expect(shQuote('')).toBe("''")
    expect(() => shQuote('a\0b')).toThrow()
  })

  it('the ssh argv: user config and options first, the fixed options, -T, --, the host, one quoted command', () => {
    const argv = sshArgv('lab-host1', ['echo', 'a b'], settings)
    expect(argv.slice(0, 5)).toEqual(['ssh', '-F', '/tmp/cfg', '-o', 'ConnectTimeout=3'])
    expect(argv).toContain('BatchMode=yes')
    expect(argv).toContain('ControlPath=/run/user/0/dpdk-doctor-ssh/%C')
    expect(argv.slice(-4)).toEqual(['-T', '--', 'lab-host1', "echo 'a b'"])
    expect(sshArgv('h', ['true'], {...settings, acceptNewHostKeys: true})).toContain('StrictHostKeyChecking=accept-new')
  })

  it('host names: destinations yes, options and shell syntax no', () => {
    for (const ok of ['lab-host1', 'root@10.0.0.1', 'fe80::1', 'host.example.com', 'a_b']) expect(isValidHostName(ok)).toBe(true)
    for (const bad of ['-oProxyCommand=x', 'a b', 'a;b', '', 'a@b@c', '$(id)', 'h\n', '..', 'x/y']) expect(isValidHostName(bad)).toBe(false)
  })

  it('StrictHostKeyChecking=no is refused, other options pass', () => {
    expect(() => assertSshOption('StrictHostKeyChecking=no')).toThrow(/refusing/)
    expect(() => assertSshOption('stricthostkeychecking off')).toThrow(/refusing/)
    expect(assertSshOption('Port=2222')).toBe('Port=2222')
    expect(() => assertSshOption('-oProxyCommand=x')).toThrow()
  })

  it('sudo -n and the fixed environment; odd env values are refused', () => {
    expect(remoteArgv(['ovs-vsctl', 'show'], {sudo: true}, {OVS_RUNDIR: '/tmp/run'})).toEqual(['sudo', '-n', '--', 'env', expect.stringMatching(/^PATH=/), 'LC_ALL=C', 'LANG=C', 'OVS_RUNDIR=/tmp/run', 'ovs-vsctl', 'show'])
    expect(remoteArgv(['true'], {sudo: false})[0]).toBe('env')
    expect(() => remoteArgv(['true'], {sudo: false}, {OVS_RUNDIR: '/tmp/$(id)'})).toThrow()
  })
})

describe('ssh failures', () => {
  const cases: Array<[string, string]> = [
    ['ssh: connect to host 10.0.0.9 port 22: Connection refused', 'unreachable'],
    ['ssh: Could not resolve hostname nohost: Name or service not known', 'unreachable'],
    ['ssh: connect to host 10.0.0.9 port 22: Connection timed out', 'timeout'],
    ['root@h: Permission denied (publickey).', 'auth-failed'],
    ['No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\r\nHost key verification failed.', 'host-key'],
    ['@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.', 'host-key'],
  ]
  it.each(cases)('%s -> %s', (stderr, status) => {
    expect(classifySshFailure(stderr, 'h')?.status).toBe(status)
  })
  it("a remote command's own exit 255 with no ssh words is no ssh failure", () => {
    expect(classifySshFailure('my tool failed\n', 'h')).toBeNull()
  })
})

describe('remote kernel readings as the local reader gives them', () => {
  it('sysfs-stats: names without counters kept, counters as numbers, sorted', () => {
    const remote = 'I\tlo\nI\teth0\nI\tbond0\n/sys/class/net/lo/statistics/rx_bytes:10\n/sys/class/net/eth0/statistics/tx_packets:7\n/sys/class/net/eth0/statistics/rx_bytes:x\n'
    expect(JSON.parse(localReaderText('sysfs-stats', remote))).toEqual({bond0: {}, eth0: {tx_packets: 7}, lo: {rx_bytes: 10}})
  })
  it('sysfs-net: PCI address only when it is one', () => {
    const remote = 'N\teth0\tvfio-pci\t0000:65:00.0\t1\nN\tlo\t\t\t\nN\tveth0\t\tvirtual\t\n'
    expect(JSON.parse(localReaderText('sysfs-net', remote))).toEqual([
      {ifname: 'eth0', driver: 'vfio-pci', pciAddress: '0000:65:00.0', numaNode: 1},
      {ifname: 'lo', driver: null, pciAddress: null, numaNode: null},
      {ifname: 'veth0', driver: null, pciAddress: null, numaNode: null},
    ])
  })
  it('sysctl-net: key = value in the key order', () => {
    const remote = '/proc/sys/net/ipv4/conf/all/forwarding:1\n/proc/sys/net/ipv4/ip_forward:1\n'
    expect(localReaderText('sysctl-net', remote)).toBe('net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.forwarding = 1\n')
  })
  it('ps-vmm: the VMMs grep found, argv[0] matched exactly here (a shell that merely names qemu is dropped)', () => {
    const remote = 'P\t41\n/usr/bin/qemu-system-x86_64\n-smp\n4\nE\nP\t42\nbash\n/usr/bin/qemu-system-x86_64\nE\nP\t43\ncloud-hypervisor\n--cpus\nboot=8\nE\n'
    expect(JSON.parse(localReaderText('ps-vmm', remote))).toEqual([
      {pid: 41, argv: ['/usr/bin/qemu-system-x86_64', '-smp', '4']},
      {pid: 43, argv: ['cloud-hypervisor', '--cpus', 'boot=8']},
    ])
  })
})

describe('the ssh control directory', () => {
  const scratch = () => fs.mkdtempSync(path.join('/tmp', 'dd-cd-'))

  it('is $XDG_RUNTIME_DIR/dpdk-doctor-ssh, 0700, when a control socket path fits in it', () => {
    const xdg = scratch()
    const dir = privateControlDir({XDG_RUNTIME_DIR: xdg})
    expect(dir).toBe(path.join(xdg, 'dpdk-doctor-ssh'))
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
    fs.rmSync(xdg, {recursive: true, force: true})
  })

  it('a runtime dir too long for ssh\'s control socket (107 bytes) gives way to a short one', () => {
    const long = path.join(scratch(), 'x'.repeat(40))
    fs.mkdirSync(long, {recursive: true})
    expect(Buffer.byteLength(path.join(long, 'dpdk-doctor-ssh'))).toBeGreaterThan(CONTROL_DIR_MAX_BYTES)
    const dir = privateControlDir({XDG_RUNTIME_DIR: long})
    expect(dir.startsWith(long)).toBe(false)
    // the socket ssh binds: <dir>/<%C, 40 hex>.<16 random>
    expect(Buffer.byteLength(path.join(dir, 'f'.repeat(40) + '.' + 'r'.repeat(16)))).toBeLessThanOrEqual(107)
  })

  it('DPDK_DOCTOR_SSH_CONTROL_DIR too long is refused with why, not left to fail in ssh', () => {
    const long = path.join(os.tmpdir(), 'y'.repeat(60))
    expect(() => privateControlDir({DPDK_DOCTOR_SSH_CONTROL_DIR: long})).toThrow(/too long|107 bytes/)
    expect(fs.existsSync(long)).toBe(false)
  })
})
