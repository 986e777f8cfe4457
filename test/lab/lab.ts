/**
 * The lab: a real Open vSwitch 3.1 + DPDK 22.11 userspace datapath with a real vhost-user "VM",
 * built inside four network namespaces on this machine (see /work/shared/design/LAB.md).
 *
 *   lab-vm0   : vm0eth0 <-net_tap0-> dpdk-testpmd (io fwd) <-virtio-user server-> $LAB_DIR/run/vhost-user1
 *   lab-host0 : ovsdb-server + DPDK ovs-vswitchd, bridge ovsbr0 (netdev) with
 *               vhost-user1 (dpdkvhostuserclient), dpdk0 (net_af_packet on dpdk0-veth), kernel NIC enp65s0f0np0
 *   lab-wire  : Linux bridge wire0 joining dpdk0-veth, enp65s0f0np0 and host1's eth0
 *   lab-host1 : eth0 172.16.0.2/24 + 10.10.1.20/24, iperf3 -s
 *
 * Every external command runs through execa with an argv array (no shell), LC_ALL=C and a timeout.
 * Nothing is configured in the root namespace: both ends of every veth are created directly inside
 * lab namespaces. Only the processes recorded in $LAB_DIR/run/*.pid are ever signalled, and only
 * after /proc/PID/comm has been checked.
 */
import {execa, execaSync} from 'execa'
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {ensureGuestKernel} from './initramfs.js'
import {
  GUEST_NIC, guestExecAt, guestReadyLine, pickAccel, prepareGuest, QEMU_COMM, qemuArgv, qemuPaths, qemuQueues, spawnQemu, waitGuestControl,
  type GuestResult, type QemuAccel,
} from './qemu.js'

export type LabMode = 'broken' | 'fixed'
export type LabMem = 'huge' | 'nohuge'
export const LAB_NAMESPACES = ['lab-wire', 'lab-host0', 'lab-host1', 'lab-vm0'] as const
export type LabNs = (typeof LAB_NAMESPACES)[number]
export const HOST_NS: LabNs = 'lab-host0'
export const VM_NS: LabNs = 'lab-vm0'
export const REMOTE_NS: LabNs = 'lab-host1'
/** What the VM sends iperf3 to in each configuration. */
export const LAB_TARGETS = {broken: '172.16.0.2', fixed: '10.10.1.20'} as const
/** The kernel NIC on host0 (the "bifurcated" view of the same wire as dpdk0). */
export const KERNEL_NIC = 'enp65s0f0np0'

const OVS_DPDK_BINARY = '/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk'
const OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema'
const HUGE_SYSFS = '/sys/kernel/mm/hugepages/hugepages-2048kB'
const DPDK_RUNTIME_DIRS = ['/var/run/dpdk/ovslab', '/var/run/dpdk/vm0']
const DEFAULT_HUGEPAGES = 160
const SBIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** The Debian packages the lab needs (LAB.md §4.1, plus tmux). */
export const LAB_PACKAGES = [
  'openvswitch-switch-dpdk', 'openvswitch-common', 'dpdk', 'dpdk-dev',
  'librte-net-af-packet23', 'librte-net-tap23', 'librte-net-virtio23', 'librte-net-vhost23', 'librte-mempool-ring23',
  'iperf3', 'ethtool', 'iproute2', 'iputils-ping', 'procps', 'pciutils', 'bsdextrautils', 'python3', 'tmux',
  // The fleet engines test/engines/ runs for real (promtool, node_exporter, ansible).
  'prometheus', 'prometheus-node-exporter', 'ansible-core',
  // sos report of the lab host (test/lab/sos.e2e.test.ts, test/bench/sos-vs-capture.ts); util-linux gives unshare.
  'sosreport', 'util-linux',
  // LAB_VM=qemu: the real guest (QEMU, and busybox for its initramfs; the kernel is fetched, not installed)
  'qemu-system-x86', 'busybox-static',
  // The two-host lab's sshd in each host namespace (test/lab/two-host.ts) and the ssh transport's
  // engine tests (test/engines/ssh-*.test.ts): a real sshd, ssh, and sudo -n.
  'openssh-server', 'openssh-client', 'sudo',
]

// ---------------------------------------------------------------------------------------------
// paths, environment, logging

export interface LabPaths {
  dir: string
  run: string
  log: string
  db: string
  etc: string
  bin: string
  hugepages: string
  /** Lab bookkeeping (memory mode, hugepages to restore). Outside run/ so that it survives until down() is done. */
  state: string
  dbFile: string
  dbSock: string
  vhostSock: string
  vswitchd: string
  vswitchdLog: string
  testpmdLog: string
}

export function labPaths(): LabPaths {
  const dir = path.resolve(process.env.DPDK_DOCTOR_LAB_DIR || '/tmp/dpdk-doctor-lab')
  const run = path.join(dir, 'run')
  const log = path.join(dir, 'log')
  const db = path.join(dir, 'db')
  return {
    dir, run, log, db,
    etc: path.join(dir, 'etc'),
    bin: path.join(dir, 'bin'),
    hugepages: path.join(dir, 'hugepages'),
    state: path.join(dir, 'state.json'),
    dbFile: path.join(db, 'conf.db'),
    dbSock: path.join(run, 'db.sock'),
    vhostSock: path.join(run, 'vhost-user1'),
    vswitchd: path.join(dir, 'bin', 'ovs-vswitchd'),
    vswitchdLog: path.join(log, 'ovs-vswitchd.log'),
    testpmdLog: path.join(log, 'testpmd-vm0.log'),
  }
}

/** The OVS_* variables every ovs-* command needs to find the lab's private OVS. */
export function ovsEnv(): Record<string, string> {
  const p = labPaths()
  return {OVS_RUNDIR: p.run, OVS_LOGDIR: p.log, OVS_DBDIR: p.db, OVS_SYSCONFDIR: p.etc}
}

/** Shell exports for `eval "$(npm run -s lab -- env)"`. */
export function envExports(): string {
  const lines = Object.entries({...ovsEnv(), DPDK_DOCTOR_NETNS: HOST_NS}).map(([k, v]) => `export ${k}=${shellQuote(v)}`)
  return lines.join('\n') + '\n'
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

export type Logger = (line: string) => void
let logger: Logger = (line) => process.stderr.write(`[lab] ${line}\n`)
/** Where progress lines go (stderr by default). */
export function setLabLogger(fn: Logger): void {
  logger = fn
}
function say(line: string): void {
  logger(line)
}

export class LabError extends Error {
  override name = 'LabError'
}

// ---------------------------------------------------------------------------------------------
// running commands

export interface RunResult {
  exitCode: number
  stdout: string
  stderr: string
  timedOut: boolean
}

interface RunOpts {
  timeoutMs?: number
  /** Throw a LabError on a non-zero exit (default true). */
  check?: boolean
  env?: Record<string, string>
}

function baseEnv(extra?: Record<string, string>): Record<string, string> {
  return {PATH: `${SBIN_PATH}:${process.env.PATH ?? ''}`, LC_ALL: 'C', ...ovsEnv(), ...extra}
}

async function run(argv: readonly string[], opts: RunOpts = {}): Promise<RunResult> {
  const [file, ...args] = argv
  if (!file) throw new LabError('empty argv')
  const r = await execa(file, args, {
    env: baseEnv(opts.env),
    timeout: opts.timeoutMs ?? 20_000,
    reject: false,
    stdin: 'ignore',
    stripFinalNewline: true,
  })
  const res: RunResult = {
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : -1,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    timedOut: Boolean(r.timedOut),
  }
  if (opts.check !== false && res.exitCode !== 0) {
    const why = res.timedOut ? `timed out after ${opts.timeoutMs ?? 20_000} ms` : r.failed && res.exitCode === -1 ? (r.shortMessage ?? 'failed') : `exit ${res.exitCode}`
    throw new LabError(`\`${argv.join(' ')}\` failed (${why}): ${(res.stderr || res.stdout).trim().split('\n').slice(-8).join('\n')}`)
  }
  return res
}

/**
 * Run argv inside a lab namespace (`ip netns exec ns ...`), with the lab's OVS_* variables and LC_ALL=C.
 * ns=null runs it in the current namespace. Never throws on a non-zero exit unless opts.check is true.
 */
export async function labExec(ns: LabNs | null, argv: readonly string[], opts: {timeoutMs?: number; check?: boolean} = {}): Promise<RunResult> {
  const full = ns ? ['ip', 'netns', 'exec', ns, ...argv] : [...argv]
  return run(full, {timeoutMs: opts.timeoutMs ?? 30_000, check: opts.check ?? false})
}

/**
 * The VM's NIC rate (tbf on vm0eth0, the VM's egress), like a VM's vNIC with a rate limit. Unshaped,
 * an iperf3 from the VM drives the lab's one PMD, on 2 shared vCPUs, 90-93 % busy (~1.5 Gbit/s):
 * a true pmd-saturated warning on the fixed host. At 600 Mbit/s it runs ~30 % busy and the "VM"
 * (testpmd, which shares a CPU with iperf3 and OVS's main thread) keeps draining its rx ring (at
 * 1 Gbit/s it fell behind in 1 of 10 runs: 0.17 % tx drops on vhost-user1), so the lab is a
 * healthy host under an unthrottled iperf3. LAB_VM_RATE=none leaves the NIC unshaped (to see the
 * saturated PMD); any tc rate (e.g. 1gbit) sets another.
 */
export function labVmRate(): string | null {
  const rate = (process.env.LAB_VM_RATE ?? '600mbit').trim()
  if (rate === '' || rate === 'none' || rate === '0') return null
  if (!/^\d+(\.\d+)?(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$/i.test(rate)) {
    throw new LabError(`LAB_VM_RATE: "${rate}" is not a tc rate (e.g. 600mbit, 1gbit, or none)`)
  }
  return rate
}

/**
 * argv that runs a `seconds`-long iperf3 client with JSON output from the VM's namespace;
 * `bandwidth` is iperf3 -b (e.g. "300M"); unset, the VM NIC's shaping (labVmRate) bounds the rate.
 */
export function vmIperfArgv(target: string, seconds: number, bandwidth?: string): string[] {
  if (labVmKind() === 'qemu') return guestIperfArgv(target, seconds, bandwidth)
  return ['ip', 'netns', 'exec', VM_NS, 'iperf3', '-c', target, '-t', String(seconds), ...(bandwidth ? ['-b', bandwidth] : []), '-J']
}

const ovs = (tool: 'ovs-vsctl' | 'ovs-appctl' | 'ovs-ofctl', args: string[], opts: RunOpts = {}) =>
  run(['ip', 'netns', 'exec', HOST_NS, tool, ...args], {timeoutMs: 15_000, ...opts})
const vsctl = (...args: string[]) => ovs('ovs-vsctl', ['--timeout=10', ...args])
const ipn = (ns: LabNs, ...args: string[]) => run(['ip', '-n', ns, ...args])
const nsExec = (ns: LabNs, argv: string[], opts: RunOpts = {}) => run(['ip', 'netns', 'exec', ns, ...argv], opts)

// execa's types list only 3..9 as numeric stdio values; any open fd works at runtime (passed to child_process.spawn).
const asFd = (fd: number) => fd as 3

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number, onFail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 25; ; delay = Math.min(delay * 2, 250)) {
    if (await probe()) return
    if (Date.now() > deadline) {
      const extra = onFail ? `\n${onFail()}` : ''
      throw new LabError(`timeout (${Math.round(timeoutMs / 1000)} s) waiting for: ${what}${extra}`)
    }
    await sleep(delay)
  }
}

