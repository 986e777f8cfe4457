/**
 * ps-vmm: the command lines of the VMM processes (qemu-system-*, cloud-hypervisor), as the
 * collector reads them from /proc/<pid>/cmdline: a JSON array of {"pid", "argv"}. Parsed here
 * into what the guest was given: vCPUs, and per vhost-user NIC its socket and queue pairs.
 */
import type {ParseResult} from './types.js'
import {fail, guard, ok, warningList} from './util.js'

export type VmmKind = 'qemu' | 'cloud-hypervisor'

export interface VmmNic {
  /** The vhost-user socket path (cloud-hypervisor socket=, QEMU the chardev's path=). */
  socket: string | null
  /** Queue pairs: cloud-hypervisor num_queues counts RX and TX queues (pairs = num_queues / 2); QEMU queues= counts pairs. */
  queuePairs: number
  /** What the command line said, for the evidence ("num_queues=8", "queues=4"). */
  given: string
}

export interface VmmProcess {
  pid: number
  kind: VmmKind
  /** Boot vCPUs: cloud-hypervisor --cpus boot= (default 1), QEMU -smp (default 1). */
  vcpus: number
  nics: VmmNic[]
}

export interface PsVmm {
  processes: VmmProcess[]
}

/** What a VMM binary is, from argv[0]; null for anything else. */
export function vmmKindOf(argv0: string): VmmKind | null {
  const base = argv0.split('/').pop() ?? ''
  if (/^qemu-system-[a-z0-9_]+$/.test(base) || base === 'qemu-kvm') return 'qemu'
  if (base === 'cloud-hypervisor') return 'cloud-hypervisor'
  return null
}

/** "boot=4,max=8" -> {boot: "4", max: "8"}; a bare first value ("4" in -smp 4) is keyed "". */
function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of text.split(',')) {
    const eq = part.indexOf('=')
    if (eq === -1) out[out[''] === undefined ? '' : part] = part
    else out[part.slice(0, eq)] = part.slice(eq + 1)
  }
  return out
}

const positive = (text: string | undefined): number | null => (text !== undefined && /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : null)

/** Values of an option: "--opt v", "--opt=v", and for QEMU "-opt v"; cloud-hypervisor options take several values. */
function optionValues(argv: string[], names: string[], multi: boolean): string[] {
  const out: string[] = []
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!
    const inline = names.find((n) => arg.startsWith(`${n}=`))
    if (inline) {
      out.push(arg.slice(inline.length + 1))
      continue
    }
    if (!names.includes(arg)) continue
    for (let j = i + 1; j < argv.length && !argv[j]!.startsWith('-'); j++) {
      out.push(argv[j]!)
      if (!multi) break
    }
  }
  return out
}

function cloudHypervisor(pid: number, argv: string[]): VmmProcess {
  const cpus = optionValues(argv, ['--cpus'], false).map(keyValues)[0]
  const vcpus = positive(cpus?.['boot']) ?? 1
  const nics = optionValues(argv, ['--net'], true)
    .map(keyValues)
    .filter((kv) => kv['vhost_user'] === 'true' || kv['vhost_user'] === 'on')
    .map((kv) => {
      // cloud-hypervisor's default is 2 queues: one RX and one TX, i.e. one pair.
      const queues = positive(kv['num_queues']) ?? 2
      return {socket: kv['socket'] ?? null, queuePairs: Math.max(1, Math.floor(queues / 2)), given: `num_queues=${kv['num_queues'] ?? '2 (default)'}`}
    })
  return {pid, kind: 'cloud-hypervisor', vcpus, nics}
}

/** -smp N | cpus=N | sockets=,dies=,clusters=,cores=,threads= (QEMU multiplies the topology when cpus is absent). */
function smpCpus(value: string | undefined): number {
  if (value === undefined) return 1
  const kv = keyValues(value)
  const cpus = positive(kv['cpus']) ?? positive(kv[''])
  if (cpus !== null) return cpus
  const topology = ['sockets', 'dies', 'clusters', 'cores', 'threads'].map((k) => positive(kv[k]) ?? 1)
  return topology.reduce((a, b) => a * b, 1)
}

function qemu(pid: number, argv: string[]): VmmProcess {
  const vcpus = smpCpus(optionValues(argv, ['-smp', '--smp'], false).at(-1))
  const chardevs = new Map<string, string>()
  for (const value of optionValues(argv, ['-chardev', '--chardev'], false)) {
    const kv = keyValues(value)
    if (kv['id'] !== undefined && kv['path'] !== undefined) chardevs.set(kv['id'], kv['path'])
  }
  const nics = optionValues(argv, ['-netdev', '--netdev'], false)
    .map(keyValues)
    .filter((kv) => kv[''] === 'vhost-user' || kv['type'] === 'vhost-user')
    .map((kv) => {
      const queues = positive(kv['queues']) ?? 1
      return {socket: kv['chardev'] === undefined ? null : (chardevs.get(kv['chardev']) ?? null), queuePairs: queues, given: `queues=${kv['queues'] ?? '1 (default)'}`}
    })
  return {pid, kind: 'qemu', vcpus, nics}
}

export function parsePsVmm(text: string): ParseResult<PsVmm> {
  return guard('ps-vmm', () => {
    let rows: unknown
    try {
      rows = JSON.parse(text)
    } catch {
      return fail('ps-vmm: not JSON')
    }
    if (!Array.isArray(rows)) return fail('ps-vmm: not a JSON array')
    const warnings = warningList()
    const processes: VmmProcess[] = []
    for (const row of rows) {
      const r = row as {pid?: unknown; argv?: unknown}
      // A pid is a positive integer: JSON can still carry 1e400 (Infinity) or -3.5 (found by the fuzz test).
      if (typeof r.pid !== 'number' || !Number.isSafeInteger(r.pid) || r.pid <= 0 || !Array.isArray(r.argv) || !r.argv.every((a) => typeof a === 'string') || r.argv.length === 0) {
        warnings.push('ps-vmm: a row without a positive integer pid and a string argv was skipped')
        continue
      }
      const argv = r.argv as string[]
      const kind = vmmKindOf(argv[0]!)
      if (kind === null) {
        warnings.push(`ps-vmm: pid ${r.pid} is not a VMM (${argv[0]!.slice(0, 60)}); skipped`)
        continue
      }
      processes.push(kind === 'qemu' ? qemu(r.pid, argv) : cloudHypervisor(r.pid, argv))
    }
    return ok({processes}, warnings)
  })
}
