/**
 * The QEMU guest's boot files, built from Debian packages (issue 13, LAB_VM=qemu):
 *
 * - the kernel: the package linux-image-amd64 depends on, fetched with `apt-get download` (never
 *   installed: its postinst would build an initramfs for this host) and unpacked with `dpkg-deb -x`
 *   into a cache; only vmlinuz, the config and the virtio-net modules (with their dependencies,
 *   read from each module's modinfo) are kept.
 * - an initramfs (cpio newc, gzip) written here: busybox-static, iperf3 and ethtool from this host
 *   with their shared libraries (from ldd) and the dynamic loader, the modules, and GUEST_INIT.
 *
 * The guest's /init loads the modules, sets eth0 up from the kernel command line (lab.ip=,
 * lab.gw=, lab.mtu=) and serves commands on ttyS1 (a unix socket on the host, see qemu.ts).
 */
import {execa} from 'execa'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'

/** Modules the guest loads, by name; their dependencies are added (virtio_pci and virtio are modules in Debian's config). */
export const GUEST_MODULES = ['virtio_pci', 'virtio_net'] as const
/** Host binaries copied into the initramfs with their libraries. */
const GUEST_BINARIES = ['/usr/bin/iperf3', '/usr/sbin/ethtool']
const BUSYBOX = '/bin/busybox'
const RUN_ENV = {PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C'}

/** Where the unpacked kernel lives: LAB_CACHE_DIR, or /var/cache/dpdk-doctor-lab (survives `lab down`). */
export function labCacheDir(): string {
  return path.resolve(process.env.LAB_CACHE_DIR || '/var/cache/dpdk-doctor-lab')
}

export interface GuestKernel {
  /** e.g. linux-image-6.1.0-57-amd64 */
  pkg: string
  /** e.g. 6.1.0-57-amd64 */
  release: string
  vmlinuz: string
  config: string
  /** Module files in load order (dependencies first). */
  modules: string[]
}

async function cmd(argv: string[], opts: {cwd?: string; timeoutMs?: number} = {}): Promise<string> {
  const [file, ...args] = argv
  const r = await execa(file!, args, {env: RUN_ENV, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, reject: false, stdin: 'ignore'})
  if (r.exitCode !== 0) throw new Error(`\`${argv.join(' ')}\` failed (exit ${r.exitCode ?? r.signal}): ${String(r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n')}`)
  return String(r.stdout)
}

/** The real kernel package behind the linux-image-amd64 metapackage (from apt-cache depends). */
export async function kernelPackageName(): Promise<string> {
  const out = await cmd(['apt-cache', 'depends', 'linux-image-amd64'])
  const m = /Depends:\s*(linux-image-\d[\w.+-]*-amd64)\b/.exec(out)
  if (!m) throw new Error(`apt-cache depends linux-image-amd64 names no linux-image-<version>-amd64:\n${out}`)
  return m[1]!
}

/** A module's dependencies from its .modinfo section ("depends=a,b"). */
export function modinfoDepends(ko: Buffer): string[] {
  const key = Buffer.from('\0depends=')
  const at = ko.indexOf(key)
  if (at < 0) return []
  const start = at + key.length
  const end = ko.indexOf(0, start)
  return ko.subarray(start, end < 0 ? undefined : end).toString('latin1').split(',').map((s) => s.trim()).filter(Boolean)
}

/** Module files for `names` and their dependencies, dependencies first. */
export function moduleLoadOrder(modulesRoot: string, names: readonly string[]): string[] {
  const byName = new Map<string, string>()
  for (const e of fs.readdirSync(modulesRoot, {withFileTypes: true, recursive: true})) {
    if (e.isFile() && e.name.endsWith('.ko')) byName.set(e.name.slice(0, -3).replace(/-/g, '_'), path.join(e.parentPath, e.name))
  }
  const order: string[] = []
  const visit = (name: string, trail: string[]) => {
    const key = name.replace(/-/g, '_')
    const file = byName.get(key)
    if (!file) throw new Error(`module ${name} not found under ${modulesRoot} (needed by ${trail.join(' <- ') || 'the guest'})`)
    if (order.includes(file)) return
    if (trail.includes(key)) throw new Error(`module dependency loop: ${[...trail, key].join(' -> ')}`)
    for (const dep of modinfoDepends(fs.readFileSync(file))) visit(dep, [...trail, key])
    order.push(file)
  }
  for (const n of names) visit(n, [])
  return order
}

/**
 * The guest kernel, from the cache or fetched now (apt-get download + dpkg-deb -x: about 70 MB,
 * ~20 s). Keeps vmlinuz, the config and the modules the guest needs; drops the rest of the tree.
 */
export async function ensureGuestKernel(say: (line: string) => void = () => {}): Promise<GuestKernel> {
  const pkg = await kernelPackageName()
  const release = pkg.replace(/^linux-image-/, '')
  const dir = path.join(labCacheDir(), pkg)
  const done = path.join(dir, 'kernel.json')
  if (fs.existsSync(done)) {
    const k = JSON.parse(fs.readFileSync(done, 'utf8')) as GuestKernel
    if ([k.vmlinuz, k.config, ...k.modules].every((f) => fs.existsSync(f))) return k
  }
  const t0 = Date.now()
  say(`guest kernel: fetching ${pkg} (apt-get download; not installed)`)
  fs.rmSync(dir, {recursive: true, force: true})
  const work = `${dir}.partial`
  fs.rmSync(work, {recursive: true, force: true})
  fs.mkdirSync(work, {recursive: true})
  await cmd(['apt-get', 'download', pkg], {cwd: work, timeoutMs: 600_000})
  const deb = fs.readdirSync(work).find((f) => f.endsWith('.deb'))
  if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${work}`)
  const tree = path.join(work, 'tree')
  await cmd(['dpkg-deb', '-x', path.join(work, deb), tree], {timeoutMs: 300_000})
  const modulesRoot = path.join(tree, 'lib', 'modules', release)
  const order = moduleLoadOrder(modulesRoot, GUEST_MODULES)
  fs.mkdirSync(path.join(dir, 'modules'), {recursive: true})
  const k: GuestKernel = {
    pkg, release,
    vmlinuz: path.join(dir, `vmlinuz-${release}`),
    config: path.join(dir, `config-${release}`),
    modules: order.map((f) => path.join(dir, 'modules', path.basename(f))),
  }
  fs.copyFileSync(path.join(tree, 'boot', `vmlinuz-${release}`), k.vmlinuz)
  fs.copyFileSync(path.join(tree, 'boot', `config-${release}`), k.config)
  order.forEach((f, i) => fs.copyFileSync(f, k.modules[i]!))
  fs.writeFileSync(path.join(dir, 'deb.txt'), `${deb}\n`)
  fs.writeFileSync(done, JSON.stringify(k, null, 2) + '\n')
  fs.rmSync(work, {recursive: true, force: true})
  say(`guest kernel: ${deb} unpacked in ${((Date.now() - t0) / 1000).toFixed(1)} s; modules ${order.map((f) => path.basename(f, '.ko')).join(' ')}`)
  return k
}

/** `CONFIG_X=y|m` values of the kernel config (to say which virtio drivers are built in). */
export function kernelConfig(configText: string, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const k of keys) out[k] = new RegExp(`^${k}=(.*)$`, 'm').exec(configText)?.[1] ?? 'n'
  return out
}

// ---------------------------------------------------------------------------------------------
// cpio newc

export interface CpioEntry {
  name: string
  kind: 'dir' | 'file' | 'symlink'
  mode: number
  /** File contents, or the symlink's target. */
  data?: Buffer
}

const pad4 = (n: number) => (4 - (n % 4)) % 4

/** A cpio archive in the "newc" format the kernel unpacks as an initramfs. */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = []
  const hex = (n: number) => n.toString(16).padStart(8, '0')
  let ino = 1
  const push = (name: string, mode: number, data: Buffer, nlink: number) => {
    const nameBuf = Buffer.from(`${name}\0`)
    const header = '070701' + [ino++, mode, 0, 0, nlink, 0, data.length, 0, 0, 0, 0, nameBuf.length, 0].map(hex).join('')
    parts.push(Buffer.from(header), nameBuf, Buffer.alloc(pad4(110 + nameBuf.length)), data, Buffer.alloc(pad4(data.length)))
  }
  for (const e of entries) {
    const type = e.kind === 'dir' ? 0o040000 : e.kind === 'symlink' ? 0o120000 : 0o100000
    push(e.name.replace(/^\/+/, ''), type | (e.mode & 0o7777), e.kind === 'dir' ? Buffer.alloc(0) : (e.data ?? Buffer.alloc(0)), e.kind === 'dir' ? 2 : 1)
  }
  push('TRAILER!!!', 0, Buffer.alloc(0), 1)
  return Buffer.concat(parts)
}

/** The shared libraries (and the loader) a dynamic binary needs, from ldd. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const out = await cmd(['ldd', binary])
  const libs = new Set<string>()
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line)
    if (m) libs.add(m[1]!)
  }
  return [...libs]
}

/**
 * The guest's /init (busybox sh). ttyS0 is the console (a log file on the host); ttyS1 carries
 * requests "RUN <id> <base64 script>" and answers "@@LAB-BEGIN <id>@@", the base64 of the
 * script's stdout+stderr, "@@LAB-END <id> <exit status>@@". Jobs run in the background, so a long
 * one (iperf3) does not block the loop; an mkdir lock keeps each answer in one piece.
 */
export const GUEST_INIT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
arg() { for w in $(cat /proc/cmdline); do case $w in "$1"=*) echo "\${w#*=}";; esac; done; }
echo "@@LAB-GUEST kernel $(uname -r)"
for m in $(cat /lib/modules/load-order); do insmod /lib/modules/$m.ko || echo "@@LAB-GUEST insmod $m failed"; done
i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
ip link set lo up
mtu=$(arg lab.mtu); ip link set eth0 mtu \${mtu:-1500} up
addr=$(arg lab.ip); [ -n "$addr" ] && [ "$addr" != none ] && ip addr add "$addr" dev eth0
gw=$(arg lab.gw); [ -n "$gw" ] && [ "$gw" != none ] && ip route add default via "$gw"
echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null
stty -F /dev/ttyS1 raw -echo 115200
answer() {
  until mkdir /tmp/answer.lock 2>/dev/null; do usleep 20000; done
  { printf '\\n@@LAB-BEGIN %s@@\\n' "$1"; base64 "/tmp/job.$1.out"; printf '@@LAB-END %s %s@@\\n' "$1" "$2"; } > /dev/ttyS1
  rmdir /tmp/answer.lock
}
job() {
  echo "$2" | base64 -d > "/tmp/job.$1.sh"
  sh "/tmp/job.$1.sh" > "/tmp/job.$1.out" 2>&1 < /dev/null
  rc=$?
  answer "$1" "$rc"
  rm -f "/tmp/job.$1.sh" "/tmp/job.$1.out"
}
echo "@@LAB-READY@@ $(cat /sys/class/net/eth0/address 2>/dev/null)"
while true; do
  while read -r verb id payload; do
    case "$verb" in RUN) job "$id" "$payload" & ;; esac
  done < /dev/ttyS1
  sleep 0.2
done
`

/** Build the guest initramfs (gzip'd cpio newc) at `out`; returns its size in bytes. */
export async function buildInitramfs(kernel: GuestKernel, out: string): Promise<{bytes: number; files: number}> {
  const entries: CpioEntry[] = []
  const dirs = new Set<string>()
  const addDir = (d: string) => {
    const parts = d.split('/').filter(Boolean)
    for (let i = 1; i <= parts.length; i++) {
      const sub = parts.slice(0, i).join('/')
      if (!dirs.has(sub)) {
        dirs.add(sub)
        entries.push({name: sub, kind: 'dir', mode: 0o755})
      }
    }
  }
  const addFile = (name: string, data: Buffer, mode: number) => {
    addDir(path.posix.dirname(name))
    entries.push({name, kind: 'file', mode, data})
  }
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'tmp', 'run', 'lib/modules']) addDir(d)
  addFile('init', Buffer.from(GUEST_INIT), 0o755)
  addFile('bin/busybox', fs.readFileSync(BUSYBOX), 0o755)
  entries.push({name: 'bin/sh', kind: 'symlink', mode: 0o777, data: Buffer.from('busybox')})
  const libs = new Set<string>()
  for (const bin of GUEST_BINARIES) {
    addFile(bin.slice(1), fs.readFileSync(bin), 0o755)
    for (const lib of await sharedLibraries(bin)) libs.add(lib)
  }
  // copied under the name the binary asks for (readFileSync follows the soname symlink)
  for (const lib of [...libs].sort()) addFile(lib.slice(1), fs.readFileSync(lib), 0o755)
  for (const ko of kernel.modules) addFile(`lib/modules/${path.basename(ko)}`, fs.readFileSync(ko), 0o644)
  addFile('lib/modules/load-order', Buffer.from(kernel.modules.map((f) => path.basename(f, '.ko')).join('\n') + '\n'), 0o644)
  const gz = zlib.gzipSync(cpioNewc(entries), {level: 6})
  fs.writeFileSync(out, gz)
  return {bytes: gz.length, files: entries.length}
}