// ---------------------------------------------------------------------------------------------
// preconditions and packages

function hasFile(p: string): boolean {
  try {
    fs.accessSync(p)
    return true
  } catch {
    return false
  }
}

function which(bin: string): string | null {
  for (const d of `${SBIN_PATH}:${process.env.PATH ?? ''}`.split(':')) {
    if (d && hasFile(path.join(d, bin))) return path.join(d, bin)
  }
  return null
}

/** Whether this machine can run the lab, and if not, why (first failing check). */
export function canRunLab(): {ok: boolean; reason: string} {
  if (process.platform !== 'linux') return {ok: false, reason: `not Linux (${process.platform})`}
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {ok: false, reason: 'not root (the lab needs network namespaces, veths and hugetlbfs)'}
  if (!which('ip')) return {ok: false, reason: 'iproute2 `ip` not found'}
  try {
    const r = execaSync('ip', ['netns', 'list'], {env: baseEnv(), timeout: 5_000, reject: false, stdin: 'ignore'})
    if (r.exitCode !== 0) return {ok: false, reason: `\`ip netns list\` failed: ${String(r.stderr).trim()}`}
  } catch (error) {
    return {ok: false, reason: `\`ip netns\` unusable: ${(error as Error).message}`}
  }
  if (!hasFile('/dev/net/tun')) return {ok: false, reason: '/dev/net/tun missing (net_tap and the OVS internal port need it)'}
  if (!hasFile(OVS_DPDK_BINARY)) return {ok: false, reason: `${OVS_DPDK_BINARY} missing (run \`npm run lab -- deps\`)`}
  for (const bin of ['ovsdb-server', 'ovsdb-tool', 'ovs-vsctl', 'ovs-appctl', 'ovs-ofctl', 'dpdk-testpmd', 'iperf3', 'ethtool', 'tc', 'stdbuf', 'ping', 'mount', 'umount']) {
    if (!which(bin)) return {ok: false, reason: `\`${bin}\` not found (run \`npm run lab -- deps\`)`}
  }
  if (!hasFile(OVS_SCHEMA)) return {ok: false, reason: `${OVS_SCHEMA} missing`}
  return {ok: true, reason: 'ok'}
}

/** Install the lab's Debian packages (no-op when all are installed). */
export async function deps(): Promise<{installed: string[]}> {
  const missing: string[] = []
  for (const pkg of LAB_PACKAGES) {
    const r = await run(['dpkg-query', '-W', '-f=${db:Status-Status}', pkg], {check: false, timeoutMs: 10_000})
    if (r.exitCode !== 0 || r.stdout.trim() !== 'installed') missing.push(pkg)
  }
  if (missing.length === 0) {
    say(`deps: all ${LAB_PACKAGES.length} packages already installed`)
    await ensureGuestKernel(say)
    return {installed: []}
  }
  say(`deps: installing ${missing.join(' ')}`)
  const policy = '/usr/sbin/policy-rc.d'
  const createdPolicy = !hasFile(policy)
  if (createdPolicy) {
    // Without systemd, openvswitch-switch's postinst would start a stock OVS in the root namespace.
    fs.writeFileSync(policy, '#!/bin/sh\n# temporary, created by dpdk-doctor lab deps\nexit 101\n', {mode: 0o755})
  }
  try {
    const env = {DEBIAN_FRONTEND: 'noninteractive'}
    await run(['apt-get', 'update'], {timeoutMs: 300_000, env})
    await run(['apt-get', 'install', '-y', '--no-install-recommends', ...LAB_PACKAGES], {timeoutMs: 900_000, env})
  } finally {
    if (createdPolicy) fs.rmSync(policy, {force: true})
  }
  await ensureGuestKernel(say)
  return {installed: missing}
}

// ---------------------------------------------------------------------------------------------
// processes

interface ProcSpec {
  name: string
  pidfile: string
  /** /proc/PID/comm of what was started. */
  comm: string
}

const PROCS: readonly ProcSpec[] = [
  {name: 'iperf3-host1', pidfile: 'iperf3-host1.pid', comm: 'iperf3'},
  {name: 'testpmd-vm0', pidfile: 'testpmd-vm0.pid', comm: 'dpdk-testpmd'},
  {name: 'ovs-vswitchd', pidfile: 'ovs-vswitchd.pid', comm: 'ovs-vswitchd'},
  {name: 'ovsdb-server', pidfile: 'ovsdb-server.pid', comm: 'ovsdb-server'},
]

export interface LabProcess {
  name: string
  pid: number
  comm: string
  /** Alive, not a zombie, and /proc/PID/comm is what the lab started. */
  alive: boolean
}

function readPid(file: string): number | null {
  try {
    const n = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10)
    return Number.isInteger(n) && n > 1 ? n : null
  } catch {
    return null
  }
}

/** True when pid is a live (non-zombie) process whose comm is `comm`. */
export function pidMatches(pid: number, comm: string): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    if (state === 'Z' || state === 'X') return false
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm.slice(0, 15)
  } catch {
    return false
  }
}

/** The processes the lab started (from its pidfiles), with whether each is still alive. */
export function labProcesses(): LabProcess[] {
  const p = labPaths()
  const out: LabProcess[] = []
  for (const spec of [...PROCS, QEMU_PROC]) {
    const pid = readPid(path.join(p.run, spec.pidfile))
    if (pid !== null) out.push({name: spec.name, pid, comm: spec.comm, alive: pidMatches(pid, spec.comm)})
  }
  return out
}

export type LabProcessName = 'iperf3-host1' | 'testpmd-vm0' | 'qemu-vm0' | 'ovs-vswitchd' | 'ovsdb-server'

/**
 * Send `signal` to one lab process, by its recorded PID and only while /proc/PID/comm still matches
 * (for tests: SIGSTOP/SIGCONT a hung ovs-vswitchd, SIGTERM OVS to see the tool without it).
 * Returns the PID signalled; throws when the process is not a live lab process.
 */
export function signalLabProcess(name: LabProcessName, signal: NodeJS.Signals): number {
  const pr = labProcesses().find((p) => p.name === name)
  if (!pr || !pr.alive) throw new LabError(`${name} is not running (no live recorded PID)`)
  process.kill(pr.pid, signal)
  return pr.pid
}

/** End lab processes by recorded PID (SIGTERM, SIGKILL after 5 s) and wait until they are gone. */
export async function stopLabProcesses(names: readonly LabProcessName[]): Promise<void> {
  const targets = labProcesses().filter((p) => names.includes(p.name as LabProcessName) && p.alive)
  for (const pr of targets) process.kill(pr.pid, 'SIGTERM')
  const gone = () => targets.every((pr) => !pidMatches(pr.pid, pr.comm))
  await waitFor(`${names.join(', ')} to exit`, gone, 5_000).catch(async () => {
    for (const pr of targets) if (pidMatches(pr.pid, pr.comm)) process.kill(pr.pid, 'SIGKILL')
    await waitFor(`${names.join(', ')} to exit after SIGKILL`, gone, 3_000)
  })
}

