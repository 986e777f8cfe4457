/** `ovs-appctl dpctl/show -s` and `ovs-appctl dpif/show`. */

import type {DatapathPortStats, DpctlDatapath, DpctlPort, DpctlShow, DpifPort, DpifShow, ParseResult} from './types.js'
import {fail, guard, lines, ok, toInt, warningList} from './util.js'

/**
 * "(dpdk: k=v, k=v)" -> type and config. Pairs are joined by ", " (smap formatting); a value such as
 * dpdk-devargs=net_af_packet0,iface=x has bare commas, so split on comma+blank only.
 */
export function parsePortTypeAndConfig(inside: string): {type: string; config: Record<string, string>} {
  const colon = inside.indexOf(':')
  if (colon === -1) return {type: inside.trim(), config: {}}
  const config: Record<string, string> = {}
  let lastKey: string | null = null
  for (const part of inside.slice(colon + 1).split(/,\s+/)) {
    const item = part.trim()
    if (item === '') continue
    const eq = item.indexOf('=')
    if (eq > 0) {
      lastKey = item.slice(0, eq)
      config[lastKey] = item.slice(eq + 1)
    } else if (lastKey !== null) {
      config[lastKey] += `, ${item}`
    } else {
      // e.g. "(dpdk: error)": keep the text rather than lose it.
      config[item] = ''
    }
  }
  return {type: inside.slice(0, colon).trim(), config}
}

/** "key:value" tokens of a line ("packets:1 errors:0 overruns:?"); "?" becomes null. */
function colonTokens(text: string): Map<string, number | null> {
  const tokens = new Map<string, number | null>()
  for (const m of text.matchAll(/([A-Za-z_/]+):\s*(\S+)/g)) {
    const value = m[2] ?? ''
    tokens.set((m[1] ?? '').toLowerCase(), toInt(value)) // null for "?" and other unknown tokens too
  }
  return tokens
}

function emptyStats(): DatapathPortStats {
  return {rxPackets: null, rxBytes: null, rxErrors: null, rxDropped: null, txPackets: null, txBytes: null, txErrors: null, txDropped: null}
}

/** One stats line of a port: "RX packets:...", "TX packets:...", "RX bytes:N (x MiB)  TX bytes:N". */
function applyStatsLine(stats: DatapathPortStats, line: string): boolean {
  const trimmed = line.trim()
  const bytes = /^RX bytes:\s*(\S+).*?TX bytes:\s*(\S+)/i.exec(trimmed)
  if (bytes) {
    stats.rxBytes = toInt(bytes[1])
    stats.txBytes = toInt(bytes[2])
    return true
  }
  const direction = /^(RX|TX)\s+(.*)$/i.exec(trimmed)
  if (!direction) return /^collisions:/i.test(trimmed)
  const tokens = colonTokens(direction[2] ?? '')
  const pick = (key: string): number | null => tokens.get(key) ?? null
  if ((direction[1] ?? '').toUpperCase() === 'RX') {
    stats.rxPackets = pick('packets')
    stats.rxErrors = pick('errors')
    stats.rxDropped = pick('dropped')
  } else {
    stats.txPackets = pick('packets')
    stats.txErrors = pick('errors')
    stats.txDropped = pick('dropped')
  }
  return true
}

export function parseDpctlShow(text: string): ParseResult<DpctlShow> {
  return guard('dpctl/show', () => {
    const warnings = warningList()
    const datapaths: DpctlDatapath[] = []
    let datapath: DpctlDatapath | null = null
    let port: DpctlPort | null = null
    for (const line of lines(text)) {
      const trimmed = line.trim()
      if (trimmed === '') continue
      const header = /^(\S+@\S+):$/.exec(trimmed)
      if (header && !/^\s/.test(line)) {
        datapath = {name: header[1] ?? '', lookups: null, flows: null, ports: []}
        datapaths.push(datapath)
        port = null
        continue
      }
      if (datapath === null) {
        warnings.push(`line before any datapath ignored: ${trimmed.slice(0, 80)}`)
        continue
      }
      const portLine = /^port\s+(\d+):\s+(\S+)(?:\s+\((.*)\))?\s*$/i.exec(trimmed)
      if (portLine) {
        const typed = portLine[3] === undefined ? {type: 'system', config: {}} : parsePortTypeAndConfig(portLine[3])
        port = {portNo: Number(portLine[1]), name: portLine[2] ?? '', type: typed.type, config: typed.config, stats: null}
        datapath.ports.push(port)
        continue
      }
      const lookups = /^lookups:\s*(.*)$/i.exec(trimmed)
      if (lookups) {
        const tokens = colonTokens(lookups[1] ?? '')
        datapath.lookups = {hit: tokens.get('hit') ?? null, missed: tokens.get('missed') ?? null, lost: tokens.get('lost') ?? null}
        continue
      }
      const flows = /^flows:\s*(\S+)/i.exec(trimmed)
      if (flows) {
        datapath.flows = toInt(flows[1])
        continue
      }
      if (port !== null && /^(RX|TX|collisions)\b/i.test(trimmed)) {
        port.stats ??= emptyStats()
        applyStatsLine(port.stats, trimmed)
        continue
      }
      // masks:, caches:, cache: lines of newer OVS are not needed.
    }
    if (datapaths.length === 0) return fail('dpctl/show: no "type@name:" datapath line')
    return ok({datapaths}, warnings)
  })
}

export function parseDpifShow(text: string): ParseResult<DpifShow> {
  return guard('dpif/show', () => {
    const warnings = warningList()
    const result: DpifShow = {datapaths: [], bridges: []}
    let datapath: string | null = null
    let bridge: DpifShow['bridges'][number] | null = null
    for (const line of lines(text)) {
      const trimmed = line.trim()
      if (trimmed === '') continue
      // "netdev@ovs-netdev: hit:N missed:N"
      const dp = /^(\S+@\S+):(?:\s+(.*))?$/.exec(trimmed)
      if (dp && !/^\s/.test(line)) {
        datapath = dp[1] ?? null
        const tokens = colonTokens(dp[2] ?? '')
        result.datapaths.push({name: dp[1] ?? '', hit: tokens.get('hit') ?? null, missed: tokens.get('missed') ?? null})
        bridge = null
        continue
      }
      // "    dpdk0 1/2: (dpdk: k=v, ...)"; "none" for a port number OVS does not have.
      const portLine = /^(\S+)\s+(\S+)\/(\S+):\s*(?:\((.*)\))?\s*$/.exec(trimmed)
      if (portLine) {
        if (bridge === null) {
          warnings.push(`port line before any bridge ignored: ${trimmed.slice(0, 80)}`)
          continue
        }
        const typed = portLine[4] === undefined ? {type: 'system', config: {}} : parsePortTypeAndConfig(portLine[4])
        const port: DpifPort = {
          name: portLine[1] ?? '',
          ofport: toInt(portLine[2]),
          odpPort: toInt(portLine[3]),
          type: typed.type,
          config: typed.config,
        }
        bridge.ports.push(port)
        continue
      }
      const bridgeLine = /^(\S+):$/.exec(trimmed)
      if (bridgeLine) {
        bridge = {name: bridgeLine[1] ?? '', datapath, ports: []}
        result.bridges.push(bridge)
        continue
      }
      warnings.push(`ignored line: ${trimmed.slice(0, 80)}`)
    }
    if (result.datapaths.length === 0 && result.bridges.length === 0) return fail('dpif/show: no datapath or bridge line')
    return ok(result, warnings)
  })
}
