/**
 * The two-host lab (issue 14): `npm run lab -- up --hosts 2` (or LAB_HOSTS=2). lab-host0/lab-vm0 are
 * the single-host lab's, built by lab.ts up() unchanged; lab-host1 becomes a second full OVS-DPDK
 * host, and each host runs Debian's sshd on a management network:
 *
 *   lab-vm0   : testpmd VM, vm0eth0 02:00:00:00:10:10   <-vhost-user->  lab-host0 (OVS 3.1/DPDK, PMD on CPU 1)
 *   lab-vm1   : testpmd VM, vm1eth0 02:00:00:00:20:20   <-vhost-user->  lab-host1 (OVS 3.1/DPDK, PMD on CPU 0)
 *   lab-host0 : dpdk0 (net_af_packet on dpdk0-veth), enp65s0f0np0 172.16.0.1, eno1 192.0.2.10 (sshd)
 *   lab-host1 : dpdk0 (net_af_packet on dpdk0-veth), enp65s0f0np0 172.16.0.2, eno1 192.0.2.11 (sshd)
 *   lab-wire  : bridge wire0 joining both hosts' dpdk0-veth and enp65s0f0np0
 *   lab-ops   : bridge mgmt0 192.0.2.1 joining both eno1: where the ssh client (and dpdk-doctor --host) runs
 *
 * Where ssh runs: the tests run in the root namespace, which the lab never configures. The ssh
 * client runs inside lab-ops (`ip netns exec lab-ops ssh -F <config> lab-host1 ...`), an
 * operator's workstation on the hosts' management network. So ssh makes a real TCP connection to
 * a real sshd with its own ConnectTimeout, and a stopped sshd is the genuine "Connection refused"
 * (a ProxyCommand or unix-socket relay would turn every failure into the relay's own error).
 *
 * Each host's sshd runs in its host namespace (and a UTS namespace named after it), with a host key
 * and a client key made at `up` under $LAB_DIR/ssh (0700, keys 0600). sshd_config's SetEnv gives
 * every session the host's OVS_RUNDIR/LOGDIR/DBDIR/SYSCONFDIR, so a plain `ssh lab-host1 ovs-vsctl
 * show` talks to host1's OVS. `ip netns exec` bind-mounts /etc/netns/<ns>/machine-id over
 * /etc/machine-id, so each host has its own machine-id, as two real hosts do.
 *
 * Addressing (per host i, peer j; VM0 always sends to VM1):
 *   fixed i : ovsbr0 no IP; VM i 10.10.1.10 / 10.10.1.20 (pure L2 through dpdk0).
 *   broken i: the seed's: ovsbr0 192.168.10i.1/24, VM i 192.168.10i.x default via it, and the
 *             host's kernel NIC routes the VM's traffic: enp65s0f0np0 gets 10.10.1.(i+1)/24 on the
 *             VM network; a fixed peer's VM routes 192.168.10i.0/24 via it; a broken peer's kernel
 *             routes it via the underlay (172.16.0.(i+1)), as the seed's remote did.
 *
 * CPU (2 cores for two PMDs and two busy-polling testpmds): host0 as today (OVS lcore CPU 0, PMD
 * CPU 1, testpmd CPU 0); host1 mirrored (lcore CPU 1, PMD CPU 0, testpmd CPU 1), so each core has one
 * testpmd and one PMD; pmd-maxsleep lets an idle PMD sleep (testpmd 22.11 has no sleep or interrupt
 * mode), and loads are capped (iperf3 -b).
 */
import {execa} from 'execa'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {
  down, isLabUp, KERNEL_NIC, LAB_OVS_IDENTITY, labDpdkConfig, LabError, labExec, labNamespacesPresent, labPaths, labReadPid, labRun, labTail, labVmRate, labWaitFor,
  ovsEnv, pidMatches, readCounters, readLabExtras, readLabState, recordLabExtras, stopExtraProcesses, up,
  type LabCounters, type LabExtraProcess, type LabMem, type LabMode, type PortCounters, type RunResult,
} from './lab.js'

export type HostIndex = 0 | 1
export const HOSTS = [0, 1] as const
export const HOST_NAMES = ['lab-host0', 'lab-host1'] as const
export const VM_NAMES = ['lab-vm0', 'lab-vm1'] as const
export const OPS_NS = 'lab-ops'
const VM_NICS = ['vm0eth0', 'vm1eth0'] as const
/** Management addresses: sshd of host i listens on MGMT.hosts[i]:22; lab-ops is MGMT.ops. */
export const MGMT = {ops: '192.0.2.1', hosts: ['192.0.2.10', '192.0.2.11'] as const}
/** The VMs' addresses in each configuration of their own host. */
export const VM_ADDRESSES = {fixed: ['10.10.1.10', '10.10.1.20'], broken: ['192.168.100.10', '192.168.101.20']} as const
const UNDERLAY = ['172.16.0.1', '172.16.0.2'] as const
/** A broken host's kernel NIC on the VM network: the router a fixed peer's VM uses. */
const KNIC_ON_VM_NET = ['10.10.1.1', '10.10.1.2'] as const
const BROKEN_GW = ['192.168.100.1', '192.168.101.1'] as const
const BROKEN_NET = ['192.168.100.0/24', '192.168.101.0/24'] as const
const SSHD = '/usr/sbin/sshd'
const SBIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const OVS_DPDK_BINARY = '/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk'
const OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema'
const DEFAULT_HUGEPAGES_PER_HOST = 160