function tail(file: string, lines: number, filter?: RegExp): string {
  try {
    let all = fs.readFileSync(file, 'utf8').split('\n')
    if (filter) all = all.filter((l) => filter.test(l))
    return all.slice(-lines).join('\n').trimEnd()
  } catch {
    return `(no ${file})`
  }
}

function failureLogs(skipTestpmd = false): string {
  const p = labPaths()
  const parts: string[] = []
  if (hasFile(p.vswitchdLog)) parts.push(`--- ${p.vswitchdLog} (EAL/ERR/WARN lines, last 15) ---\n${tail(p.vswitchdLog, 15, /EAL|\|ERR\||\|EMER\||\|WARN\|/)}`)
  if (hasFile(p.testpmdLog) && !skipTestpmd) parts.push(`--- ${p.testpmdLog} (last 20) ---\n${tail(p.testpmdLog, 20)}`)
  return parts.join('\n')
}

/** Run a self-daemonising command (--detach / -D) with its stdio going to log/<name>.launch.log. */
async function launchDaemon(name: string, argv: string[], timeoutMs = 30_000): Promise<void> {
  const p = labPaths()
  const logFile = path.join(p.log, `${name}.launch.log`)
  const fd = fs.openSync(logFile, 'w')
  try {
    const [file, ...args] = argv
    const r = await execa(file!, args, {env: baseEnv(), timeout: timeoutMs, reject: false, stdin: 'ignore', stdout: asFd(fd), stderr: asFd(fd)})
    if (r.exitCode !== 0) {
      throw new LabError(`starting ${name} failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode ?? r.signal}`}): ${tail(logFile, 10)}`)
    }
  } finally {
    fs.closeSync(fd)
  }
}

// ---------------------------------------------------------------------------------------------
// state, namespaces, hugepages

interface LabState {
  /** The VM kind this lab was built with (LAB_VM at `up`). */
  vm?: LabVm
  /** LAB_VM=qemu: the accelerator the guest runs on, why, and its queue pairs. */
  accel?: QemuAccel
  accelWhy?: string
  queues?: number
  mem?: LabMem
  /** nr_hugepages before the lab raised it; present only if the lab raised it. */
  hugepagesPrev?: number
  mounted?: boolean
  startedAt?: string
}

function readState(): LabState {
  try {
    return JSON.parse(fs.readFileSync(labPaths().state, 'utf8')) as LabState
  } catch {
    return {}
  }
}
function writeState(s: LabState): void {
  fs.writeFileSync(labPaths().state, JSON.stringify(s, null, 2) + '\n')
}

async function existingNamespaces(): Promise<Set<string>> {
  const r = await run(['ip', 'netns', 'list'], {check: false, timeoutMs: 5_000})
  return new Set(r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter(Boolean))
}

function hugeFile(name: 'nr_hugepages' | 'free_hugepages'): string {
  return hasFile(HUGE_SYSFS) ? path.join(HUGE_SYSFS, name) : name === 'nr_hugepages' ? '/proc/sys/vm/nr_hugepages' : ''
}

/** The current number of reserved 2 MiB hugepages. */
export function readNrHugepages(): number {
  return Number.parseInt(fs.readFileSync(hugeFile('nr_hugepages'), 'utf8').trim(), 10)
}
function readFreeHugepages(): number {
  const f = hugeFile('free_hugepages')
  if (f) return Number.parseInt(fs.readFileSync(f, 'utf8').trim(), 10)
  const m = /HugePages_Free:\s+(\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'))
  return m ? Number(m[1]) : 0
}
function writeNrHugepages(n: number): void {
  fs.writeFileSync(hugeFile('nr_hugepages'), `${n}\n`)
}

/** True when the lab's hugetlbfs is mounted. */
export function isHugeMounted(): boolean {
  const target = labPaths().hugepages
  try {
    return fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => {
      const f = l.split(' ')
      return f[1] === target && f[2] === 'hugetlbfs'
    })
  } catch {
    return false
  }
}

/** Reserve and mount hugepages; returns false (after undoing what it did) when the kernel cannot provide them. */
async function setupHugepages(want: number, state: LabState): Promise<boolean> {
  const p = labPaths()
  try {
    const prev = readNrHugepages()
    const free = readFreeHugepages()
    if (free < want) {
      state.hugepagesPrev = prev
      writeState(state) // record before raising, so down() can always restore
      writeNrHugepages(prev + (want - free))
      const got = readFreeHugepages()
      if (got < want) {
        say(`hugepages: kernel reserved only ${got} free of ${want} needed; falling back to --no-huge`)
        writeNrHugepages(prev)
        delete state.hugepagesPrev
        writeState(state)
        return false
      }
    }
    await run(['mount', '-t', 'hugetlbfs', '-o', 'pagesize=2M', 'nodev', p.hugepages])
    state.mounted = true
    writeState(state)
    return true
  } catch (error) {
    say(`hugepages unavailable (${(error as Error).message.split('\n')[0]}); falling back to --no-huge`)
    if (state.hugepagesPrev !== undefined) {
      try {
        writeNrHugepages(state.hugepagesPrev)
      } catch {
        /* best effort; down() retries */
      }
      delete state.hugepagesPrev
    }
    writeState(state)
    return false
  }
}

// ---------------------------------------------------------------------------------------------
// up

export interface UpOptions {
  /** 'huge' (default; falls back to 'nohuge' when the kernel cannot reserve pages) or 'nohuge'. Env LAB_MEM. */
  mem?: LabMem
  /** 2 MiB pages to have free (default 160, env LAB_HUGEPAGES). */
  hugepages?: number
  /** other_config:pmd-maxsleep in µs (default 1000, env LAB_PMD_MAXSLEEP): frees CPU 1 when idle. */
  pmdMaxSleepUs?: number
}

export interface UpResult {
  alreadyUp: boolean
  mem: LabMem
  ms: number
}

/** True when the four namespaces exist and all four lab processes are alive. */
export async function isLabUp(): Promise<boolean> {
  const procs = labProcesses()
  if (procs.length !== labProcSpecs().length || procs.some((p) => !p.alive)) return false
  const ns = await existingNamespaces()
  return LAB_NAMESPACES.every((n) => ns.has(n))
}

async function hasLabTraces(): Promise<string[]> {
  const traces: string[] = []
  const ns = await existingNamespaces()
  for (const n of LAB_NAMESPACES) if (ns.has(n)) traces.push(`namespace ${n}`)
  for (const pr of labProcesses()) if (pr.alive) traces.push(`${pr.name} pid ${pr.pid}`)
  if (isHugeMounted()) traces.push('hugetlbfs mount')
  if (readState().hugepagesPrev !== undefined) traces.push('raised nr_hugepages')
  for (const d of DPDK_RUNTIME_DIRS) if (hasFile(d)) traces.push(d)
  traces.push(...(await extrasTraces()))
  return traces
}

export async function up(opts: UpOptions = {}): Promise<UpResult> {
  const t0 = Date.now()
  if (await isLabUp()) {
    say('lab is already up (run `down` first to rebuild it)')
    return {alreadyUp: true, mem: readState().mem ?? 'huge', ms: Date.now() - t0}
  }
  const gate = canRunLab()
  if (!gate.ok) throw new LabError(`cannot run the lab here: ${gate.reason}`)
  const traces = await hasLabTraces()
  if (traces.length > 0) {
    say(`found a half-built lab (${traces.join(', ')}); tearing it down first`)
    await down()
  }
  try {
    const mem = await build(opts)
    const ms = Date.now() - t0
    say(`lab up in ${ms} ms (${mem === 'huge' ? 'hugepages' : '--no-huge'}); mode: none (run \`break\` or \`fix\`)`)
    return {alreadyUp: false, mem, ms}
  } catch (error) {
    say(`up failed; relevant logs:\n${failureLogs(/dpdk-testpmd died/.test((error as Error).message))}`)
    say('tearing down what was built')
    try {
      await down()
    } catch (error2) {
      say(`down after failed up also failed: ${(error2 as Error).message}`)
    }
    throw error
  }
}

