/**
 * CPU sets as OVS and the kernel write them: hex masks (other_config:pmd-cpu-mask,
 * dpdk-lcore-mask; with or without 0x, possibly quoted, FIELD §3.8) and kernel cpu lists
 * (isolcpus=managed_irq,domain,2-5,8; nohz_full=2-15:2/4).
 */
import {unquote} from './ovs-config.js'

/** CPUs set in a hex mask, ascending; null when the text is not a hex mask. */
export function parseCpuMask(text: string): number[] | null {
  const hex = unquote(text).toLowerCase().replace(/^0x/, '')
  if (!/^[0-9a-f]+$/.test(hex)) return null
  const cpus: number[] = []
  // Walk nibbles from the least significant end: masks of big hosts exceed Number's 53 bits.
  for (let i = 0; i < hex.length; i++) {
    const nibble = Number.parseInt(hex[hex.length - 1 - i]!, 16)
    for (let bit = 0; bit < 4; bit++) if (nibble & (1 << bit)) cpus.push(i * 4 + bit)
  }
  return cpus
}

/** isolcpus flags that may precede the cpu list. */
const ISOLCPUS_FLAGS = new Set(['nohz', 'domain', 'managed_irq'])

/**
 * CPUs in a kernel cpu list ("2-5,8", "0-9:2/5" = 2 of every 5), ascending; isolcpus flags are
 * skipped. null when a token is not understood (e.g. "N" for the last CPU, which needs the topology).
 */
export function parseCpuList(text: string): number[] | null {
  const cpus = new Set<number>()
  for (const raw of unquote(text).split(',')) {
    const token = raw.trim()
    if (token === '' || ISOLCPUS_FLAGS.has(token)) continue
    const m = /^(\d+)(?:-(\d+)(?::(\d+)\/(\d+))?)?$/.exec(token)
    if (!m) return null
    const first = Number(m[1])
    const last = m[2] === undefined ? first : Number(m[2])
    const used = m[3] === undefined ? 1 : Number(m[3])
    const group = m[4] === undefined ? 1 : Number(m[4])
    if (last < first || group === 0 || used > group) return null
    for (let base = first; base <= last; base += group) {
      for (let k = 0; k < used && base + k <= last; k++) cpus.add(base + k)
    }
  }
  return [...cpus].sort((a, b) => a - b)
}

/** A cpu list in kernel notation, ranges collapsed: [2,3,4,5,8] -> "2-5,8". */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b)
  const parts: string[] = []
  let start = sorted[0]
  let prev = start
  for (const cpu of [...sorted.slice(1), Number.NaN]) {
    if (start === undefined || prev === undefined) break
    if (cpu === prev + 1) {
      prev = cpu
      continue
    }
    parts.push(start === prev ? String(start) : `${start}-${prev}`)
    start = cpu
    prev = cpu
  }
  return parts.join(',')
}

/** A hex mask with 0x for a set of CPUs: [1,2] -> "0x6". */
export function formatCpuMask(cpus: readonly number[]): string {
  let mask = 0n
  for (const cpu of cpus) mask |= 1n << BigInt(cpu)
  return `0x${mask.toString(16)}`
}
