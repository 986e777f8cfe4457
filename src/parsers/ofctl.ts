/** `ovs-ofctl show BR` and `ovs-ofctl dump-ports BR`. */

import type {OfctlPortCounters, OfctlPortStats, OfctlShowPort, ParseResult} from './types.js'
import {fail, guard, lines, ok, toInt, warningList} from './util.js'

function portId(token: string): number | 'LOCAL' | null {
  if (token.toUpperCase() === 'LOCAL') return 'LOCAL'
  return toInt(token)
}

export function parseOfctlShow(text: string): ParseResult<OfctlShowPort[]> {
  return guard('ofctl show', () => {
    const warnings = warningList()
    const ports: OfctlShowPort[] = []
    let port: OfctlShowPort | null = null
    let sawReply = false
    for (const line of lines(text)) {
      if (/OFPT_FEATURES_REPLY|OFPST_PORT_DESC reply/i.test(line)) sawReply = true
      // " 1(dpdk0): addr:02:00:00:00:d0:00" / " LOCAL(ovsbr0): addr:..."
      const head = /^\s*(\d+|LOCAL)\((.+)\):\s*addr:\s*(\S+)?/i.exec(line)
      if (head) {
        const id = portId(head[1] ?? '')
        if (id === null) {
          warnings.push(`unreadable port number in: ${line.trim().slice(0, 80)}`)
          port = null
          continue
        }
        port = {port: id, name: head[2] ?? '', mac: head[3]?.toLowerCase() ?? null, linkDown: null, portDown: null}
        ports.push(port)
        continue
      }
      const detail = /^\s+(config|state):\s*(.*)$/i.exec(line)
      if (detail && port !== null) {
        const flags = (detail[2] ?? '').trim().toUpperCase().split(/\s+/)
        if ((detail[1] ?? '').toLowerCase() === 'config') port.portDown = flags.includes('PORT_DOWN')
        else port.linkDown = flags.includes('LINK_DOWN')
        continue
      }
      // A non-indented line (OFPT_GET_CONFIG_REPLY, capabilities...) ends the port's detail lines.
      if (!/^\s/.test(line)) port = null
    }
    if (!sawReply && ports.length === 0) return fail('ofctl show: no OFPT_FEATURES_REPLY and no port line')
    return ok(ports, warnings)
  })
}

function counters(text: string): OfctlPortCounters {
  const values = new Map<string, number | null>()
  for (const m of text.matchAll(/([a-z]+)=\s*([^,\s]+)/gi)) {
    const value = m[2] ?? ''
    values.set((m[1] ?? '').toLowerCase(), toInt(value)) // null for "?" and other unknown tokens too
  }
  const get = (key: string): number | null => values.get(key) ?? null
  return {packets: get('pkts'), bytes: get('bytes'), drop: get('drop'), errs: get('errs')}
}

function emptyCounters(): OfctlPortCounters {
  return {packets: null, bytes: null, drop: null, errs: null}
}

export function parseOfctlPorts(text: string): ParseResult<OfctlPortStats[]> {
  return guard('ofctl dump-ports', () => {
    const warnings = warningList()
    const stats: OfctlPortStats[] = []
    let current: OfctlPortStats | null = null
    let sawReply = false
    for (const line of lines(text)) {
      if (/OFPST_PORT reply|OFPST_PORT_STATS reply|OFPMP_PORT_STATS reply/i.test(line)) sawReply = true
      // "  port LOCAL: rx pkts=..." / "  port  1: rx ..." (padded); named ports ("port "dpdk0":") are skipped.
      const head = /^\s*port\s+("?[^:"]+"?):\s*(.*)$/i.exec(line)
      if (head) {
        const id = portId((head[1] ?? '').trim())
        if (id === null) {
          warnings.push(`port "${head[1]}" is not a number or LOCAL, skipped`)
          current = null
          continue
        }
        current = {port: id, rx: emptyCounters(), tx: emptyCounters()}
        stats.push(current)
        const rest = (head[2] ?? '').trim()
        if (/^rx\b/i.test(rest)) current.rx = counters(rest.slice(2))
        continue
      }
      // "rx pkts=..." only: OF1.4+ adds "rx rfc2819 64_packets=..." lines that are not the port's totals.
      const direction = /^\s*(rx|tx)\s+(pkts=.*)$/i.exec(line)
      if (direction && current !== null) {
        if ((direction[1] ?? '').toLowerCase() === 'rx') current.rx = counters(direction[2] ?? '')
        else current.tx = counters(direction[2] ?? '')
      }
      // "duration=12.345s" (OpenFlow 1.3+), "CUSTOM Statistics" (OF1.4+) and anything else: not needed.
    }
    if (!sawReply && stats.length === 0) return fail('ofctl dump-ports: no OFPST_PORT reply and no port line')
    return ok(stats, warnings)
  })
}