async function build(opts: UpOptions): Promise<LabMem> {
  const p = labPaths()
  for (const d of [p.dir, p.run, p.log, p.db, p.etc, p.bin, p.hugepages]) fs.mkdirSync(d, {recursive: true})
  for (const d of [p.run, p.db]) for (const f of fs.readdirSync(d)) fs.rmSync(path.join(d, f), {recursive: true, force: true})
  for (const f of [p.vswitchdLog, p.testpmdLog, path.join(p.log, 'ovsdb-server.log'), path.join(p.log, 'iperf3-host1.log')]) fs.rmSync(f, {force: true})

  const state: LabState = {startedAt: new Date().toISOString(), vm: requestedVm()}
  writeState(state)

  // memory
  let mem: LabMem = (opts.mem ?? (process.env.LAB_MEM === 'nohuge' ? 'nohuge' : 'huge'))
  const want = opts.hugepages ?? (Number(process.env.LAB_HUGEPAGES) || DEFAULT_HUGEPAGES)
  if (mem === 'huge' && !(await setupHugepages(want, state))) mem = 'nohuge'
  state.mem = mem
  writeState(state)
  say(`memory: ${mem === 'huge' ? `${want} x 2 MiB hugepages on ${p.hugepages}` : '--no-huge (memfd)'}`)

  // namespaces and the wire
  for (const ns of LAB_NAMESPACES) {
    await run(['ip', 'netns', 'add', ns])
    await nsExec(ns, ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'])
    await ipn(ns, 'link', 'set', 'lo', 'up')
  }
  await ipn('lab-wire', 'link', 'add', 'wire0', 'address', '02:00:00:00:ff:00', 'type', 'bridge')
  await ipn('lab-wire', 'link', 'set', 'wire0', 'up')
  const veths: Array<[string, LabNs, string, string, string]> = [
    ['dpdk0-veth', 'lab-host0', '02:00:00:00:d0:00', 'w-dpdk0', '02:00:00:00:ff:01'],
    [KERNEL_NIC, 'lab-host0', '02:00:00:00:0e:01', 'w-knic', '02:00:00:00:ff:02'],
    ['eth0', 'lab-host1', '02:00:00:00:20:20', 'w-host1', '02:00:00:00:ff:03'],
  ]
  for (const [name, ns, mac, peer, peerMac] of veths) {
    // both ends are created directly inside lab namespaces: nothing appears in the root namespace
    await run(['ip', 'link', 'add', name, 'netns', ns, 'address', mac, 'type', 'veth', 'peer', 'name', peer, 'netns', 'lab-wire', 'address', peerMac])
    await ipn('lab-wire', 'link', 'set', peer, 'master', 'wire0', 'up')
    await ipn(ns, 'link', 'set', name, 'up')
  }
  // veth TX checksum offload breaks TCP through net_af_packet (LAB.md §3.2-1)
  await nsExec('lab-host0', ['ethtool', '-K', KERNEL_NIC, 'tx', 'off'])
  await nsExec('lab-host1', ['ethtool', '-K', 'eth0', 'tx', 'off'])
  await ipn('lab-host0', 'addr', 'add', '172.16.0.1/24', 'dev', KERNEL_NIC)
  await ipn('lab-host1', 'addr', 'add', '172.16.0.2/24', 'dev', 'eth0')
  await ipn('lab-host1', 'addr', 'add', '10.10.1.20/24', 'dev', 'eth0')
  await nsExec('lab-host0', ['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2'])
  say('namespaces and wire ready')

  // OVS
  await run(['ovsdb-tool', 'create', p.dbFile, OVS_SCHEMA])
  await launchDaemon('ovsdb-server', [
    'ip', 'netns', 'exec', HOST_NS, 'ovsdb-server', p.dbFile, `--remote=punix:${p.dbSock}`,
    '--remote=db:Open_vSwitch,Open_vSwitch,manager_options', `--pidfile=${path.join(p.run, 'ovsdb-server.pid')}`,
    `--log-file=${path.join(p.log, 'ovsdb-server.log')}`, '--detach',
  ])
  await vsctl('--no-wait', 'init')
  await vsctl('--no-wait', 'set', 'Open_vSwitch', '.', ...LAB_OVS_IDENTITY)
  await vsctl('--no-wait', 'set', 'Open_vSwitch', '.', ...labDpdkConfig({
    mem, hugepageDir: p.hugepages, filePrefix: 'ovslab', lcoreMask: '0x1', pmdMask: '0x2', systemId: HOST_NS,
    maxSleepUs: opts.pmdMaxSleepUs ?? null,
  }))
  // through a symlink named ovs-vswitchd, so the control socket is ovs-vswitchd.<pid>.ctl (LAB.md §3.2-5)
  fs.rmSync(p.vswitchd, {force: true})
  fs.symlinkSync(OVS_DPDK_BINARY, p.vswitchd)
  await launchDaemon('ovs-vswitchd', [
    'ip', 'netns', 'exec', HOST_NS, p.vswitchd, `unix:${p.dbSock}`,
    `--pidfile=${path.join(p.run, 'ovs-vswitchd.pid')}`, `--log-file=${p.vswitchdLog}`, '--detach',
  ], 60_000)
  const init = (await vsctl('get', 'Open_vSwitch', '.', 'dpdk_initialized')).stdout.trim()
  if (init !== 'true') throw new LabError(`DPDK did not initialise in ovs-vswitchd (dpdk_initialized=${init})`)
  await vsctl('add-br', 'ovsbr0', '--', 'set', 'Bridge', 'ovsbr0', 'datapath_type=netdev', 'other_config:hwaddr=02:00:00:00:b0:00')
  await vsctl('add-port', 'ovsbr0', 'dpdk0', '--', 'set', 'Interface', 'dpdk0', 'type=dpdk', 'options:dpdk-devargs=net_af_packet0,iface=dpdk0-veth')
  say('ovs-vswitchd up: dpdk_initialized=true, ovsbr0 + dpdk0')
  if (state.vm === 'qemu') {
    await startQemuVm(state)
    await startRemoteIperf()
    return mem
  }

  // the VM: testpmd with a virtio-user server socket and a kernel tap in lab-vm0
  const memTestpmd = mem === 'huge'
    ? [`--huge-dir=${p.hugepages}`, '--in-memory', '--single-file-segments', '-m', '64']
    : ['--no-huge', '-m', '128']
  const testpmdArgv = [
    'netns', 'exec', VM_NS, 'stdbuf', '-oL', '-eL', 'dpdk-testpmd', '--lcores', '0@0,1@0', ...memTestpmd,
    '--no-pci', '--no-telemetry', '--file-prefix=vm0',
    // 1024-entry virtqueues, as FIELD E5 advises for real VMs: the "VM" shares CPU 0 with OVS's main
    // thread and iperf3, and with the default 256 OVS drops on a full ring whenever it is descheduled.
    `--vdev=net_virtio_user0,path=${p.vhostSock},server=1,queues=1,queue_size=1024,mac=02:00:00:00:10:11`,
    '--vdev=net_tap0,iface=vm0eth0,mac=02:00:00:00:10:10',
    '--', '--nb-cores=1', '--forward-mode=io', '--rxd=1024', '--txd=1024', '--total-num-mbufs=8192', '--stats-period=86400',
  ]
  const logFd = fs.openSync(p.testpmdLog, 'w')
  let testpmdExit: string | null = null
  try {
    const child = execa('ip', testpmdArgv, {
      env: baseEnv(), detached: true, cleanup: false, stdin: 'ignore', stdout: asFd(logFd), stderr: asFd(logFd), reject: false,
    })
    child.then((r) => {
      testpmdExit = `exit ${r.exitCode ?? r.signal}`
    }, () => {
      testpmdExit = 'failed'
    })
    child.unref()
    if (!child.pid) throw new LabError('could not spawn dpdk-testpmd')
    // `ip netns exec` and stdbuf exec(), so this PID becomes testpmd's
    fs.writeFileSync(path.join(p.run, 'testpmd-vm0.pid'), `${child.pid}\n`)
    const pid = child.pid
    const ealLines = () => `--- testpmd log ---\n${tail(p.testpmdLog, 20)}`
    const alive = () => {
      if (testpmdExit) throw new LabError(`dpdk-testpmd died (${testpmdExit}):\n${tail(p.testpmdLog, 20)}`)
      return true
    }
    await waitFor('dpdk-testpmd to exec', () => alive() && pidMatches(pid, 'dpdk-testpmd'), 10_000, ealLines)
    await waitFor(`vhost-user socket ${p.vhostSock}`, () => alive() && hasFile(p.vhostSock), 30_000, ealLines)
  } finally {
    fs.closeSync(logFd)
  }
  await vsctl('add-port', 'ovsbr0', 'vhost-user1', '--', 'set', 'Interface', 'vhost-user1', 'type=dpdkvhostuserclient', `options:vhost-server-path=${p.vhostSock}`)
  const tpid = readPid(path.join(p.run, 'testpmd-vm0.pid'))!
  const stillAlive = () => {
    if (!pidMatches(tpid, 'dpdk-testpmd')) throw new LabError(`dpdk-testpmd died:\n${tail(p.testpmdLog, 20)}`)
    return true
  }
  await waitFor('vm0eth0 in lab-vm0', async () => stillAlive() && (await run(['ip', '-n', VM_NS, 'link', 'show', 'vm0eth0'], {check: false})).exitCode === 0, 30_000,
    () => tail(p.testpmdLog, 20))
  await waitFor('vhost-user1 link up', async () => stillAlive() && (await vsctl('get', 'Interface', 'vhost-user1', 'link_state')).stdout.trim() === 'up', 30_000,
    () => `${tail(p.testpmdLog, 20)}\n${tail(p.vswitchdLog, 15, /vhost|VHOST|ERR/)}`)
  await ipn(VM_NS, 'link', 'set', 'vm0eth0', 'up')
  const rate = labVmRate()
  if (rate) await run(['ip', 'netns', 'exec', VM_NS, 'tc', 'qdisc', 'replace', 'dev', 'vm0eth0', 'root', 'tbf', 'rate', rate, 'burst', '256kb', 'latency', '50ms'])
  say(`VM up: testpmd virtio-user <-> vhost-user1 connected, vm0eth0 up (${rate ? `shaped to ${rate}` : 'unshaped'})`)

  await launchDaemon('iperf3-host1', ['ip', 'netns', 'exec', REMOTE_NS, 'iperf3', '-s', '-D', '-I', path.join(p.run, 'iperf3-host1.pid'),
    '--logfile', path.join(p.log, 'iperf3-host1.log')])
  await waitFor('iperf3 -s pidfile', () => {
    const pid = readPid(path.join(p.run, 'iperf3-host1.pid'))
    return pid !== null && pidMatches(pid, 'iperf3')
  }, 10_000, () => tail(path.join(p.log, 'iperf3-host1.log'), 10))
  return mem
}

// ---------------------------------------------------------------------------------------------
// break / fix

async function requireUp(): Promise<void> {
  if (!(await isLabUp())) throw new LabError('the lab is not up (run `npm run lab -- up`)')
}

async function resetL3(): Promise<void> {
  await ipn('lab-host0', 'addr', 'flush', 'dev', 'ovsbr0')
  await ipn('lab-host0', 'link', 'set', 'ovsbr0', 'up')
  if (labVmKind() === 'qemu') {
    await guestNet(null, null)
  } else {
    await ipn(VM_NS, 'addr', 'flush', 'dev', 'vm0eth0')
    await ipn(VM_NS, 'route', 'flush', 'dev', 'vm0eth0')
  }
  await run(['ip', '-n', REMOTE_NS, 'route', 'del', '192.168.100.0/24'], {check: false})
  for (const ns of ['lab-host0', 'lab-host1', 'lab-vm0'] as const) await ipn(ns, 'neigh', 'flush', 'all')
  if (labVmKind() === 'qemu') await guestExec(['ip', 'neigh', 'flush', 'all'])
  await ovs('ovs-appctl', ['fdb/flush', 'ovsbr0'])
}

async function verifyPing(target: string): Promise<void> {
  let last: RunResult | null = null
  for (let attempt = 0; attempt < 3; attempt++) {
    last = labVmKind() === 'qemu'
      ? await guestPing(target)
      : await nsExec(VM_NS, ['ping', '-c', '3', '-i', '0.2', '-W', '2', target], {check: false, timeoutMs: 15_000})
    if (last.exitCode === 0) return
  }
  throw new LabError(`ping ${target} from the VM failed: ${(last?.stdout ?? '').split('\n').slice(-3).join(' | ')}`)
}

/** BROKEN: IPs on ovsbr0, the VM routes through host0's kernel, traffic leaves via the kernel NIC. */
export async function breakHost(): Promise<{ms: number}> {
  const t0 = Date.now()
  await requireUp()
  await resetL3()
  await ipn('lab-host0', 'addr', 'add', '192.168.100.1/24', 'dev', 'ovsbr0')
  await ipn('lab-host0', 'addr', 'add', '10.10.1.1/24', 'dev', 'ovsbr0')
  if (labVmKind() === 'qemu') {
    await guestNet('192.168.100.10/24', '192.168.100.1')
  } else {
    await ipn(VM_NS, 'addr', 'add', '192.168.100.10/24', 'dev', 'vm0eth0')
    await ipn(VM_NS, 'route', 'add', 'default', 'via', '192.168.100.1')
  }
  await ipn(REMOTE_NS, 'route', 'add', '192.168.100.0/24', 'via', '172.16.0.1')
  await ovs('ovs-appctl', ['dpif-netdev/pmd-stats-clear'])
  await verifyPing(LAB_TARGETS.broken)
  const ms = Date.now() - t0
  say(`mode: broken (ovsbr0 192.168.100.1/24 + 10.10.1.1/24; VM 192.168.100.10 -> ${LAB_TARGETS.broken}) in ${ms} ms`)
  return {ms}
}

/** FIXED: pure L2, no IP on ovsbr0; the VM reaches 10.10.1.20 through vhost-user1 <-> ovsbr0 <-> dpdk0. */
export async function fixHost(): Promise<{ms: number}> {
  const t0 = Date.now()
  await requireUp()
  await resetL3()
  if (labVmKind() === 'qemu') await guestNet('10.10.1.10/24', null)
  else await ipn(VM_NS, 'addr', 'add', '10.10.1.10/24', 'dev', 'vm0eth0')
  await ovs('ovs-appctl', ['dpif-netdev/pmd-stats-clear'])
  await verifyPing(LAB_TARGETS.fixed)
  const ms = Date.now() - t0
  say(`mode: fixed (no IP on ovsbr0; VM 10.10.1.10 -> ${LAB_TARGETS.fixed}) in ${ms} ms`)
  return {ms}
}

// ---------------------------------------------------------------------------------------------
// status and counters

export interface LabStatus {
  up: boolean
  namespaces: Record<string, boolean>
  processes: LabProcess[]
  mem: LabMem | null
  dpdkInitialized: boolean | null
  vhostLinkState: string | null
  mode: LabMode | 'none' | null
  hugepagesMounted: boolean
  /** The VM NIC's shaping (tbf rate on vm0eth0), 'none', or null when unknown. */
  vmNicRate: string | null
  /** The VM kind (testpmd, or qemu with a real guest kernel). */
  vm: LabVm
  /** LAB_VM=qemu: the accelerator (kvm or tcg) and why, the queue pairs. */
  accel: string | null
  queues: number | null
}

/** The tbf rate on the VM's NIC as tc reports it ("1Gbit"), 'none' without one, null when unreadable. */
async function vmNicRate(): Promise<string | null> {
  const r = await run(['ip', 'netns', 'exec', VM_NS, 'tc', 'qdisc', 'show', 'dev', 'vm0eth0'], {check: false, timeoutMs: 5_000})
  if (r.exitCode !== 0) return null
  return /\btbf\b.*\brate (\S+)/.exec(r.stdout)?.[1] ?? 'none'
}

async function ipv4s(ns: LabNs, dev: string): Promise<string[] | null> {
  const r = await run(['ip', '-n', ns, '-j', '-4', 'addr', 'show', 'dev', dev], {check: false, timeoutMs: 5_000})
  if (r.exitCode !== 0) return null
  try {
    const j = JSON.parse(r.stdout || '[]') as Array<{addr_info?: Array<{local?: string}>}>
    return j.flatMap((i) => (i.addr_info ?? []).map((a) => a.local ?? '')).filter(Boolean)
  } catch {
    return null
  }
}

/** The current configuration, read from the live addresses (not from bookkeeping). */
export async function currentMode(): Promise<LabMode | 'none' | null> {
  const br = await ipv4s('lab-host0', 'ovsbr0')
  const vm = labVmKind() === 'qemu' ? await guestIpv4s() : await ipv4s(VM_NS, 'vm0eth0')
  if (br === null || vm === null) return null
  if (br.includes('192.168.100.1') && vm.includes('192.168.100.10')) return 'broken'
  if (br.length === 0 && vm.includes('10.10.1.10')) return 'fixed'
  return 'none'
}

export async function status(): Promise<LabStatus> {
  const ns = await existingNamespaces()
  const namespaces = Object.fromEntries(LAB_NAMESPACES.map((n) => [n, ns.has(n)]))
  const processes = labProcesses()
  const upNow = Object.values(namespaces).every(Boolean) && processes.length === labProcSpecs().length && processes.every((p) => p.alive)
  const st: LabStatus = {
    up: upNow, namespaces, processes, mem: readState().mem ?? null,
    dpdkInitialized: null, vhostLinkState: null, mode: null, hugepagesMounted: isHugeMounted(), vmNicRate: null,
    vm: labVmKind(), accel: readState().accel ? `${readState().accel} (${readState().accelWhy ?? ''})` : null, queues: readState().queues ?? null,
  }
  const vswitchd = processes.find((p) => p.name === 'ovs-vswitchd')
  if (ns.has(HOST_NS) && vswitchd?.alive) {
    const init = await vsctl('get', 'Open_vSwitch', '.', 'dpdk_initialized').catch(() => null)
    st.dpdkInitialized = init ? init.stdout.trim() === 'true' : null
    const link = await vsctl('get', 'Interface', 'vhost-user1', 'link_state').catch(() => null)
    st.vhostLinkState = link ? link.stdout.trim().replace(/"/g, '') : null
  }
  if (ns.has(HOST_NS) && ns.has(VM_NS)) st.mode = await currentMode()
  if (ns.has(VM_NS) && st.vm === 'testpmd') st.vmNicRate = await vmNicRate()
  return st
}

export function formatStatus(s: LabStatus): string {
  const lines = [
    `lab: ${s.up ? 'UP' : 'DOWN'}  (dir ${labPaths().dir})`,
    `namespaces: ${Object.entries(s.namespaces).map(([n, ok]) => `${n}=${ok ? 'yes' : 'no'}`).join(' ')}`,
    `processes: ${s.processes.length ? s.processes.map((p) => `${p.name}[${p.pid}]=${p.alive ? 'alive' : 'gone'}`).join(' ') : 'none recorded'}`,
    `memory: ${s.mem ?? '-'}${s.hugepagesMounted ? ' (hugetlbfs mounted)' : ''}`,
    `dpdk_initialized: ${s.dpdkInitialized ?? '-'}`,
    `vhost-user1 link_state: ${s.vhostLinkState ?? '-'}`,
    `mode: ${s.mode ?? '-'}`,
    `VM NIC (vm0eth0) shaped: ${s.vmNicRate ?? '-'}`,
    `VM: ${s.vm}${s.vm === 'qemu' ? ` (accel ${s.accel ?? '-'}, ${s.queues ?? '-'} queue pairs)` : ''}`,
  ]
  return lines.join('\n')
}

export interface PortCounters {
  rx: number
  tx: number
}
export interface LabCounters {
  dpdk0: PortCounters
  vhost: PortCounters
  knic: PortCounters
}

/** Live packet counters: `ovs-ofctl dump-ports ovsbr0 <port>` for dpdk0 and vhost-user1, sysfs for the kernel NIC. */
export async function readCounters(): Promise<LabCounters> {
  const port = async (name: string): Promise<PortCounters> => {
    const r = await ovs('ovs-ofctl', ['dump-ports', 'ovsbr0', name])
    const rx = /rx pkts=(\d+)/.exec(r.stdout)
    const tx = /tx pkts=(\d+)/.exec(r.stdout)
    if (!rx || !tx) throw new LabError(`cannot parse ovs-ofctl dump-ports ovsbr0 ${name}: ${r.stdout}`)
    return {rx: Number(rx[1]), tx: Number(tx[1])}
  }
  const sysfs = async (name: 'rx_packets' | 'tx_packets') =>
    Number((await nsExec(HOST_NS, ['cat', `/sys/class/net/${KERNEL_NIC}/statistics/${name}`])).stdout.trim())
  return {
    dpdk0: await port('dpdk0'),
    vhost: await port('vhost-user1'),
    knic: {rx: await sysfs('rx_packets'), tx: await sysfs('tx_packets')},
  }
}

export function counterDelta(a: LabCounters, b: LabCounters): LabCounters {
  const d = (x: PortCounters, y: PortCounters) => ({rx: y.rx - x.rx, tx: y.tx - x.tx})
  return {dpdk0: d(a.dpdk0, b.dpdk0), vhost: d(a.vhost, b.vhost), knic: d(a.knic, b.knic)}
}

// ---------------------------------------------------------------------------------------------
// down

export interface DownResult {
  killed: Array<{name: string; pid: number; signal: 'SIGTERM' | 'SIGKILL'}>
  namespacesDeleted: string[]
  ms: number
}

export async function down(): Promise<DownResult> {
  const t0 = Date.now()
  const p = labPaths()
  const result: DownResult = {killed: [], namespacesDeleted: [], ms: 0}
  const problems: string[] = []

  // 0. what an extension of the lab recorded (the two-host lab's second host, sshd, lab-ops)
  await downExtras(result, problems)

  // 1. processes: only recorded PIDs whose comm still matches
  problems.push(...(await terminate(labProcesses().filter((pr) => pr.alive), result.killed)))

  // 2. namespaces: only the four lab ones
  const ns = await existingNamespaces()
  for (const n of LAB_NAMESPACES) {
    if (!ns.has(n)) continue
    const r = await run(['ip', 'netns', 'del', n], {check: false, timeoutMs: 10_000})
    if (r.exitCode === 0) result.namespacesDeleted.push(n)
    else problems.push(`ip netns del ${n}: ${r.stderr.trim()}`)
  }

  // 3. hugepages: unmount, then give back what the lab reserved
  if (isHugeMounted()) {
    let r: RunResult | null = null
    for (let i = 0; i < 20; i++) {
      r = await run(['umount', p.hugepages], {check: false, timeoutMs: 10_000})
      if (r.exitCode === 0 || !isHugeMounted()) break
      await sleep(100)
    }
    if (isHugeMounted()) problems.push(`umount ${p.hugepages}: ${r?.stderr.trim() ?? ''}`)
  }
  const state = readState()
  if (state.hugepagesPrev !== undefined) {
    try {
      writeNrHugepages(state.hugepagesPrev)
      delete state.hugepagesPrev
    } catch (error) {
      problems.push(`restoring nr_hugepages=${state.hugepagesPrev}: ${(error as Error).message}`)
    }
  }

  // 4. DPDK runtime dirs of the two EAL prefixes, and the lab's run/db state (logs stay)
  for (const d of DPDK_RUNTIME_DIRS) fs.rmSync(d, {recursive: true, force: true})
  try {
    fs.rmdirSync('/var/run/dpdk')
  } catch {
    /* not empty or absent */
  }
  for (const d of [p.run, p.db]) {
    if (!hasFile(d)) continue
    for (const f of fs.readdirSync(d)) fs.rmSync(path.join(d, f), {recursive: true, force: true})
  }
  if (problems.length === 0) fs.rmSync(p.state, {force: true})
  else if (hasFile(p.dir)) writeState(state)

  result.ms = Date.now() - t0
  if (problems.length > 0) throw new LabError(`down left things behind:\n${problems.join('\n')}`)
  if (result.killed.length > 0 || result.namespacesDeleted.length > 0) {
    say(`lab down in ${result.ms} ms (stopped ${result.killed.filter((k) => k.signal === 'SIGTERM').map((k) => k.name).join(', ') || 'nothing'}; removed ${result.namespacesDeleted.length} namespaces)`)
  } else {
    say(`nothing to tear down (${result.ms} ms)`)
  }
  return result
}

// ---------------------------------------------------------------------------------------------
// LAB_VM=qemu: a real guest kernel behind vhost-user1 (issue 13; qemu.ts, initramfs.ts)

export type LabVm = 'testpmd' | 'qemu'

const QEMU_PROC: ProcSpec = {name: 'qemu-vm0', pidfile: 'qemu-vm0.pid', comm: QEMU_COMM}
/** Guest RAM (memfd, shared with OVS) and vCPUs: 2 vCPUs so virtio-net enables 2 queue pairs by itself. */
const QEMU_MEM_MIB = 512
const QEMU_VCPUS = 2
/** A guest on KVM that has not printed its ready line by then is taken as hung (nested KVM): TCG instead. */
const KVM_BOOT_TIMEOUT_MS = 30_000
const TCG_BOOT_TIMEOUT_MS = 120_000
/** The guest's iperf3 is capped: TCG is slow and shares 2 cores with OVS's PMD. */
export const GUEST_IPERF_CAP = '200M'

/** LAB_VM as asked for at `up` (testpmd unless LAB_VM=qemu). */
function requestedVm(): LabVm {
  const v = (process.env.LAB_VM ?? 'testpmd').trim()
  if (v !== 'qemu' && v !== 'testpmd') throw new LabError(`LAB_VM must be testpmd or qemu, not "${v}"`)
  return v
}

/** The VM kind of the lab that is (or was last) built; LAB_VM when none is recorded. */
export function labVmKind(): LabVm {
  return readState().vm ?? requestedVm()
}

/** The processes a lab of this VM kind runs (testpmd or QEMU as the VM). */
function labProcSpecs(): readonly ProcSpec[] {
  return labVmKind() === 'qemu' ? PROCS.map((s) => (s.name === 'testpmd-vm0' ? QEMU_PROC : s)) : PROCS
}

function labQemuPaths() {
  const p = labPaths()
  return qemuPaths(p.run, p.log)
}

/** Run argv in the QEMU guest (LAB_VM=qemu) over its control socket; never throws on a non-zero exit. */
export async function guestExec(argv: readonly string[], opts: {timeoutMs?: number} = {}): Promise<GuestResult> {
  if (labVmKind() !== 'qemu') throw new LabError('guestExec needs the QEMU guest (LAB_VM=qemu npm run lab -- up)')
  return guestExecAt(labQemuPaths().ctlSock, argv, opts.timeoutMs ?? 30_000)
}

/**
 * argv of a host command that runs iperf3 in the guest and prints its output (for diagnose --load:
 * a plain command line, no shell): node + tsx + guest-exec.ts, all by absolute path.
 */
export function guestIperfArgv(target: string, seconds: number, bandwidth?: string, parallel?: number): string[] {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const tsx = path.resolve(here, '..', '..', 'node_modules', 'tsx', 'dist', 'cli.mjs')
  return [process.execPath, tsx, path.join(here, 'guest-exec.ts'), 'iperf3', '-c', target, '-t', String(seconds),
    '-b', bandwidth ?? GUEST_IPERF_CAP, ...(parallel ? ['-P', String(parallel)] : []), '-J']
}

/** Replace the guest NIC's address and default route (null: none). */
async function guestNet(address: string | null, gateway: string | null): Promise<void> {
  const script = [
    `ip addr flush dev ${GUEST_NIC}`, `ip route flush dev ${GUEST_NIC}`,
    ...(address ? [`ip addr add ${address} dev ${GUEST_NIC}`] : []),
    ...(gateway ? [`ip route add default via ${gateway}`] : []),
  ].join(' && ')
  const r = await guestExec(['sh', '-c', script])
  if (r.exitCode !== 0) throw new LabError(`guest network (${address ?? 'no address'}, gw ${gateway ?? 'none'}): exit ${r.exitCode}: ${r.output.trim()}`)
}

/**
 * A guest command that gets no answer is a failed attempt, not the end: verifyPing tries again (a
 * CI run's TCG guest once left one ping unanswered for 20 s right after boot, then answered).
 */
async function guestPing(target: string): Promise<RunResult> {
  try {
    const r = await guestExec(['ping', '-c', '3', '-i', '0.2', '-W', '2', target], {timeoutMs: 20_000})
    return {exitCode: r.exitCode, stdout: r.output, stderr: '', timedOut: false}
  } catch (error) {
    return {exitCode: -1, stdout: (error as Error).message, stderr: '', timedOut: true}
  }
}

async function guestIpv4s(): Promise<string[] | null> {
  const r = await guestExec(['ip', '-4', '-o', 'addr', 'show', 'dev', GUEST_NIC]).catch(() => null)
  if (!r || r.exitCode !== 0) return null
  return [...r.output.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!)
}

/**
 * Start QEMU as the vhost-user server, connect OVS's vhost-user1 to it, and wait for the guest.
 * KVM where it opens (falling back to TCG when the guest does not come up on it), TCG otherwise.
 */
async function startQemuVm(state: LabState): Promise<void> {
  const p = labPaths()
  const qp = labQemuPaths()
  const guest = await prepareGuest(qp, say)
  const picked = pickAccel()
  state.queues = qemuQueues()
  let accel = picked.accel
  state.accelWhy = picked.why
  for (;;) {
    state.accel = accel
    writeState(state)
    try {
      await bootQemu(guest.kernel, accel, state.queues, null)
      break
    } catch (error) {
      if (accel !== 'kvm' || process.env.LAB_QEMU_ACCEL === 'kvm') throw error
      say(`guest did not come up on KVM (${(error as Error).message.split('\n')[0]}); retrying with TCG`)
      await stopLabProcesses(['qemu-vm0'])
      accel = 'tcg'
      state.accelWhy = `KVM opened but the guest did not boot on it within ${KVM_BOOT_TIMEOUT_MS / 1000} s`
    }
  }
  const hasPort = (await vsctl('--if-exists', 'get', 'Interface', 'vhost-user1', 'name')).stdout.trim() !== ''
  if (!hasPort) throw new LabError('vhost-user1 missing after the guest booted')
  say(`VM up: QEMU (${state.accel}, ${state.queues} queue pairs, ${QEMU_VCPUS} vCPUs) <-> vhost-user1 connected, guest ${GUEST_NIC} up; control ${qp.ctlSock}; run dir ${p.run}`)
}

let guestKernelCache: Awaited<ReturnType<typeof prepareGuest>>['kernel'] | null = null

async function bootQemu(kernel: Awaited<ReturnType<typeof prepareGuest>>['kernel'], accel: QemuAccel, queues: number, net: {ip: string; gw: string | null} | null): Promise<{bootMs: number}> {
  guestKernelCache = kernel
  const p = labPaths()
  const qp = labQemuPaths()
  for (const f of [qp.consoleLog, qp.ctlSock, p.vhostSock]) fs.rmSync(f, {force: true})
  const t0 = Date.now()
  const argv = qemuArgv({accel, queues, vcpus: QEMU_VCPUS, memMiB: QEMU_MEM_MIB, vhostSock: p.vhostSock, kernel, paths: qp, ip: net?.ip ?? null, gw: net?.gw ?? null})
    .filter((a, i, all) => a !== '-pidfile' && all[i - 1] !== '-pidfile') // the lab writes the pidfile itself, as for testpmd
  const q = spawnQemu(VM_NS, argv, qp.qemuLog, baseEnv())
  fs.writeFileSync(path.join(p.run, QEMU_PROC.pidfile), `${q.pid}\n`)
  const logs = () => `--- ${qp.qemuLog} ---\n${tail(qp.qemuLog, 10)}\n--- ${qp.consoleLog} (last 15) ---\n${tail(qp.consoleLog, 15)}`
  const alive = () => {
    const exit = q.exited()
    if (exit) throw new LabError(`QEMU died (${exit}):\n${logs()}`)
    return true
  }
  await waitFor('QEMU to exec', () => alive() && pidMatches(q.pid, QEMU_COMM), 10_000, logs)
  // QEMU waits for the vhost-user client before it starts the guest
  await waitFor(`vhost-user socket ${p.vhostSock}`, () => alive() && hasFile(p.vhostSock), 30_000, logs)
  const hasPort = (await vsctl('--if-exists', 'get', 'Interface', 'vhost-user1', 'name')).stdout.trim() !== ''
  if (!hasPort) {
    await vsctl('add-port', 'ovsbr0', 'vhost-user1', '--', 'set', 'Interface', 'vhost-user1', 'type=dpdkvhostuserclient', `options:vhost-server-path=${p.vhostSock}`)
  }
  await waitFor(`the guest's ready line on its console (${accel})`, () => alive() && guestReadyLine(qp.consoleLog) !== null,
    accel === 'kvm' ? KVM_BOOT_TIMEOUT_MS : TCG_BOOT_TIMEOUT_MS, logs)
  await waitGuestControl(qp.ctlSock, 30_000)
  await waitFor('vhost-user1 link up', async () => alive() && (await vsctl('get', 'Interface', 'vhost-user1', 'link_state')).stdout.trim() === 'up', 30_000,
    () => `${logs()}\n${tail(p.vswitchdLog, 15, /vhost|VHOST|ERR/)}`)
  const bootMs = Date.now() - t0
  say(`guest booted (${accel}) in ${(bootMs / 1000).toFixed(1)} s`)
  return {bootMs}
}

/** iperf3 -s on host1 (the VM's target), as build() starts it for testpmd. */
async function startRemoteIperf(): Promise<void> {
  const p = labPaths()
  await launchDaemon('iperf3-host1', ['ip', 'netns', 'exec', REMOTE_NS, 'iperf3', '-s', '-D', '-I', path.join(p.run, 'iperf3-host1.pid'),
    '--logfile', path.join(p.log, 'iperf3-host1.log')])
  await waitFor('iperf3 -s pidfile', () => {
    const pid = readPid(path.join(p.run, 'iperf3-host1.pid'))
    return pid !== null && pidMatches(pid, 'iperf3')
  }, 10_000, () => tail(path.join(p.log, 'iperf3-host1.log'), 10))
}

/**
 * Restart the QEMU guest (a new driver probe: it negotiates virtio features with OVS again, as a
 * VM restart does), in the current configuration. Returns the boot time.
 */
export async function restartGuest(): Promise<{bootMs: number}> {
  if (labVmKind() !== 'qemu') throw new LabError('restartGuest needs the QEMU guest (LAB_VM=qemu)')
  const mode = await currentMode()
  await stopLabProcesses(['qemu-vm0'])
  return bootGuestIn(mode)
}

/** Boot the (stopped) QEMU guest again and put it back in `mode`. */
async function bootGuestIn(mode: LabMode | 'none' | null): Promise<{bootMs: number}> {
  const state = readState()
  const kernel = guestKernelCache ?? (await ensureGuestKernel(say))
  // the guest's /init sets the address from its command line; break/fix then reset and check it
  const net = mode === 'broken' ? {ip: '192.168.100.10/24', gw: '192.168.100.1'} : mode === 'fixed' ? {ip: '10.10.1.10/24', gw: null} : null
  const r = await bootQemu(kernel, state.accel ?? 'tcg', state.queues ?? qemuQueues(), net)
  if (mode === 'broken') await breakHost()
  else if (mode === 'fixed') await fixHost()
  return r
}

/**
 * Restart ovs-vswitchd on the same database (for settings read only at start, e.g.
 * userspace-tso-enable). With the QEMU guest, the guest is stopped first and booted again after:
 * QEMU 7.2 does not take a new vhost-user client back once the offered features changed ("vhost VQ
 * 2 ring restore failed"), and its connect/close loop with the new ovs-vswitchd used up DPDK's
 * vhost device slots ("failed to allocate memory for new device"): a VM restart, as the fix says.
 */
export async function restartVswitchd(): Promise<{ms: number; guestBootMs: number | null}> {
  const t0 = Date.now()
  const p = labPaths()
  const qemu = labVmKind() === 'qemu'
  const mode = qemu ? await currentMode() : null
  if (qemu) await stopLabProcesses(['qemu-vm0'])
  await stopLabProcesses(['ovs-vswitchd'])
  await launchDaemon('ovs-vswitchd', [
    'ip', 'netns', 'exec', HOST_NS, p.vswitchd, `unix:${p.dbSock}`,
    `--pidfile=${path.join(p.run, 'ovs-vswitchd.pid')}`, `--log-file=${p.vswitchdLog}`, '--detach',
  ], 60_000)
  await waitFor('dpdk_initialized=true after the restart', async () => (await vsctl('get', 'Open_vSwitch', '.', 'dpdk_initialized')).stdout.trim() === 'true', 30_000)
  const ms = Date.now() - t0
  let guestBootMs: number | null = null
  if (qemu) {
    guestBootMs = (await bootGuestIn(mode)).bootMs
  } else {
    await waitFor('vhost-user1 link up after the restart', async () => (await vsctl('get', 'Interface', 'vhost-user1', 'link_state')).stdout.trim() === 'up', 30_000,
      () => tail(p.vswitchdLog, 15, /vhost|VHOST|ERR/))
  }
  say(`ovs-vswitchd restarted in ${ms} ms${guestBootMs === null ? '' : `, the guest booted again in ${(guestBootMs / 1000).toFixed(1)} s`}`)
  return {ms, guestBootMs}
}
// extras: what an extension of the lab (test/lab/two-host.ts) started or made, recorded in
// $LAB_DIR/extras.json so that down() (from any process, even one that never loaded the
// extension) stops and removes it first: processes by pidfile + /proc/PID/comm, namespaces,
// mounts, paths.

export interface LabExtraProcess {
  name: string
  pidfile: string
  comm: string
  /** Also end the process's descendants with the same comm (sshd's per-connection processes). */
  tree?: boolean
}
export interface LabExtras {
  processes: LabExtraProcess[]
  namespaces: string[]
  /** Mount points to unmount (a second hugetlbfs, persistent UTS namespaces). */
  mounts: string[]
  /** Files and directories to remove last (DPDK runtime dirs, /etc/netns/<ns>, a /run/sshd the lab made). */
  paths: string[]
}

const extrasFile = () => path.join(labPaths().dir, 'extras.json')

export function readLabExtras(): LabExtras {
  try {
    const j = JSON.parse(fs.readFileSync(extrasFile(), 'utf8')) as Partial<LabExtras>
    return {processes: j.processes ?? [], namespaces: j.namespaces ?? [], mounts: j.mounts ?? [], paths: j.paths ?? []}
  } catch {
    return {processes: [], namespaces: [], mounts: [], paths: []}
  }
}

/** Add to what down() must undo (written before the thing is made, so a crash leaves it recorded). */
export function recordLabExtras(add: Partial<LabExtras>): void {
  const e = readLabExtras()
  const union = <T>(a: T[], b: T[] | undefined, key: (x: T) => string) => {
    const seen = new Set(a.map(key))
    return [...a, ...(b ?? []).filter((x) => !seen.has(key(x)))]
  }
  const next: LabExtras = {
    processes: union(e.processes, add.processes, (x) => x.pidfile),
    namespaces: union(e.namespaces, add.namespaces, String),
    mounts: union(e.mounts, add.mounts, String),
    paths: union(e.paths, add.paths, String),
  }
  fs.mkdirSync(labPaths().dir, {recursive: true})
  fs.writeFileSync(extrasFile(), JSON.stringify(next, null, 2) + '\n')
}

function isMountPoint(target: string): boolean {
  try {
    return fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === target)
  } catch {
    return false
  }
}

/** Live descendants of pid whose comm is `comm` (read-only scan of /proc). */
export function descendantsWithComm(pid: number, comm: string): number[] {
  const parent = new Map<number, number>()
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8')
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = []
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp === p && pidMatches(child, comm)) {
        out.push(child)
        walk(child)
      }
    }
  }
  walk(pid)
  return out
}

