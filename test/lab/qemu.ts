/**
 * LAB_VM=qemu: a real guest kernel behind vhost-user1 (issue 13). QEMU from Debian runs in lab-vm0
 * as the vhost-user SERVER (OVS's port stays dpdkvhostuserclient), with `queues=N` and
 * virtio-net-pci mq=on, guest memory from memory-backend-memfd,share=on (what vhost-user needs),
 * Debian's kernel and the initramfs of initramfs.ts.
 *
 * Guest control: ttyS1 is a unix socket on the host (run/vm0-ctl.sock). guestExec(argv) connects,
 * sends one request, waits for its answer and disconnects, so calls from several host processes
 * (a test and the `--load` command it gives diagnose) take turns on the one socket.
 */
import {execa} from 'execa'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {randomBytes} from 'node:crypto'
import {buildInitramfs, ensureGuestKernel, kernelConfig, type GuestKernel} from './initramfs.js'

export const QEMU_BINARY = 'qemu-system-x86_64'
/** /proc/PID/comm of QEMU (15 characters). */
export const QEMU_COMM = 'qemu-system-x86'
/** The guest NIC's MAC (the same as testpmd's vm0eth0, so the FDB looks the same). */
export const GUEST_MAC = '02:00:00:00:10:10'
export const GUEST_NIC = 'eth0'

export type QemuAccel = 'kvm' | 'tcg'

export interface QemuPaths {
  ctlSock: string
  consoleLog: string
  qemuLog: string
  pidfile: string
  initrd: string
}

export function qemuPaths(run: string, log: string): QemuPaths {
  return {
    ctlSock: path.join(run, 'vm0-ctl.sock'),
    consoleLog: path.join(log, 'qemu-vm0-console.log'),
    qemuLog: path.join(log, 'qemu-vm0.log'),
    pidfile: path.join(run, 'qemu-vm0.pid'),
    initrd: path.join(run, 'vm0-initrd.img'),
  }
}

/** Queue pairs the guest gets (LAB_QEMU_QUEUES, default 2). */
export function qemuQueues(): number {
  const n = Number(process.env.LAB_QEMU_QUEUES ?? 2)
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error(`LAB_QEMU_QUEUES must be 1..8, not ${process.env.LAB_QEMU_QUEUES}`)
  return n
}

/**
 * KVM only where /dev/kvm exists and opens read-write; LAB_QEMU_ACCEL=tcg|kvm forces one. (Nested
 * KVM that opens but hangs in early boot is caught by the boot timeout: up() retries with TCG.)
 */
export function pickAccel(): {accel: QemuAccel; why: string} {
  const forced = process.env.LAB_QEMU_ACCEL
  if (forced === 'tcg' || forced === 'kvm') return {accel: forced, why: `LAB_QEMU_ACCEL=${forced}`}
  try {
    fs.closeSync(fs.openSync('/dev/kvm', 'r+'))
    return {accel: 'kvm', why: '/dev/kvm opens'}
  } catch (error) {
    return {accel: 'tcg', why: `no usable /dev/kvm (${(error as NodeJS.ErrnoException).code ?? 'error'})`}
  }
}

export interface QemuSpec {
  accel: QemuAccel
  queues: number
  vcpus: number
  memMiB: number
  vhostSock: string
  kernel: GuestKernel
  paths: QemuPaths
  /** Kernel command line network settings: lab.ip=, lab.gw= (or none). */
  ip: string | null
  gw: string | null
}

/**
 * MSI-X vectors of the virtio-net device: one per queue (2N) + config + control queue on KVM. On
 * TCG, 0 (legacy INTx): QEMU 7.2 (Debian 1:7.2+dfsg-7+deb12u18) segfaults in vhost_net_start ->
 * msix_set_vector_notifiers when the guest driver starts a vhost-user device with MSI-X under TCG
 * (there are no irqfds): seen in gdb here, on every boot. Queues and features do not depend on it.
 */
export function msixVectors(accel: QemuAccel, queues: number): number {
  return accel === 'kvm' ? 2 * queues + 2 : 0
}

/** QEMU's argv (without the `ip netns exec` prefix). */
export function qemuArgv(s: QemuSpec): string[] {
  const append = [
    'console=ttyS0', 'panic=-1', 'loglevel=4', 'rdinit=/init', 'mitigations=off', 'tsc=reliable', 'no_timer_check',
    `lab.ip=${s.ip ?? 'none'}`, `lab.gw=${s.gw ?? 'none'}`, 'lab.mtu=1500',
  ].join(' ')
  return [
    QEMU_BINARY, '-name', 'lab-vm0', '-nodefaults', '-no-user-config', '-no-reboot', '-display', 'none',
    '-machine', 'q35', '-accel', s.accel === 'tcg' ? 'tcg,thread=multi' : 'kvm', '-cpu', s.accel === 'kvm' ? 'host' : 'max',
    '-smp', String(s.vcpus), '-m', `${s.memMiB}M`,
    // vhost-user maps the guest's RAM into OVS: it must be a shareable fd
    '-object', `memory-backend-memfd,id=mem0,size=${s.memMiB}M,share=on`, '-numa', 'node,memdev=mem0',
    '-kernel', s.kernel.vmlinuz, '-initrd', s.paths.initrd, '-append', append,
    '-chardev', `file,id=con0,path=${s.paths.consoleLog}`, '-serial', 'chardev:con0',
    '-chardev', `socket,id=ctl0,path=${s.paths.ctlSock},server=on,wait=off`, '-serial', 'chardev:ctl0',
    '-chardev', `socket,id=vhu0,path=${s.vhostSock},server=on,wait=off`,
    '-netdev', `vhost-user,id=net0,chardev=vhu0,queues=${s.queues}`,
    '-device', `virtio-net-pci,netdev=net0,mac=${GUEST_MAC},mq=on,vectors=${msixVectors(s.accel, s.queues)},rx_queue_size=1024,tx_queue_size=1024`,
    '-pidfile', s.paths.pidfile,
  ]
}

