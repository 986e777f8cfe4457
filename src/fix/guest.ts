/**
 * The guest side of the pure-L2 fix, which the host cannot apply: each VM behind a vhost-user port
 * gets an address on the wire's subnet and no gateway through the bridge's internal port, written
 * as a cloud-init network-config v2 document (as the seed's network-config-vm0/vm1 were).
 */
import {createHash, randomBytes} from 'node:crypto'
import {closeSync, constants, fsyncSync, mkdirSync, openSync, realpathSync, renameSync, rmSync, writeSync} from 'node:fs'
import {dirname, join} from 'node:path'
import type {Diagnosis} from '../diagnose/types.js'
import {DoctorError} from '../errors.js'
import type {HostState} from '../model/host-state.js'
import {networkOf, prefixContains} from '../../rules/lib/ip.js'
import {linkOf} from './ip-state.js'
import type {IpState} from './ip-state.js'
import type {GuestPlan} from './types.js'
import {isValidOvsName} from '../util/names.js'
import {printable} from '../util/printable.js'

export interface GuestOptions {
  /** --vm-subnet, e.g. 10.10.1.0/24. */
  vmSubnet: string | null
  /** --vm-address PORT=ADDRESS[/LEN]. */
  vmAddresses: Record<string, string>
  /** --guest-config-dir: write network-config-<port> files here. */
  guestConfigDir: string | null
}

/** "vhost-user1=10.10.1.10" flags -> {vhost-user1: "10.10.1.10"}. */
export function parseVmAddresses(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const v of values) {
    const m = /^([A-Za-z0-9_.-]{1,64})=(\d{1,3}(?:\.\d{1,3}){3}(?:\/\d{1,2})?)$/.exec(v)
    if (!m) throw new DoctorError('E_USAGE', `--vm-address wants PORT=ADDRESS (e.g. vhost-user1=10.10.1.10), got ${JSON.stringify(v)}`)
    out[m[1]!] = m[2]!
  }
  return out
}

export function parseSubnet(text: string): {network: string; prefixlen: number} {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text)
  const net = m ? networkOf(m[1]!, Number(m[2])) : null
  if (!m || !net || Number(m[2]) > 30) throw new DoctorError('E_USAGE', `--vm-subnet wants an IPv4 prefix like 10.10.1.0/24, got ${JSON.stringify(text)}`)
  return {network: net, prefixlen: Number(m[2])}
}

const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0)
const toIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.')