export type HostModes = [LabMode, LabMode]

const say = (line: string) => process.stderr.write(`[lab] ${line}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// ---------------------------------------------------------------------------------------------
// paths and environment

export interface HostPaths {
  run: string
  log: string
  db: string
  etc: string
  bin: string
  hugepages: string
  dbFile: string
  dbSock: string
  vhostSock: string
  vswitchd: string
  vswitchdLog: string
  testpmdLog: string
  /** sshd's config, host key, pid file and log. */
  sshd: string
  /** The persistent UTS namespace (hostname lab-hostN) the host's sshd runs in. */
  uts: string
}

export function sshDir(): string {
  return path.join(labPaths().dir, 'ssh')
}

/** The ssh config file the lab writes (Host lab-host0 / lab-host1). */
export function sshConfigPath(): string {
  return path.join(sshDir(), 'config')
}

export function hostPaths(i: HostIndex): HostPaths {
  const lab = labPaths()
  const sshd = path.join(sshDir(), `host${i}`)
  if (i === 0) {
    return {
      run: lab.run, log: lab.log, db: lab.db, etc: lab.etc, bin: lab.bin, hugepages: lab.hugepages, dbFile: lab.dbFile, dbSock: lab.dbSock,
      vhostSock: lab.vhostSock, vswitchd: lab.vswitchd, vswitchdLog: lab.vswitchdLog, testpmdLog: lab.testpmdLog, sshd, uts: path.join(sshd, 'uts'),
    }
  }
  const dir = path.join(lab.dir, 'host1')
  const run = path.join(dir, 'run')
  const log = path.join(dir, 'log')
  const db = path.join(dir, 'db')
  return {
    run, log, db, etc: path.join(dir, 'etc'), bin: path.join(dir, 'bin'), hugepages: path.join(dir, 'hugepages'),
    dbFile: path.join(db, 'conf.db'), dbSock: path.join(run, 'db.sock'), vhostSock: path.join(run, 'vhost-user1'),
    vswitchd: path.join(dir, 'bin', 'ovs-vswitchd'), vswitchdLog: path.join(log, 'ovs-vswitchd.log'), testpmdLog: path.join(log, 'testpmd-vm1.log'),
    sshd, uts: path.join(sshd, 'uts'),
  }
}

/** The OVS_* variables of host i's OVS. */
export function hostOvsEnv(i: HostIndex): Record<string, string> {
  if (i === 0) return ovsEnv()
  const p = hostPaths(1)
  return {OVS_RUNDIR: p.run, OVS_LOGDIR: p.log, OVS_DBDIR: p.db, OVS_SYSCONFDIR: p.etc}
}

const stateFile = () => path.join(labPaths().dir, 'two-host.json')

function hostProcesses(): LabExtraProcess[] {
  const h1 = hostPaths(1)
  return [
    {name: 'sshd-host0', pidfile: path.join(hostPaths(0).sshd, 'sshd.pid'), comm: 'sshd', tree: true},
    {name: 'sshd-host1', pidfile: path.join(h1.sshd, 'sshd.pid'), comm: 'sshd', tree: true},
    {name: 'iperf3-vm1', pidfile: path.join(h1.run, 'iperf3-vm1.pid'), comm: 'iperf3'},
    {name: 'testpmd-vm1', pidfile: path.join(h1.run, 'testpmd-vm1.pid'), comm: 'dpdk-testpmd'},
    {name: 'ovs-vswitchd-host1', pidfile: path.join(h1.run, 'ovs-vswitchd.pid'), comm: 'ovs-vswitchd'},
    {name: 'ovsdb-server-host1', pidfile: path.join(h1.run, 'ovsdb-server.pid'), comm: 'ovsdb-server'},
  ]
}

// ---------------------------------------------------------------------------------------------
// running commands

function envOf(extra: Record<string, string>): Record<string, string> {
  return {PATH: `${SBIN_PATH}:${process.env.PATH ?? ''}`, LC_ALL: 'C', ...extra}
}

const ovsOf = (i: HostIndex, tool: 'ovs-vsctl' | 'ovs-appctl' | 'ovs-ofctl', args: string[], check = true) =>
  labRun(['ip', 'netns', 'exec', HOST_NAMES[i], tool, ...(tool === 'ovs-vsctl' ? ['--timeout=10'] : []), ...args], {timeoutMs: 15_000, env: hostOvsEnv(i), check})
const ipn = (ns: string, ...args: string[]) => labRun(['ip', '-n', ns, ...args])
const ipnMaybe = (ns: string, ...args: string[]) => labRun(['ip', '-n', ns, ...args], {check: false})
const nsRun = (ns: string, argv: string[], check = true) => labRun(['ip', 'netns', 'exec', ns, ...argv], {check})

/** Run a self-daemonising command with `env`, its stdio to log/<name>.launch.log (a daemon keeping a pipe open would hang us). */
async function launchDaemonWithEnv(name: string, argv: string[], env: Record<string, string>, logDir: string, timeoutMs = 30_000): Promise<void> {
  const logFile = path.join(logDir, `${name}.launch.log`)
  const fd = fs.openSync(logFile, 'w')
  try {
    const [file, ...args] = argv
    const r = await execa(file!, args, {env: envOf(env), extendEnv: false, timeout: timeoutMs, reject: false, stdin: 'ignore', stdout: fd as 3, stderr: fd as 3})
    if (r.exitCode !== 0) throw new LabError(`starting ${name} failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode ?? r.signal}`}): ${labTail(logFile, 10)}`)
  } finally {
    fs.closeSync(fd)
  }
}

