/**
 * Small IPv4/IPv6 helpers for rules: parse an address, compute the network of an address, and
 * classify link-local / multicast destinations (which the kernel adds on every up interface).
 */

export type Family = 'inet' | 'inet6'

interface ParsedIp {
  family: Family
  value: bigint
  bits: 32 | 128
}

function parseIpv4(text: string): bigint | null {
  const parts = text.split('.')
  if (parts.length !== 4) return null
  let value = 0n
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null
    const octet = Number(part)
    if (octet > 255) return null
    value = (value << 8n) | BigInt(octet)
  }
  return value
}

function parseIpv6(text: string): bigint | null {
  // Drop a zone ("fe80::1%eth0"); an embedded IPv4 tail becomes two hextets.
  let rest = text.split('%')[0]!.toLowerCase()
  const v4Tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(rest)
  if (v4Tail) {
    const v4 = parseIpv4(v4Tail[2]!)
    if (v4 === null) return null
    rest = `${v4Tail[1]}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`
  }
  const halves = rest.split('::')
  if (halves.length > 2) return null
  const head = halves[0] === '' ? [] : halves[0]!.split(':')
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1]!.split(':') : []
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  let value = 0n
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return null
    value = (value << 16n) | BigInt(Number.parseInt(group, 16))
  }
  return value
}

export function parseIp(text: string): ParsedIp | null {
  if (text.includes(':')) {
    const value = parseIpv6(text)
    return value === null ? null : {family: 'inet6', value, bits: 128}
  }
  const value = parseIpv4(text)
  return value === null ? null : {family: 'inet', value, bits: 32}
}

function formatIp(ip: ParsedIp): string {
  if (ip.family === 'inet') {
    return [24n, 16n, 8n, 0n].map((shift) => ((ip.value >> shift) & 0xffn).toString()).join('.')
  }
  const groups = Array.from({length: 8}, (_, i) => ((ip.value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16))
  // Compress the longest run of zero groups (RFC 5952), as iproute2 prints prefixes.
  let bestStart = -1
  let bestLength = 0
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === '0') j++
    if (j - i > bestLength && j - i > 1) {
      bestStart = i
      bestLength = j - i
    }
    i = j
  }
  if (bestStart === -1) return groups.join(':')
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`
}

function mask(bits: number, prefixlen: number): bigint {
  const all = (1n << BigInt(bits)) - 1n
  return prefixlen <= 0 ? 0n : (all << BigInt(bits - Math.min(prefixlen, bits))) & all
}

/** "10.10.1.1", 24 -> "10.10.1.0/24"; null for an unparsable address. */
export function networkOf(address: string, prefixlen: number): string | null {
  const ip = parseIp(address)
  if (!ip) return null
  return `${formatIp({...ip, value: ip.value & mask(ip.bits, prefixlen)})}/${prefixlen}`
}

/**
 * A route destination as ip prints it ("10.10.1.0/24", "172.16.0.2", "default") in canonical
 * "network/len" form, so prefixes compare equal however they were written.
 */
export function canonicalPrefix(dst: string, family: Family | null = null): string | null {
  if (dst === 'default') return family === 'inet6' ? '::/0' : '0.0.0.0/0'
  const [address, len] = dst.split('/')
  const ip = parseIp(address!)
  if (!ip) return null
  return networkOf(address!, len === undefined ? ip.bits : Number(len))
}

/** Whether the address lies inside the prefix ("10.10.1.7" in "10.10.1.0/24"). */
export function prefixContains(prefix: string, address: string): boolean {
  const [net, len] = prefix.split('/')
  const network = parseIp(net!)
  const ip = parseIp(address)
  if (!network || !ip || network.family !== ip.family) return false
  const m = mask(ip.bits, len === undefined ? ip.bits : Number(len))
  return (network.value & m) === (ip.value & m)
}

/** fe80::/10 and 169.254.0.0/16: never routed, the kernel adds them on its own. */
export function isLinkLocal(address: string): boolean {
  return prefixContains('fe80::/10', address) || prefixContains('169.254.0.0/16', address)
}

export function isMulticast(address: string): boolean {
  return prefixContains('ff00::/8', address) || prefixContains('224.0.0.0/4', address)
}

export function isLoopback(address: string): boolean {
  return prefixContains('127.0.0.0/8', address) || address === '::1'
}
