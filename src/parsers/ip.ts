/** iproute2 JSON output (`ip -j addr`, `ip -j route`, `ip -j -s -d link`). */

import type {IpAddrInterface, IpAddress, IpLink, IpRoute, LinkCounters, ParseResult} from './types.js'
import {fail, guard, isRecord, num, ok, parseJson, str, warningList} from './util.js'

/** ip -j prints one JSON array; anything else (an error message, a cut-off array) is unreadable. */
function jsonArray(text: string, what: string): {ok: true; items: unknown[]} | {ok: false; error: string} {
  if (text.trim() === '') return {ok: false, error: `${what}: empty output`}
  const parsed = parseJson(text)
  if (!parsed.ok) return {ok: false, error: `${what}: ${parsed.error}`}
  if (!Array.isArray(parsed.value)) return {ok: false, error: `${what}: expected a JSON array`}
  return {ok: true, items: parsed.value}
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

function intOrNull(value: unknown): number | null {
  const n = num(value)
  return n !== null && Number.isInteger(n) ? n : null
}

function linkHead(item: Record<string, unknown>): {ifindex: number; ifname: string} | null {
  const ifindex = intOrNull(item.ifindex)
  const ifname = str(item.ifname)
  return ifindex === null || ifname === null ? null : {ifindex, ifname}
}

function parseAddress(entry: unknown): IpAddress | null {
  if (!isRecord(entry)) return null
  const family = entry.family
  const local = str(entry.local)
  const prefixlen = intOrNull(entry.prefixlen)
  if ((family !== 'inet' && family !== 'inet6') || local === null || prefixlen === null) return null
  return {
    family,
    local,
    prefixlen,
    scope: str(entry.scope),
    label: str(entry.label),
    dynamic: entry.dynamic === true,
    validLifetime: intOrNull(entry.valid_life_time),
    preferredLifetime: intOrNull(entry.preferred_life_time),
  }
}

export function parseIpAddr(text: string): ParseResult<IpAddrInterface[]> {
  return guard('ip-addr', () => {
    const parsed = jsonArray(text, 'ip-addr')
    if (!parsed.ok) return fail(parsed.error)
    const warnings = warningList()
    const result: IpAddrInterface[] = []
    for (const [i, item] of parsed.items.entries()) {
      const head = isRecord(item) ? linkHead(item) : null
      if (!isRecord(item) || head === null) {
        warnings.push(`entry ${i}: no ifindex/ifname, skipped`)
        continue
      }
      const addresses: IpAddress[] = []
      for (const entry of Array.isArray(item.addr_info) ? item.addr_info : []) {
        const address = parseAddress(entry)
        if (address) addresses.push(address)
        else warnings.push(`${head.ifname}: unreadable addr_info entry skipped`)
      }
      result.push({
        ...head,
        flags: stringArray(item.flags),
        mtu: intOrNull(item.mtu),
        operstate: str(item.operstate),
        linkType: str(item.link_type),
        mac: str(item.address),
        master: str(item.master),
        addresses,
      })
    }
    return ok(result, warnings)
  })
}

/** ip -j route has no family field; the destination or gateway tells it. */
export function routeFamily(dst: string, gateway: string | null): 'inet' | 'inet6' | null {
  for (const address of [dst, gateway]) {
    if (address === null || address === 'default') continue
    if (address.includes(':')) return 'inet6'
    if (/^\d+\.\d+\.\d+\.\d+/.test(address)) return 'inet'
  }
  return null
}

export function parseIpRoute(text: string): ParseResult<IpRoute[]> {
  return guard('ip-route', () => {
    const parsed = jsonArray(text, 'ip-route')
    if (!parsed.ok) return fail(parsed.error)
    const warnings = warningList()
    const result: IpRoute[] = []
    for (const [i, item] of parsed.items.entries()) {
      const dst = isRecord(item) ? str(item.dst) : null
      if (!isRecord(item) || dst === null) {
        warnings.push(`entry ${i}: no dst, skipped`)
        continue
      }
      const gateway = str(item.gateway)
      const table = item.table
      result.push({
        dst,
        family: routeFamily(dst, gateway),
        gateway,
        dev: str(item.dev),
        protocol: str(item.protocol),
        scope: str(item.scope),
        prefsrc: str(item.prefsrc),
        table: typeof table === 'string' ? table : typeof table === 'number' ? String(table) : 'main',
        type: str(item.type),
        metric: intOrNull(item.metric),
      })
    }
    return ok(result, warnings)
  })
}

/** stats64 (64-bit, preferred) or the older 32-bit stats block of `ip -s`. */
function linkCounters(item: Record<string, unknown>): LinkCounters | null {
  const block = isRecord(item.stats64) ? item.stats64 : isRecord(item.stats) ? item.stats : null
  if (block === null) return null
  const rx = isRecord(block.rx) ? block.rx : {}
  const tx = isRecord(block.tx) ? block.tx : {}
  return {
    rxBytes: intOrNull(rx.bytes),
    rxPackets: intOrNull(rx.packets),
    rxErrors: intOrNull(rx.errors),
    rxDropped: intOrNull(rx.dropped),
    txBytes: intOrNull(tx.bytes),
    txPackets: intOrNull(tx.packets),
    txErrors: intOrNull(tx.errors),
    txDropped: intOrNull(tx.dropped),
  }
}

export function parseIpLink(text: string): ParseResult<IpLink[]> {
  return guard('ip-link', () => {
    const parsed = jsonArray(text, 'ip-link')
    if (!parsed.ok) return fail(parsed.error)
    const warnings = warningList()
    const result: IpLink[] = []
    for (const [i, item] of parsed.items.entries()) {
      const head = isRecord(item) ? linkHead(item) : null
      if (!isRecord(item) || head === null) {
        warnings.push(`entry ${i}: no ifindex/ifname, skipped`)
        continue
      }
      const linkinfo = isRecord(item.linkinfo) ? item.linkinfo : null
      result.push({
        ...head,
        flags: stringArray(item.flags),
        mtu: intOrNull(item.mtu),
        operstate: str(item.operstate),
        mac: str(item.address),
        master: str(item.master),
        kind: linkinfo ? str(linkinfo.info_kind) : null,
        promiscuity: intOrNull(item.promiscuity),
        counters: linkCounters(item),
      })
    }
    return ok(result, warnings)
  })
}