/** Run argv in the lab-ops namespace (where the ssh client runs); never throws on a non-zero exit. */
export function opsExec(argv: readonly string[], opts: {timeoutMs?: number; env?: Record<string, string>} = {}): Promise<RunResult> {
  return labRun(['ip', 'netns', 'exec', OPS_NS, ...argv], {timeoutMs: opts.timeoutMs ?? 30_000, check: false, env: opts.env})
}

/** `ssh -F <lab config> lab-hostN <argv>` from lab-ops (BatchMode, no terminal). */
export function labSsh(i: HostIndex, argv: readonly string[], opts: {timeoutMs?: number} = {}): Promise<RunResult> {
  return opsExec(['ssh', '-F', sshConfigPath(), '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-T', HOST_NAMES[i], ...argv], opts)
}

// ---------------------------------------------------------------------------------------------
// up

export interface TwoHostUpResult {
  alreadyUp: boolean
  mem: LabMem
  ms: number
}

/** Two-host lab up: lab.ts's namespaces, processes, plus host1's OVS, VM1, lab-ops and both sshd. */
export async function isTwoHostUp(): Promise<boolean> {
  if (!fs.existsSync(stateFile()) || !(await isLabUp())) return false
  const ns = await labNamespacesPresent()
  if (!ns.has('lab-vm1') || !ns.has(OPS_NS)) return false
  return hostProcesses().every((p) => {
    const pid = labReadPid(p.pidfile)
    return pid !== null && pidMatches(pid, p.comm)
  })
}

export async function upTwoHost(opts: {mem?: LabMem; hugepagesPerHost?: number} = {}): Promise<TwoHostUpResult> {
  const t0 = Date.now()
  if (await isTwoHostUp()) {
    say('two-host lab is already up (run `down` first to rebuild it)')
    return {alreadyUp: true, mem: readLabState().mem ?? 'huge', ms: Date.now() - t0}
  }
  // A single-host lab (or a half-built one) is torn down: host1 is rebuilt as a full OVS host.
  await down()
  const perHost = opts.hugepagesPerHost ?? (Number(process.env.LAB_HUGEPAGES) || DEFAULT_HUGEPAGES_PER_HOST)
  const base = await up({mem: opts.mem, hugepages: 2 * perHost})
  try {
    fs.writeFileSync(stateFile(), JSON.stringify({hosts: 2, mem: base.mem, startedAt: new Date().toISOString()}) + '\n')
    recordLabExtras({paths: [stateFile()]})
    await buildHost1(base.mem, perHost)
    await buildManagement()
  } catch (error) {
    say(`two-host up failed: ${(error as Error).message.split('\n')[0]}; tearing down`)
    try {
      await down()
    } catch (error2) {
      say(`down after failed up also failed: ${(error2 as Error).message}`)
    }
    throw error
  }
  const ms = Date.now() - t0
  say(`two-host lab up in ${ms} ms; modes: none (run \`fix\`, \`break host1\`, ...); ssh config: ${sshConfigPath()}`)
  return {alreadyUp: false, mem: base.mem, ms}
}

