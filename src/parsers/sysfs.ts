/** The in-process sysfs readers' JSON (sysfs-net, sysfs-stats). */

import type {LinkCounters, ParseResult, SysfsNetDevice, SysfsStats} from './types.js'
import {fail, guard, isRecord, num, ok, parseJson, str, warningList} from './util.js'

export function parseSysfsNet(text: string): ParseResult<SysfsNetDevice[]> {
  return guard('sysfs-net', () => {
    const parsed = parseJson(text)
    if (!parsed.ok) return fail(`sysfs-net: ${parsed.error}`)
    if (!Array.isArray(parsed.value)) return fail('sysfs-net: expected a JSON array')
    const warnings = warningList()
    const devices: SysfsNetDevice[] = []
    for (const [i, item] of parsed.value.entries()) {
      const ifname = isRecord(item) ? str(item.ifname) : null
      if (!isRecord(item) || ifname === null) {
        warnings.push(`entry ${i}: no ifname, skipped`)
        continue
      }
      const numaNode = num(item.numaNode)
      devices.push({
        ifname,
        driver: str(item.driver),
        pciAddress: str(item.pciAddress),
        // sysfs numa_node is -1 when the platform does not know it.
        numaNode: numaNode === null || numaNode < 0 ? null : numaNode,
      })
    }
    return ok(devices, warnings)
  })
}

const SYSFS_COUNTERS: Record<keyof LinkCounters, string> = {
  rxBytes: 'rx_bytes',
  rxPackets: 'rx_packets',
  rxErrors: 'rx_errors',
  rxDropped: 'rx_dropped',
  txBytes: 'tx_bytes',
  txPackets: 'tx_packets',
  txErrors: 'tx_errors',
  txDropped: 'tx_dropped',
}

export function parseSysfsStats(text: string): ParseResult<SysfsStats> {
  return guard('sysfs-stats', () => {
    const parsed = parseJson(text)
    if (!parsed.ok) return fail(`sysfs-stats: ${parsed.error}`)
    if (!isRecord(parsed.value)) return fail('sysfs-stats: expected a JSON object')
    const warnings = warningList()
    const stats: SysfsStats = {}
    for (const [ifname, raw] of Object.entries(parsed.value)) {
      if (!isRecord(raw)) {
        warnings.push(`${ifname}: not an object, skipped`)
        continue
      }
      const counters = {} as LinkCounters
      for (const [field, key] of Object.entries(SYSFS_COUNTERS) as Array<[keyof LinkCounters, string]>) {
        counters[field] = num(raw[key])
      }
      stats[ifname] = counters
    }
    return ok(stats, warnings)
  })
}