/** The subnet the VMs should move to: --vm-subnet, else the internal port's prefix that holds the load target, else its only IPv4 prefix. */
function defaultSubnet(ip: IpState, devices: string[], diagnosis: Diagnosis): {subnet: string | null; why: string} {
  const prefixes = [...new Set(devices.flatMap((d) => (linkOf(ip, d)?.addr_info ?? []).filter((a) => a.family === 'inet' && (a.scope ?? 'global') === 'global').map((a) => networkOf(a.local, a.prefixlen)!)))]
  const target = diagnosis.load?.target ?? null
  const withTarget = target ? prefixes.find((p) => prefixContains(p, target)) : undefined
  if (withTarget) return {subnet: withTarget, why: `the load target ${target} is on it`}
  if (prefixes.length === 1) return {subnet: prefixes[0]!, why: `the only IPv4 prefix on ${devices.join(', ')}`}
  return {subnet: null, why: prefixes.length > 1 ? `several prefixes on ${devices.join(', ')} (${prefixes.join(', ')}): name the wire's with --vm-subnet` : 'no IPv4 prefix to infer it from: give --vm-subnet'}
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/

/**
 * The guest file's name: network-config-<port> for a port name that is a plain file name; else a
 * slug of it (unsafe characters as "_", at most 40) and 8 hex digits of its SHA-256, so a name
 * with "/", "..", a newline or 300 characters never shapes the path and two such names never meet.
 */
export function guestFileName(port: string): string {
  if (isValidOvsName(port)) return `network-config-${port}`
  const slug = port.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'port'
  return `network-config-${slug}-${createHash('sha256').update(port).digest('hex').slice(0, 8)}`
}

/**
 * Writes a guest file inside `dir` (checked after resolving): created aside with O_EXCL|O_NOFOLLOW
 * and renamed onto its name, so a link planted at the name is replaced, never written through.
 */
export function writeGuestFile(dir: string, port: string, doc: string): string {
  let root: string
  try {
    mkdirSync(dir, {recursive: true})
    root = realpathSync(dir)
  } catch (error) {
    throw new DoctorError('E_GUEST_DIR', `cannot use --guest-config-dir ${dir}: ${(error as Error).message}`)
  }
  const file = join(root, guestFileName(port))
  if (dirname(file) !== root) throw new DoctorError('E_GUEST_DIR', `refusing to write the guest file of port ${JSON.stringify(port)} outside ${root}`)
  const aside = join(root, `.${guestFileName(port)}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    const fd = openSync(aside, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644)
    try {
      writeSync(fd, doc)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(aside, file)
  } catch (error) {
    rmSync(aside, {force: true})
    throw new DoctorError('E_GUEST_DIR', `cannot write ${file}: ${(error as Error).message}`)
  }
  return file
}

export function networkConfig(g: {port: string; mac: string | null; address: string; prefixlen: number; subnet: string; planId?: string}): string {
  const lines = [
    // The port name is from the host (or a bundle): escaped, it stays inside this comment line.
    `# cloud-init network-config v2 for the VM behind ${printable(g.port)} (written by dpdk-doctor fix)`,
    `# Pure L2: an address on the wire's subnet ${g.subnet} and no gateway through the host's bridge port,`,
    `# so OVS switches this VM's traffic to the DPDK port in the PMD threads.`,
    'version: 2',
    'ethernets:',
    '  vmnic0:',
  ]
  if (g.mac && MAC.test(g.mac)) lines.push('    match:', `      macaddress: "${g.mac}"`)
  else lines.push('    # the VM\'s MAC was not learned on the bridge: match its NIC by name instead', '    match:', '      name: "e*"')
  lines.push('    dhcp4: false', '    dhcp6: false', '    addresses:', `      - ${g.address}/${g.prefixlen}`, '')
  return lines.join('\n')
}

export function planGuests(state: HostState, ip: IpState, diagnosis: Diagnosis, opts: GuestOptions, devices: string[], warnings: string[]): GuestPlan[] {
  const bridges = state.bridges.filter((b) => b.datapathType === 'netdev' && (devices.length === 0 || devices.includes(b.name) || b.ports.some((p) => devices.includes(p))))
  const ports = state.ports.filter((p) => p.class === 'vhost' && bridges.some((b) => b.name === p.bridge)).sort((a, b) => a.name.localeCompare(b.name))
  if (ports.length === 0) return []
  for (const name of Object.keys(opts.vmAddresses)) {
    if (!ports.some((p) => p.name === name)) warnings.push(`--vm-address ${name}: no vhost-user port of that name on the bridge`)
  }

  // The VMs' segment is the bridge's: infer from its internal port, not from a kernel NIC the plan also touches.
  const internal = devices.filter((d) => bridges.some((b) => b.name === d))
  const chosen = opts.vmSubnet ? {subnet: parseSubnet(opts.vmSubnet).network, why: '--vm-subnet'} : defaultSubnet(ip, internal.length > 0 ? internal : devices, diagnosis)
  const taken = new Set<string>(ip.links.flatMap((l) => l.addr_info.map((a) => a.local)))
  if (diagnosis.load?.target) taken.add(diagnosis.load.target)
  for (const a of Object.values(opts.vmAddresses)) taken.add(a.split('/')[0]!)

  const plans: GuestPlan[] = []
  for (const port of ports) {
    const macs = [...new Set(state.fdb.filter((r) => r.portName === port.name).map((r) => r.mac.toLowerCase()))]
    const mac = macs.length === 1 && MAC.test(macs[0]!) ? macs[0]! : null
    const explicit = opts.vmAddresses[port.name]
    let address: string | null = null
    let prefixlen: number | null = null
    let subnet = chosen.subnet
    if (explicit) {
      const [a, len] = explicit.split('/')
      address = a!
      prefixlen = len ? Number(len) : subnet ? Number(subnet.split('/')[1]) : 24
      subnet = networkOf(address, prefixlen)
    } else if (subnet) {
      const [net, len] = subnet.split('/')
      prefixlen = Number(len)
      const base = toInt(net!)
      const size = 2 ** (32 - prefixlen)
      // Hosts from .10 up (the seed's VMs were .10 and .11), skipping every address already seen.
      for (let i = Math.min(10, size - 2); i < size - 1; i++) {
        const candidate = toIp(base + i)
        if (!taken.has(candidate)) {
          address = candidate
          taken.add(candidate)
          break
        }
      }
    }
    const note = address
      ? `give the VM on ${port.name} ${address}/${prefixlen} on ${subnet} with no gateway via the bridge${mac ? ` (its NIC ${mac})` : ''}; ${explicit ? 'from --vm-address' : `subnet: ${chosen.why}`}`
      : `the VM on ${port.name} needs an address on the wire's subnet: ${chosen.why}`
    const doc = address && prefixlen !== null && subnet ? networkConfig({port: port.name, mac, address, prefixlen, subnet}) : null
    let file: string | null = null
    if (doc && opts.guestConfigDir) file = writeGuestFile(opts.guestConfigDir, port.name, doc)
    plans.push({port: port.name, bridge: port.bridge, mac, address, prefixlen, subnet, networkConfig: doc, file, note})
  }
  return plans
}