async function buildHost1(mem: LabMem, hugepages: number): Promise<void> {
  const p = hostPaths(1)
  const h = HOST_NAMES[1]
  for (const d of [p.run, p.log, p.db, p.etc, p.bin, p.hugepages]) fs.mkdirSync(d, {recursive: true})
  for (const d of [p.run, p.db]) for (const f of fs.readdirSync(d)) fs.rmSync(path.join(d, f), {recursive: true, force: true})
  recordLabExtras({
    processes: hostProcesses().filter((x) => !x.name.startsWith('sshd')),
    namespaces: ['lab-vm1'],
    mounts: mem === 'huge' ? [p.hugepages] : [],
    paths: [p.run, p.db, '/var/run/dpdk/ovslab1', '/var/run/dpdk/vm1'],
  })
  if (mem === 'huge') {
    // host1's own budget: its hugetlbfs holds at most `hugepages` pages
    await labRun(['mount', '-t', 'hugetlbfs', '-o', `pagesize=2M,size=${2 * hugepages}M`, 'nodev', p.hugepages])
  }

  // host1 stops being a plain iperf3 remote: its eth0 goes, a DPDK NIC and a kernel NIC come
  await ipnMaybe(h, 'link', 'del', 'eth0')
  await labRun(['ip', 'netns', 'add', 'lab-vm1'])
  await nsRun('lab-vm1', ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'])
  await ipn('lab-vm1', 'link', 'set', 'lo', 'up')
  const veths: Array<[string, string, string, string]> = [
    ['dpdk0-veth', '02:00:00:01:d0:00', 'w-h1-dpdk0', '02:00:00:00:ff:04'],
    [KERNEL_NIC, '02:00:00:01:0e:01', 'w-h1-knic', '02:00:00:00:ff:05'],
  ]
  for (const [name, mac, peer, peerMac] of veths) {
    await labRun(['ip', 'link', 'add', name, 'netns', h, 'address', mac, 'type', 'veth', 'peer', 'name', peer, 'netns', 'lab-wire', 'address', peerMac])
    await ipn('lab-wire', 'link', 'set', peer, 'master', 'wire0', 'up')
    await ipn(h, 'link', 'set', name, 'up')
  }
  await nsRun(h, ['ethtool', '-K', KERNEL_NIC, 'tx', 'off'])
  await ipn(h, 'addr', 'add', `${UNDERLAY[1]}/24`, 'dev', KERNEL_NIC)
  await nsRun(h, ['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2'])

  // OVS, with host1's own run/log/db/etc, DPDK prefix and hugepages
  const env = hostOvsEnv(1)
  await labRun(['ovsdb-tool', 'create', p.dbFile, OVS_SCHEMA])
  await launchDaemonWithEnv('ovsdb-server', [
    'ip', 'netns', 'exec', h, 'ovsdb-server', p.dbFile, `--remote=punix:${p.dbSock}`, '--remote=db:Open_vSwitch,Open_vSwitch,manager_options',
    `--pidfile=${path.join(p.run, 'ovsdb-server.pid')}`, `--log-file=${path.join(p.log, 'ovsdb-server.log')}`, '--detach',
  ], env, p.log)
  const vsctl = (...args: string[]) => ovsOf(1, 'ovs-vsctl', args)
  await vsctl('--no-wait', 'init')
  await vsctl('--no-wait', 'set', 'Open_vSwitch', '.', ...LAB_OVS_IDENTITY)
  // mirrored CPUs: host0's PMD is on CPU 1, host1's on CPU 0
  await vsctl('--no-wait', 'set', 'Open_vSwitch', '.', ...labDpdkConfig({
    mem, hugepageDir: p.hugepages, filePrefix: 'ovslab1', lcoreMask: '0x2', pmdMask: '0x1', systemId: h, maxSleepUs: null,
  }))
  fs.rmSync(p.vswitchd, {force: true})
  fs.symlinkSync(OVS_DPDK_BINARY, p.vswitchd)
  await launchDaemonWithEnv('ovs-vswitchd', [
    'ip', 'netns', 'exec', h, p.vswitchd, `unix:${p.dbSock}`, `--pidfile=${path.join(p.run, 'ovs-vswitchd.pid')}`, `--log-file=${p.vswitchdLog}`, '--detach',
  ], env, p.log, 60_000)
  const init = (await vsctl('get', 'Open_vSwitch', '.', 'dpdk_initialized')).stdout.trim()
  if (init !== 'true') throw new LabError(`DPDK did not initialise in host1's ovs-vswitchd (dpdk_initialized=${init}):\n${labTail(p.vswitchdLog, 15)}`)
  await vsctl('add-br', 'ovsbr0', '--', 'set', 'Bridge', 'ovsbr0', 'datapath_type=netdev', 'other_config:hwaddr=02:00:00:01:b0:00')
  await vsctl('add-port', 'ovsbr0', 'dpdk0', '--', 'set', 'Interface', 'dpdk0', 'type=dpdk', 'options:dpdk-devargs=net_af_packet0,iface=dpdk0-veth')
  say('host1: ovs-vswitchd up: dpdk_initialized=true, ovsbr0 + dpdk0')

  // VM1: testpmd on CPU 1 (host0's VM is on CPU 0)
  const memTestpmd = mem === 'huge' ? [`--huge-dir=${p.hugepages}`, '--in-memory', '--single-file-segments', '-m', '64'] : ['--no-huge', '-m', '128']
  const testpmdArgv = [
    'netns', 'exec', 'lab-vm1', 'stdbuf', '-oL', '-eL', 'dpdk-testpmd', '--lcores', '0@1,1@1', ...memTestpmd, '--no-pci', '--no-telemetry', '--file-prefix=vm1',
    `--vdev=net_virtio_user0,path=${p.vhostSock},server=1,queues=1,queue_size=1024,mac=02:00:00:00:20:21`,
    '--vdev=net_tap0,iface=vm1eth0,mac=02:00:00:00:20:20',
    '--', '--nb-cores=1', '--forward-mode=io', '--rxd=1024', '--txd=1024', '--total-num-mbufs=8192', '--stats-period=86400',
  ]
  const logFd = fs.openSync(p.testpmdLog, 'w')
  let exited: string | null = null
  try {
    const child = execa('ip', testpmdArgv, {env: envOf(env), extendEnv: false, detached: true, cleanup: false, stdin: 'ignore', stdout: logFd as 3, stderr: logFd as 3, reject: false})
    child.then((r) => {
      exited = `exit ${r.exitCode ?? r.signal}`
    }, () => {
      exited = 'failed'
    })
    child.unref()
    if (!child.pid) throw new LabError('could not spawn dpdk-testpmd for lab-vm1')
    fs.writeFileSync(path.join(p.run, 'testpmd-vm1.pid'), `${child.pid}\n`)
    const pid = child.pid
    const alive = () => {
      if (exited) throw new LabError(`dpdk-testpmd (vm1) died (${exited}):\n${labTail(p.testpmdLog, 20)}`)
      return true
    }
    await labWaitFor('dpdk-testpmd (vm1) to exec', () => alive() && pidMatches(pid, 'dpdk-testpmd'), 10_000, () => labTail(p.testpmdLog, 20))
    await labWaitFor(`vhost-user socket ${p.vhostSock}`, () => alive() && fs.existsSync(p.vhostSock), 30_000, () => labTail(p.testpmdLog, 20))
  } finally {
    fs.closeSync(logFd)
  }
  await vsctl('add-port', 'ovsbr0', 'vhost-user1', '--', 'set', 'Interface', 'vhost-user1', 'type=dpdkvhostuserclient', `options:vhost-server-path=${p.vhostSock}`)
  await labWaitFor('vm1eth0 in lab-vm1', async () => (await ipnMaybe('lab-vm1', 'link', 'show', 'vm1eth0')).exitCode === 0, 30_000, () => labTail(p.testpmdLog, 20))
  await labWaitFor('host1 vhost-user1 link up', async () => (await ovsOf(1, 'ovs-vsctl', ['get', 'Interface', 'vhost-user1', 'link_state'], false)).stdout.trim() === 'up', 30_000,
    () => `${labTail(p.testpmdLog, 20)}\n${labTail(p.vswitchdLog, 15, /vhost|VHOST|ERR/)}`)
  await ipn('lab-vm1', 'link', 'set', 'vm1eth0', 'up')
  const rate = labVmRate()
  if (rate) await nsRun('lab-vm1', ['tc', 'qdisc', 'replace', 'dev', 'vm1eth0', 'root', 'tbf', 'rate', rate, 'burst', '256kb', 'latency', '50ms'])
  await launchDaemonWithEnv('iperf3-vm1', ['ip', 'netns', 'exec', 'lab-vm1', 'iperf3', '-s', '-D', '-I', path.join(p.run, 'iperf3-vm1.pid'),
    '--logfile', path.join(p.log, 'iperf3-vm1.log')], {}, p.log)
  await labWaitFor('iperf3 -s in lab-vm1', () => {
    const pid = labReadPid(path.join(p.run, 'iperf3-vm1.pid'))
    return pid !== null && pidMatches(pid, 'iperf3')
  }, 10_000, () => labTail(path.join(p.log, 'iperf3-vm1.log'), 10))
  say(`host1: VM1 up (testpmd <-> vhost-user1 connected, vm1eth0 ${rate ? `shaped to ${rate}` : 'unshaped'}, iperf3 -s)`)
}

// ---------------------------------------------------------------------------------------------
// management network, identities, sshd

async function buildManagement(): Promise<void> {
  const dir = sshDir()
  fs.rmSync(dir, {recursive: true, force: true})
  fs.mkdirSync(dir, {recursive: true, mode: 0o700})
  fs.chmodSync(dir, 0o700)
  const etcNetnsExisted = fs.existsSync('/etc/netns')
  const runSshdExisted = fs.existsSync('/run/sshd')
  recordLabExtras({
    processes: hostProcesses().filter((x) => x.name.startsWith('sshd')),
    namespaces: [OPS_NS],
    mounts: HOSTS.map((i) => hostPaths(i).uts),
    paths: [dir, ...HOST_NAMES.map((n) => `/etc/netns/${n}`), ...(etcNetnsExisted ? [] : ['/etc/netns']), ...(runSshdExisted ? [] : ['/run/sshd'])],
  })

  await labRun(['ip', 'netns', 'add', OPS_NS])
  await nsRun(OPS_NS, ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'])
  await ipn(OPS_NS, 'link', 'set', 'lo', 'up')
  await ipn(OPS_NS, 'link', 'add', 'mgmt0', 'address', '02:00:00:00:aa:01', 'type', 'bridge')
  await ipn(OPS_NS, 'addr', 'add', `${MGMT.ops}/24`, 'dev', 'mgmt0')
  await ipn(OPS_NS, 'link', 'set', 'mgmt0', 'up')
  for (const i of HOSTS) {
    await labRun(['ip', 'link', 'add', 'eno1', 'netns', HOST_NAMES[i], 'address', `02:00:00:00:aa:1${i}`, 'type', 'veth',
      'peer', 'name', `m-host${i}`, 'netns', OPS_NS, 'address', `02:00:00:00:aa:2${i}`])
    await ipn(OPS_NS, 'link', 'set', `m-host${i}`, 'master', 'mgmt0', 'up')
    await ipn(HOST_NAMES[i], 'addr', 'add', `${MGMT.hosts[i]}/24`, 'dev', 'eno1')
    await ipn(HOST_NAMES[i], 'link', 'set', 'eno1', 'up')
  }

  // identities: a machine-id per host (ip netns exec bind-mounts /etc/netns/<ns>/machine-id), a hostname per host (UTS namespace)
  for (const i of HOSTS) {
    const etc = `/etc/netns/${HOST_NAMES[i]}`
    fs.mkdirSync(etc, {recursive: true})
    fs.writeFileSync(path.join(etc, 'machine-id'), `${crypto.randomBytes(16).toString('hex')}\n`, {mode: 0o444})
    const p = hostPaths(i)
    fs.mkdirSync(p.sshd, {recursive: true, mode: 0o700})
    fs.mkdirSync(path.join(p.sshd, 'home'), {recursive: true, mode: 0o700})
    fs.writeFileSync(p.uts, '')
    await labRun(['unshare', `--uts=${p.uts}`, 'hostname', HOST_NAMES[i]])
  }
  // sshd's privilege-separation directory (Debian's tmpfiles would make it at boot)
  fs.mkdirSync('/run/sshd', {recursive: true, mode: 0o755})

  // keys: one client key, a host key per host, the lab's known_hosts and ssh config
  const clientKey = path.join(dir, 'id_ed25519')
  await labRun(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'dpdk-doctor-lab', '-f', clientKey])
  const authorized = path.join(dir, 'authorized_keys')
  fs.writeFileSync(authorized, fs.readFileSync(`${clientKey}.pub`), {mode: 0o600})
  const known: string[] = []
  for (const i of HOSTS) {
    const p = hostPaths(i)
    const hostKey = path.join(p.sshd, 'ssh_host_ed25519_key')
    await labRun(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', HOST_NAMES[i], '-f', hostKey])
    const pub = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')
    known.push(`${MGMT.hosts[i]} ${pub}`)
    fs.writeFileSync(path.join(p.sshd, 'sshd_config'), sshdConfig(i, hostKey, authorized), {mode: 0o600})
  }
  fs.writeFileSync(path.join(dir, 'known_hosts'), known.join('\n') + '\n', {mode: 0o600})
  fs.writeFileSync(sshConfigPath(), sshClientConfig(), {mode: 0o600})
  for (const i of HOSTS) await startSshd(i)
  say(`sshd up on ${HOSTS.map((i) => `${HOST_NAMES[i]} ${MGMT.hosts[i]}:22`).join(', ')}; ssh from ${OPS_NS}: ip netns exec ${OPS_NS} ssh -F ${sshConfigPath()} lab-host1 ...`)
}

function sshdConfig(i: HostIndex, hostKey: string, authorized: string): string {
  const p = hostPaths(i)
  // HOME: a directory of the lab's, so bash reads no ~/.bashrc for each ssh command (Debian's bash
  // does for ssh sessions, and this machine's runs pyenv init: 2.7 s per command, which a real
  // host's operator would not have and which buried the two-host timings).
  const env = Object.entries({...hostOvsEnv(i), HOME: path.join(p.sshd, 'home')}).map(([k, v]) => `${k}=${v}`).join(' ')
  return [
    `# sshd of ${HOST_NAMES[i]} (dpdk-doctor two-host lab, written at \`npm run lab -- up --hosts 2\`)`,
    `ListenAddress ${MGMT.hosts[i]}:22`,
    `HostKey ${hostKey}`,
    `PidFile ${path.join(p.sshd, 'sshd.pid')}`,
    `AuthorizedKeysFile ${authorized}`,
    'PermitRootLogin prohibit-password',
    'AllowUsers root',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The lab dir may sit under /tmp (mode 1777), which StrictModes refuses for the key files.
    'StrictModes no',
    'X11Forwarding no',
    'AllowTcpForwarding no',
    'PrintMotd no',
    'PrintLastLog no',
    'LogLevel VERBOSE',
    // Server side: every session talks to this host's OVS (ovs-vsctl, ovs-appctl, ovs-ofctl).
    `SetEnv ${env}`,
    '',
  ].join('\n')
}

function sshClientConfig(): string {
  const dir = sshDir()
  const lines = [`# dpdk-doctor two-host lab: use from the ${OPS_NS} namespace: ip netns exec ${OPS_NS} ssh -F ${sshConfigPath()} lab-host1 ovs-vsctl show`]
  for (const i of HOSTS) {
    lines.push(
      `Host ${HOST_NAMES[i]}`,
      `  HostName ${MGMT.hosts[i]}`,
      '  Port 22',
      '  User root',
      `  IdentityFile ${path.join(dir, 'id_ed25519')}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${path.join(dir, 'known_hosts')}`,
      '  GlobalKnownHostsFile /dev/null',
    )
  }
  return lines.join('\n') + '\n'
}

/** sshd's log of host i (sshd -E), appended to across restarts. */
export function sshdLog(i: HostIndex): string {
  return path.join(labPaths().log, `sshd-host${i}.log`)
}

/** Start host i's sshd (in its netns and UTS namespace) and wait until a real ssh logs in. */
export async function startSshd(i: HostIndex): Promise<{ms: number}> {
  const t0 = Date.now()
  const p = hostPaths(i)
  const cfg = path.join(p.sshd, 'sshd_config')
  const spec = hostProcesses().find((x) => x.name === `sshd-host${i}`)!
  const pid0 = labReadPid(spec.pidfile)
  if (pid0 !== null && pidMatches(pid0, 'sshd')) return {ms: 0}
  const test = await labRun([SSHD, '-t', '-f', cfg], {check: false})
  if (test.exitCode !== 0) throw new LabError(`sshd -t -f ${cfg}: ${test.stderr.trim()}`)
  // sshd needs its absolute path (it re-executes itself); -E: its log
  // the log goes with the lab's other logs, which outlive `down` ($LAB_DIR/ssh does not)
  const log = sshdLog(i)
  await launchDaemonWithEnv(`sshd-host${i}`, ['nsenter', `--uts=${p.uts}`, '--', 'ip', 'netns', 'exec', HOST_NAMES[i], SSHD, '-f', cfg, '-E', log], {}, p.sshd)
  await labWaitFor(`sshd of ${HOST_NAMES[i]}`, () => {
    const pid = labReadPid(spec.pidfile)
    return pid !== null && pidMatches(pid, 'sshd')
  }, 10_000, () => labTail(log, 10))
  let last: RunResult | null = null
  for (let attempt = 0; attempt < 20; attempt++) {
    last = await labSsh(i, ['true'], {timeoutMs: 15_000})
    if (last.exitCode === 0) return {ms: Date.now() - t0}
    await sleep(200)
  }
  throw new LabError(`ssh to ${HOST_NAMES[i]} failed (exit ${last?.exitCode}): ${last?.stderr.trim()}\n${labTail(log, 10)}`)
}

/** Stop host i's sshd by its recorded PID, with its per-connection processes (open ssh sessions and masters drop too). */
export async function stopSshd(i: HostIndex): Promise<{ms: number}> {
  const t0 = Date.now()
  const spec = hostProcesses().find((x) => x.name === `sshd-host${i}`)!
  const left = await stopExtraProcesses([spec])
  if (left.length > 0) throw new LabError(left.join('; '))
  say(`sshd of ${HOST_NAMES[i]} stopped (${Date.now() - t0} ms)`)
  return {ms: Date.now() - t0}
}

// ---------------------------------------------------------------------------------------------
// break / fix, per host

async function ipv4s(ns: string, dev: string): Promise<string[] | null> {
  const r = await labRun(['ip', '-n', ns, '-j', '-4', 'addr', 'show', 'dev', dev], {check: false, timeoutMs: 5_000})
  if (r.exitCode !== 0) return null
  try {
    const j = JSON.parse(r.stdout || '[]') as Array<{addr_info?: Array<{local?: string}>}>
    return j.flatMap((x) => (x.addr_info ?? []).map((a) => a.local ?? '')).filter(Boolean)
  } catch {
    return null
  }
}

/** Host i's configuration, read from the live addresses. */
export async function hostMode(i: HostIndex): Promise<LabMode | 'none' | null> {
  const br = await ipv4s(HOST_NAMES[i], 'ovsbr0')
  const vm = await ipv4s(VM_NAMES[i], VM_NICS[i])
  if (br === null || vm === null) return null
  if (br.includes(BROKEN_GW[i]) && vm.includes(VM_ADDRESSES.broken[i])) return 'broken'
  if (br.length === 0 && vm.includes(VM_ADDRESSES.fixed[i])) return 'fixed'
  return 'none'
}

/** What VM0 sends to: VM1's address in host1's configuration. */
export function twoHostTarget(modes: HostModes): string {
  return VM_ADDRESSES[modes[1]][1]
}

/** Put host0 and host1 in `modes` (L3 of both hosts and VMs reset first) and check VM0 -> VM1 with ping. */
export async function setModes(modes: HostModes): Promise<{ms: number; target: string}> {
  const t0 = Date.now()
  if (!(await isTwoHostUp())) throw new LabError('the two-host lab is not up (run `npm run lab -- up --hosts 2`)')
  for (const i of HOSTS) {
    const j = (1 - i) as HostIndex
    await ipn(HOST_NAMES[i], 'addr', 'flush', 'dev', 'ovsbr0')
    await ipn(HOST_NAMES[i], 'link', 'set', 'ovsbr0', 'up')
    await ipnMaybe(HOST_NAMES[i], 'addr', 'del', `${KNIC_ON_VM_NET[i]}/24`, 'dev', KERNEL_NIC)
    await ipnMaybe(HOST_NAMES[i], 'route', 'del', BROKEN_NET[j])
    await ipn(VM_NAMES[i], 'addr', 'flush', 'dev', VM_NICS[i])
    await ipn(VM_NAMES[i], 'route', 'flush', 'dev', VM_NICS[i])
  }
  for (const i of HOSTS) {
    const j = (1 - i) as HostIndex
    if (modes[i] === 'broken') {
      await ipn(HOST_NAMES[i], 'addr', 'add', `${BROKEN_GW[i]}/24`, 'dev', 'ovsbr0')
      await ipn(HOST_NAMES[i], 'addr', 'add', `${KNIC_ON_VM_NET[i]}/24`, 'dev', KERNEL_NIC)
      await ipn(VM_NAMES[i], 'addr', 'add', `${VM_ADDRESSES.broken[i]}/24`, 'dev', VM_NICS[i])
      await ipn(VM_NAMES[i], 'route', 'add', 'default', 'via', BROKEN_GW[i])
      if (modes[j] === 'broken') await ipn(HOST_NAMES[i], 'route', 'add', BROKEN_NET[j], 'via', UNDERLAY[j], 'dev', KERNEL_NIC)
    } else {
      await ipn(VM_NAMES[i], 'addr', 'add', `${VM_ADDRESSES.fixed[i]}/24`, 'dev', VM_NICS[i])
      if (modes[j] === 'broken') await ipn(VM_NAMES[i], 'route', 'add', BROKEN_NET[j], 'via', KNIC_ON_VM_NET[j])
    }
  }
  for (const ns of [...HOST_NAMES, ...VM_NAMES]) await ipn(ns, 'neigh', 'flush', 'all')
  for (const i of HOSTS) {
    await ovsOf(i, 'ovs-appctl', ['fdb/flush', 'ovsbr0'])
    await ovsOf(i, 'ovs-appctl', ['dpif-netdev/pmd-stats-clear'])
  }
  const target = twoHostTarget(modes)
  let last: RunResult | null = null
  for (let attempt = 0; attempt < 3; attempt++) {
    last = await labExec('lab-vm0', ['ping', '-c', '3', '-i', '0.2', '-W', '2', target], {timeoutMs: 15_000})
    if (last.exitCode === 0) break
  }
  if (last?.exitCode !== 0) throw new LabError(`ping ${target} from VM0 failed: ${(last?.stdout ?? '').split('\n').slice(-3).join(' | ')}`)
  const ms = Date.now() - t0
  say(`modes: host0 ${modes[0]}, host1 ${modes[1]} (VM0 ${VM_ADDRESSES[modes[0]][0]} -> VM1 ${target}) in ${ms} ms`)
  return {ms, target}
}

/** `break hostN` / `fix hostN`: change one host, keep the other's mode (a host never configured becomes fixed). */
export async function setHostMode(i: HostIndex, mode: LabMode): Promise<{ms: number; target: string}> {
  const other = (1 - i) as HostIndex
  const otherMode = await hostMode(other)
  const modes: HostModes = ['fixed', 'fixed']
  modes[i] = mode
  modes[other] = otherMode === 'broken' ? 'broken' : 'fixed'
  return setModes(modes)
}

// ---------------------------------------------------------------------------------------------
// counters and status

/** Live packet counters of host i: dpdk0 and vhost-user1 (ovs-ofctl dump-ports), its kernel NIC (sysfs). */
export async function hostCounters(i: HostIndex): Promise<LabCounters> {
  if (i === 0) return readCounters()
  const port = async (name: string): Promise<PortCounters> => {
    const r = await ovsOf(1, 'ovs-ofctl', ['dump-ports', 'ovsbr0', name])
    const rx = /rx pkts=(\d+)/.exec(r.stdout)
    const tx = /tx pkts=(\d+)/.exec(r.stdout)
    if (!rx || !tx) throw new LabError(`cannot parse host1 ovs-ofctl dump-ports ovsbr0 ${name}: ${r.stdout}`)
    return {rx: Number(rx[1]), tx: Number(tx[1])}
  }
  const sysfs = async (name: string) => Number((await nsRun(HOST_NAMES[1], ['cat', `/sys/class/net/${KERNEL_NIC}/statistics/${name}`])).stdout.trim())
  return {dpdk0: await port('dpdk0'), vhost: await port('vhost-user1'), knic: {rx: await sysfs('rx_packets'), tx: await sysfs('tx_packets')}}
}

export async function twoHostCounters(): Promise<[LabCounters, LabCounters]> {
  return [await hostCounters(0), await hostCounters(1)]
}

export async function formatTwoHostStatus(): Promise<string> {
  const up = await isTwoHostUp()
  const extras = readLabExtras()
  const procs = hostProcesses().map((p) => {
    const pid = labReadPid(p.pidfile)
    return `${p.name}[${pid ?? '-'}]=${pid !== null && pidMatches(pid, p.comm) ? 'alive' : 'gone'}`
  })
  const modes = up ? await Promise.all(HOSTS.map((i) => hostMode(i))) : [null, null]
  return [
    `two-host: ${up ? 'UP' : 'DOWN'}${extras.namespaces.length ? '' : ' (nothing recorded)'}`,
    `two-host processes: ${procs.join(' ')}`,
    `modes: host0 ${modes[0] ?? '-'}, host1 ${modes[1] ?? '-'}`,
    `ssh config: ${sshConfigPath()} (from ${OPS_NS}: ip netns exec ${OPS_NS} ssh -F ${sshConfigPath()} lab-host1 ovs-vsctl show)`,
  ].join('\n')
}

/** Shell exports of host i's OVS env and namespace. */
export function hostEnvExports(i: HostIndex): string {
  return Object.entries({...hostOvsEnv(i), DPDK_DOCTOR_NETNS: HOST_NAMES[i]}).map(([k, v]) => `export ${k}=${v}`).join('\n') + '\n'
}

/** The lab is in two-host mode (its bookkeeping says so). */
export function twoHostRecorded(): boolean {
  return fs.existsSync(stateFile())
}

/**
 * Stops both lab VMs (the testpmd processes the lab started, by their pidfiles, comm checked) so a
 * benchmark can measure without their busy-polling; resumeVms continues exactly those PIDs.
 */
export async function pauseVms(): Promise<number[]> {
  const vm1 = readLabExtras().processes.find((pr) => pr.name === 'testpmd-vm1')
  const pidfiles = [path.join(labPaths().run, 'testpmd-vm0.pid'), ...(vm1 ? [vm1.pidfile] : [])]
  const pids: number[] = []
  for (const file of pidfiles) {
    const pid = labReadPid(file)
    if (pid === null || !pidMatches(pid, 'dpdk-testpmd')) continue
    process.kill(pid, 'SIGSTOP')
    pids.push(pid)
  }
  return pids
}

export function resumeVms(pids: readonly number[]): void {
  for (const pid of pids) {
    if (pidMatches(pid, 'dpdk-testpmd')) process.kill(pid, 'SIGCONT')
  }
}