/** What the lab sets on each host's Open_vSwitch row to look like the seed's host (OVS 3.1 on Debian 12). */
export const LAB_OVS_IDENTITY = ['ovs_version=3.1.0', 'db_version=8.3.1', 'system_type=debian', 'system_version=12'] as const

/**
 * A lab host's DPDK settings: its own memory (hugetlbfs dir, or no hugepages), DPDK file prefix,
 * cores, PMD sleep (LAB_PMD_MAXSLEEP, default 1000 us: two PMDs on two cores must fit) and identity.
 */
export function labDpdkConfig(o: {mem: LabMem; hugepageDir: string; filePrefix: string; lcoreMask: string; pmdMask: string; systemId: string; maxSleepUs: number | null}): string[] {
  const maxSleep = o.maxSleepUs ?? (process.env.LAB_PMD_MAXSLEEP !== undefined ? Number(process.env.LAB_PMD_MAXSLEEP) : 1000)
  const memArgs = o.mem === 'huge'
    ? [`other_config:dpdk-hugepage-dir=${o.hugepageDir}`, 'other_config:dpdk-socket-mem=128', 'other_config:dpdk-socket-limit=192', `other_config:dpdk-extra=--file-prefix=${o.filePrefix} --no-pci`]
    // OVS 3.1 appends --in-memory unless --legacy-mem is given, and --no-huge implies legacy memory (LAB.md §3.2-3)
    : [`other_config:dpdk-extra=--file-prefix=${o.filePrefix} --no-pci --no-huge --legacy-mem -m 256`]
  return [
    'other_config:dpdk-init=true', `other_config:dpdk-lcore-mask=${o.lcoreMask}`, `other_config:pmd-cpu-mask=${o.pmdMask}`, ...memArgs,
    'other_config:pmd-perf-metrics=true', `other_config:pmd-maxsleep=${maxSleep}`, `external_ids:system-id=${o.systemId}`, `external_ids:hostname=${o.systemId}`,
  ]
}

