/**
 * iproute2 text output, for captures without `ip -j` (sosreports): `ip [-d] address`,
 * `ip [-6] route show table all`, `ip -s [-d] link`. Each returns the records of the JSON parser
 * (src/parsers/ip.ts) for the same host, so the model reads either form alike.
 */
import {routeFamily} from './ip.js'
import type {IpAddrInterface, IpAddress, IpLink, IpRoute, LinkCounters, ParseResult} from './types.js'
import {fail, guard, lines, ok} from './util.js'

/** `ip` prints "forever" where the JSON has the all-ones lifetime. */
const FOREVER = 4294967295

/** "2: dpdk0-veth@enp65s0f0np0: <FLAGS> mtu 1500 ... state UP ..." */
const HEAD = /^(\d+):\s+(\S+?):\s+<([^>]*)>(.*)$/

interface LinkBlock {
  ifindex: number
  ifname: string
  flags: string[]
  /** Words after the flags of the head line. */
  head: string[]
  /** The indented lines under the head line, trimmed. */
  body: string[]
}

/** Words after a keyword ("mtu 1500" -> "1500"), or null. */
function after(words: string[], key: string): string | null {
  const i = words.indexOf(key)
  return i === -1 || i + 1 >= words.length ? null : words[i + 1]!
}

function int(token: string | null): number | null {
  return token !== null && /^\d+$/.test(token) ? Number(token) : null
}

function blocks(text: string): {blocks: LinkBlock[]; warnings: string[]} {
  const result: LinkBlock[] = []
  const warnings: string[] = []
  let current: LinkBlock | null = null
  for (const line of lines(text)) {
    if (line.trim() === '') continue
    const head = HEAD.exec(line)
    if (head) {
      // "name@link": the JSON's ifname is the name, the link is another field.
      const at = head[2]!.indexOf('@')
      current = {
        ifindex: Number(head[1]),
        ifname: at > 0 ? head[2]!.slice(0, at) : head[2]!,
        flags: head[3]!.split(',').filter((f) => f !== ''),
        head: head[4]!.trim().split(/\s+/).filter((w) => w !== ''),
        body: [],
      }
      result.push(current)
    } else if (/^\s/.test(line) && current) current.body.push(line.trim())
    else warnings.push(`unreadable line skipped: ${line.slice(0, 80)}`)
  }
  return {blocks: result, warnings}
}

/** "link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff ..." -> type and address. */
function linkLine(block: LinkBlock): {type: string | null; mac: string | null; index: number} {
  const index = block.body.findIndex((l) => l.startsWith('link/'))
  if (index === -1) return {type: null, mac: null, index}
  const words = block.body[index]!.split(/\s+/)
  const type = words[0]!.slice('link/'.length)
  const mac = words[1] !== undefined && words[1] !== 'brd' && words[1] !== 'promiscuity' ? words[1] : null
  return {type, mac, index}
}

function lifetime(token: string | null): number | null {
  if (token === null) return null
  if (token === 'forever') return FOREVER
  const m = /^(\d+)sec$/.exec(token)
  return m ? Number(m[1]) : null
}

/** Address words ip prints between the prefix and the label. */
const ADDRESS_WORDS = new Set(['brd', 'scope', 'peer', 'metric', 'proto'])
const ADDRESS_FLAGS = new Set([
  'secondary', 'temporary', 'dynamic', 'noprefixroute', 'nodad', 'optimistic', 'home', 'mngtmpaddr',
  'tentative', 'deprecated', 'dadfailed', 'stable-privacy', 'autojoin', 'permanent', 'noipv6',
])

function parseAddressLine(line: string, next: string | undefined): IpAddress | null {
  const words = line.split(/\s+/)
  const family = words[0]
  if (family !== 'inet' && family !== 'inet6') return null
  let [local, prefix] = (words[1] ?? '').split('/')
  // "inet 10.0.0.1 peer 10.0.0.2/32": the prefix length is the peer's.
  if (prefix === undefined) prefix = (after(words, 'peer') ?? '').split('/')[1]
  const prefixlen = int(prefix ?? null)
  if (!local || prefixlen === null) return null
  // The label is the last word of an inet line when it is not a value or a flag.
  let label: string | null = null
  const last = words[words.length - 1]!
  const beforeLast = words[words.length - 2]
  if (family === 'inet' && words.length > 2 && !ADDRESS_FLAGS.has(last) && !(beforeLast !== undefined && ADDRESS_WORDS.has(beforeLast))) label = last
  const lifetimes = next?.startsWith('valid_lft') ? next.split(/\s+/) : []
  return {
    family,
    local,
    prefixlen,
    scope: after(words, 'scope'),
    label,
    dynamic: words.includes('dynamic'),
    validLifetime: lifetime(after(lifetimes, 'valid_lft')),
    preferredLifetime: lifetime(after(lifetimes, 'preferred_lft')),
  }
}

/** A text of interface blocks ("N: name: <FLAGS> ..." and its lines), each read by fn. */
function perInterface<T>(what: string, text: string, fn: (block: LinkBlock, warnings: string[]) => T): ParseResult<T[]> {
  return guard(what, () => {
    if (text.trim() === '') return fail(`${what}: empty output`)
    const {blocks: found, warnings} = blocks(text)
    if (found.length === 0) return fail(`${what}: no "N: name: <FLAGS>" line`)
    return ok(found.map((b) => fn(b, warnings)), warnings)
  })
}

/** What the first line of an interface's block and its link/ line say, for both address and link text. */
function headFields(b: LinkBlock, link: {mac: string | null}) {
  return {
    ifindex: b.ifindex,
    ifname: b.ifname,
    flags: b.flags,
    mtu: int(after(b.head, 'mtu')),
    operstate: after(b.head, 'state'),
    mac: link.mac,
    master: after(b.head, 'master'),
  }
}