/** Kernel, initramfs: everything the guest boots from (the kernel comes from the cache or apt). */
export async function prepareGuest(paths: QemuPaths, say: (line: string) => void): Promise<{kernel: GuestKernel; initrdBytes: number; builtIn: Record<string, string>}> {
  const kernel = await ensureGuestKernel(say)
  const t0 = Date.now()
  const r = await buildInitramfs(kernel, paths.initrd)
  const builtIn = kernelConfig(fs.readFileSync(kernel.config, 'utf8'), ['CONFIG_VIRTIO', 'CONFIG_VIRTIO_PCI', 'CONFIG_VIRTIO_NET', 'CONFIG_SERIAL_8250'])
  say(`guest initramfs: ${r.files} entries, ${(r.bytes / 1e6).toFixed(1)} MB gzip, built in ${Date.now() - t0} ms (kernel ${kernel.release}; ${Object.entries(builtIn).map(([k, v]) => `${k.replace('CONFIG_', '')}=${v}`).join(' ')})`)
  return {kernel, initrdBytes: r.bytes, builtIn}
}

/** The console log's "@@LAB-READY@@" line (null while the guest is booting). */
export function guestReadyLine(consoleLog: string): string | null {
  try {
    return /@@LAB-READY@@.*/.exec(fs.readFileSync(consoleLog, 'utf8'))?.[0] ?? null
  } catch {
    return null
  }
}

// ---------------------------------------------------------------------------------------------
// guest control

export interface GuestResult {
  exitCode: number
  /** stdout and stderr, interleaved as the guest wrote them. */
  output: string
  ms: number
}

/** One argv as a POSIX sh command line for the guest's busybox sh. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')
}

/** Parse the guest's answer for request `id` out of what the socket delivered so far (null until complete). */
export function parseGuestAnswer(buffer: string, id: string): {exitCode: number; output: string} | null {
  const m = new RegExp(`@@LAB-BEGIN ${id}@@\\n([A-Za-z0-9+/=\\s]*?)@@LAB-END ${id} (\\d+)@@`).exec(buffer)
  if (!m) return null
  return {exitCode: Number(m[2]), output: Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64').toString('utf8')}
}

/**
 * Run a script (busybox sh) in the guest over its control socket and wait for its exit status.
 * Throws on a timeout or when the socket cannot be reached.
 */
export function guestRunScript(ctlSock: string, script: string, timeoutMs = 30_000): Promise<GuestResult> {
  const t0 = Date.now()
  const id = randomBytes(6).toString('hex')
  return new Promise((resolve, reject) => {
    let buf = ''
    let settled = false
    const sock = net.createConnection(ctlSock)
    const finish = (err: Error | null, res?: GuestResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      sock.destroy()
      if (err) reject(err)
      else resolve(res!)
    }
    const timer = setTimeout(() => finish(new Error(`guest command timed out after ${timeoutMs} ms: ${script.slice(0, 200)}`)), timeoutMs)
    sock.setEncoding('latin1')
    sock.on('connect', () => sock.write(`RUN ${id} ${Buffer.from(script).toString('base64')}\n`))
    sock.on('data', (d: string) => {
      buf += d
      const a = parseGuestAnswer(buf, id)
      if (a) finish(null, {...a, ms: Date.now() - t0})
    })
    sock.on('error', (e) => finish(new Error(`guest control socket ${ctlSock}: ${e.message}`)))
    sock.on('close', () => finish(new Error(`guest control socket ${ctlSock} closed before the answer to ${id}`)))
  })
}

/** Run argv in the guest (no shell on the host; quoted for the guest's sh). */
export function guestExecAt(ctlSock: string, argv: readonly string[], timeoutMs = 30_000): Promise<GuestResult> {
  return guestRunScript(ctlSock, shellLine(argv), timeoutMs)
}

/** Wait until the guest answers on its control socket. */
export async function waitGuestControl(ctlSock: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now()
  let last = ''
  while (Date.now() - t0 < timeoutMs) {
    try {
      const r = await guestRunScript(ctlSock, 'true', 3_000)
      if (r.exitCode === 0) return Date.now() - t0
    } catch (error) {
      last = (error as Error).message
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`the guest did not answer on ${ctlSock} within ${timeoutMs} ms (${last})`)
}

/** Spawn QEMU detached in `ns`, stdio to its log; returns its PID (ip netns exec execs, so it is QEMU's). */
export function spawnQemu(ns: string, argv: string[], qemuLog: string, env: Record<string, string>): {pid: number; exited: () => string | null} {
  const fd = fs.openSync(qemuLog, 'w')
  let exit: string | null = null
  try {
    const child = execa('ip', ['netns', 'exec', ns, ...argv], {
      env, detached: true, cleanup: false, stdin: 'ignore', stdout: fd as 3, stderr: fd as 3, reject: false,
    })
    child.then((r) => {
      exit = `exit ${r.exitCode ?? r.signal}`
    }, () => {
      exit = 'failed'
    })
    child.unref()
    if (!child.pid) throw new Error('could not spawn qemu')
    return {pid: child.pid, exited: () => exit}
  } finally {
    fs.closeSync(fd)
  }
}