/** Stop recorded extra processes (and, with tree, their same-comm descendants): SIGTERM, SIGKILL after 5 s. */
export async function stopExtraProcesses(procs: readonly LabExtraProcess[], killed?: DownResult['killed']): Promise<string[]> {
  const targets: Array<{name: string; pid: number; comm: string}> = []
  for (const pr of procs) {
    const pid = readPid(pr.pidfile)
    if (pid === null || !pidMatches(pid, pr.comm)) continue
    const kids = pr.tree ? descendantsWithComm(pid, pr.comm) : []
    targets.push({name: pr.name, pid, comm: pr.comm}, ...kids.map((k) => ({name: `${pr.name} child`, pid: k, comm: pr.comm})))
  }
  const problems = await terminate(targets, killed)
  for (const pr of procs) fs.rmSync(pr.pidfile, {force: true})
  return problems
}

/**
 * Ends processes the lab started, by PID, only while their comm still matches (never a recycled
 * PID): SIGTERM, SIGKILL after 5 s; what survives that is named in the returned problems.
 */
async function terminate(targets: ReadonlyArray<{name: string; pid: number; comm: string}>, killed?: DownResult['killed']): Promise<string[]> {
  const signal = (list: typeof targets, sig: 'SIGTERM' | 'SIGKILL') => {
    for (const t of list) {
      try {
        process.kill(t.pid, sig)
        killed?.push({name: t.name, pid: t.pid, signal: sig})
      } catch {
        /* already gone */
      }
    }
  }
  const alive = () => targets.filter((t) => pidMatches(t.pid, t.comm))
  const waitGone = async (ms: number) => {
    const deadline = Date.now() + ms
    while (alive().length > 0 && Date.now() < deadline) await sleep(50)
  }
  signal(targets, 'SIGTERM')
  await waitGone(5_000)
  signal(alive(), 'SIGKILL')
  await waitGone(3_000)
  return alive().map((t) => `${t.name} pid ${t.pid} survived SIGKILL`)
}