/** `ip address` / `ip -d address` text. */
export function parseIpAddrText(text: string): ParseResult<IpAddrInterface[]> {
  return perInterface('ip-addr text', text, (b, warnings): IpAddrInterface => {
    const link = linkLine(b)
    const addresses: IpAddress[] = []
    b.body.forEach((line, i) => {
      if (!line.startsWith('inet')) return
      const address = parseAddressLine(line, b.body[i + 1])
      if (address) addresses.push(address)
      else warnings.push(`${b.ifname}: unreadable address line skipped`)
    })
    const {mac, ...head} = headFields(b, link)
    return {...head, linkType: link.type, mac, addresses}
  })
}

/** First words of a details line that are not a link kind. */
const NOT_A_KIND = new Set(['addrgenmode', 'numtxqueues', 'numrxqueues', 'gso_max_size', 'altname', 'alias', 'RX:', 'TX:', 'vf', 'link-netnsid', 'link-netns', 'prog/xdp', 'inet', 'inet6'])

/** The link kind from `ip -d`: first word of the line under link/..., unless it is slave data or a setting. */
function kindOf(block: LinkBlock, linkIndex: number): string | null {
  const line = linkIndex === -1 ? undefined : block.body[linkIndex + 1]
  if (line === undefined) return null
  const word = line.split(/\s+/)[0]!
  if (NOT_A_KIND.has(word) || word.endsWith('_slave') || !/^[a-z][a-z0-9_-]*$/.test(word)) return null
  return word
}

/** "RX:  bytes packets errors dropped ..." followed by the values line. */
function counterPair(body: string[], tag: 'RX:' | 'TX:'): Record<string, number | null> | null {
  const i = body.findIndex((l) => l.startsWith(tag))
  if (i === -1 || body[i + 1] === undefined) return null
  const names = body[i]!.split(/\s+/).slice(1)
  const values = body[i + 1]!.split(/\s+/)
  return Object.fromEntries(names.map((n, k) => [n, int(values[k] ?? null)]))
}

function linkCounters(body: string[]): LinkCounters | null {
  const rx = counterPair(body, 'RX:')
  const tx = counterPair(body, 'TX:')
  if (rx === null && tx === null) return null
  return {
    rxBytes: rx?.bytes ?? null,
    rxPackets: rx?.packets ?? null,
    rxErrors: rx?.errors ?? null,
    rxDropped: rx?.dropped ?? null,
    txBytes: tx?.bytes ?? null,
    txPackets: tx?.packets ?? null,
    txErrors: tx?.errors ?? null,
    txDropped: tx?.dropped ?? null,
  }
}

/** `ip -s -d link` text (also `ip link`, `ip -s link`: kind or counters are then null). */
export function parseIpLinkText(text: string): ParseResult<IpLink[]> {
  return perInterface('ip-link text', text, (b): IpLink => {
    const link = linkLine(b)
    const linkWords = link.index === -1 ? [] : b.body[link.index]!.split(/\s+/)
    return {
      ...headFields(b, link),
      kind: kindOf(b, link.index),
      promiscuity: int(after(linkWords, 'promiscuity')),
      counters: linkCounters(b.body),
    }
  })
}

/** Route types ip prints before the destination (unicast is not printed). */
const ROUTE_TYPES = new Set(['local', 'broadcast', 'multicast', 'anycast', 'unreachable', 'blackhole', 'prohibit', 'throw', 'nat', 'unicast', 'xresolve'])

/** `ip route show table all` / `ip -6 route show table all` text. */
export function parseIpRouteText(text: string): ParseResult<IpRoute[]> {
  return guard('ip-route text', () => {
    const result: IpRoute[] = []
    const warnings: string[] = []
    for (const line of lines(text)) {
      // Multipath "nexthop via ..." lines belong to the route above; the JSON parser keeps no nexthops either.
      if (line.trim() === '' || /^\s/.test(line)) continue
      const words = line.trim().split(/\s+/)
      let type: string | null = null
      if (ROUTE_TYPES.has(words[0]!)) type = words.shift()!
      const dst = words[0]
      if (dst === undefined || dst.startsWith('Error') || dst.includes(':') === false && !/^(default|\d)/.test(dst)) {
        warnings.push(`unreadable route line skipped: ${line.slice(0, 80)}`)
        continue
      }
      const gateway = after(words, 'via')
      const table = after(words, 'table')
      result.push({
        dst,
        family: routeFamily(dst, gateway),
        gateway,
        dev: after(words, 'dev'),
        protocol: after(words, 'proto'),
        scope: after(words, 'scope'),
        prefsrc: after(words, 'src'),
        table: table ?? 'main',
        type: type === 'unicast' ? null : type,
        metric: int(after(words, 'metric')),
      })
    }
    if (result.length === 0 && text.trim() !== '' && warnings.length > 0) return fail(`ip-route text: no route line (${warnings[0]})`)
    return ok(result, warnings)
  })
}

/** Whether `ip address`/`ip link` output is the text form (`ip -j` prints a JSON array). */
export function isIpLinkText(text: string): boolean {
  return /^\s*\d+:\s/.test(text)
}

/** Whether `ip route` output is the text form: its first line starts with a route. */
export function isIpRouteText(text: string): boolean {
  return /^\s*(default|\d|[0-9a-f]{1,4}:|(local|broadcast|multicast|anycast|unreachable|blackhole|prohibit|throw|nat|unicast)\s)/.test(text)
}