async function downExtras(result: DownResult, problems: string[]): Promise<void> {
  const e = readLabExtras()
  if (e.processes.length + e.namespaces.length + e.mounts.length + e.paths.length === 0) return
  problems.push(...(await stopExtraProcesses(e.processes, result.killed)))
  const ns = await existingNamespaces()
  for (const n of e.namespaces) {
    if (!ns.has(n)) continue
    const r = await run(['ip', 'netns', 'del', n], {check: false, timeoutMs: 10_000})
    if (r.exitCode === 0) result.namespacesDeleted.push(n)
    else problems.push(`ip netns del ${n}: ${r.stderr.trim()}`)
  }
  for (const m of e.mounts) {
    for (let i = 0; i < 20 && isMountPoint(m); i++) {
      await run(['umount', m], {check: false, timeoutMs: 10_000})
      if (isMountPoint(m)) await sleep(100)
    }
    if (isMountPoint(m)) problems.push(`umount ${m} failed`)
  }
  for (const f of e.paths) fs.rmSync(f, {recursive: true, force: true})
  if (problems.length === 0) fs.rmSync(extrasFile(), {force: true})
}

async function extrasTraces(): Promise<string[]> {
  const e = readLabExtras()
  const traces: string[] = []
  const ns = await existingNamespaces()
  for (const n of e.namespaces) if (ns.has(n)) traces.push(`namespace ${n}`)
  for (const pr of e.processes) {
    const pid = readPid(pr.pidfile)
    if (pid !== null && pidMatches(pid, pr.comm)) traces.push(`${pr.name} pid ${pid}`)
  }
  for (const m of e.mounts) if (isMountPoint(m)) traces.push(`mount ${m}`)
  return traces
}

// Primitives the two-host lab (test/lab/two-host.ts) builds on.
export {run as labRun, waitFor as labWaitFor, readPid as labReadPid, tail as labTail, existingNamespaces as labNamespacesPresent, readState as readLabState}
export type {RunOpts as LabRunOpts}
