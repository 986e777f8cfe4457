/** `ovs-appctl fdb/show <br>`: text (all versions), JSON array (3.6+), JSON object by bridge (4.0). */

import type {FdbEntry, ParseResult} from './types.js'
import {fail, guard, isRecord, lines, ok, parseJson, toInt, warningList} from './util.js'

/** OpenFlow's OFPP_LOCAL, which the JSON form prints instead of "LOCAL". */
const OFPP_LOCAL = 65534
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i

function jsonEntries(items: unknown, bridge: string | null, warnings: string[]): FdbEntry[] {
  if (!Array.isArray(items)) {
    warnings.push(`${bridge ?? 'fdb'}: expected an array of entries`)
    return []
  }
  const entries: FdbEntry[] = []
  for (const [i, item] of items.entries()) {
    if (!isRecord(item) || typeof item.mac !== 'string' || typeof item.vlan !== 'number') {
      warnings.push(`entry ${i}: no mac/vlan, skipped`)
      continue
    }
    const port = item.port
    if (typeof port !== 'number' && typeof port !== 'string') {
      warnings.push(`entry ${i}: no port, skipped`)
      continue
    }
    const isStatic = item.static === true
    entries.push({
      bridge,
      port: port === OFPP_LOCAL || port === String(OFPP_LOCAL) ? 'LOCAL' : String(port),
      vlan: item.vlan,
      mac: item.mac,
      age: isStatic || typeof item.age !== 'number' ? null : item.age,
      static: isStatic,
    })
  }
  return entries
}

function parseJsonFdb(text: string, bridge: string | null): ParseResult<FdbEntry[]> {
  const parsed = parseJson(text)
  if (!parsed.ok) return fail(`fdb/show: ${parsed.error}`)
  const warnings = warningList()
  if (Array.isArray(parsed.value)) return ok(jsonEntries(parsed.value, bridge, warnings), warnings)
  if (isRecord(parsed.value)) {
    const entries = Object.entries(parsed.value).flatMap(([name, items]) => jsonEntries(items, name, warnings))
    return ok(entries, warnings)
  }
  return fail('fdb/show: JSON is neither an array nor an object')
}

/**
 * Text table, parsed by tokens: "port VLAN MAC Age" rows, or with OVS 4.0's multi-bridge
 * "Bridge Port VLAN MAC Age" where the bridge name is only on its first row.
 */
function parseTextFdb(text: string, bridge: string | null): ParseResult<FdbEntry[]> {
  const warnings = warningList()
  const entries: FdbEntry[] = []
  let sawHeader = false
  let hasBridgeColumn = false
  let currentBridge = bridge
  for (const line of lines(text)) {
    const trimmed = line.trim()
    if (trimmed === '') continue
    const tokens = trimmed.split(/\s+/)
    // A header names the mac and vlan columns; only a line that contains both words can be one.
    const lowerLine = trimmed.toLowerCase()
    if (lowerLine.includes('mac') && lowerLine.includes('vlan')) {
      const lower = lowerLine.split(/\s+/)
      if (lower.includes('mac') && lower.includes('vlan')) {
        sawHeader = true
        hasBridgeColumn = lower[0] === 'bridge'
        continue
      }
    }
    let row = tokens
    if (hasBridgeColumn && tokens.length === 5) {
      currentBridge = tokens[0] ?? null
      row = tokens.slice(1)
    } else if (hasBridgeColumn && tokens.length === 1) {
      // An empty bridge still gets a row with just its name.
      currentBridge = tokens[0] ?? null
      continue
    }
    const [port, vlanText, mac, age] = row
    const vlan = toInt(vlanText)
    if (row.length !== 4 || port === undefined || vlan === null || mac === undefined || !MAC.test(mac) || age === undefined) {
      warnings.push(`ignored line: ${line.trim().slice(0, 80)}`)
      continue
    }
    const isStatic = age.toLowerCase() === 'static'
    const ageValue = isStatic ? null : toInt(age)
    if (!isStatic && ageValue === null) warnings.push(`unreadable age "${age}" for ${mac}`)
    entries.push({bridge: currentBridge, port, vlan, mac: mac.toLowerCase(), age: ageValue, static: isStatic})
  }
  if (!sawHeader) return fail('fdb/show: no "port VLAN MAC Age" header')
  return ok(entries, warnings)
}

export function parseFdbShow(text: string, bridge: string | null): ParseResult<FdbEntry[]> {
  return guard('fdb/show', () => {
    const trimmed = text.trim()
    if (trimmed === '') return fail('fdb/show: empty output')
    if (trimmed.startsWith('[') || trimmed.startsWith('{')) return parseJsonFdb(trimmed, bridge)
    return parseTextFdb(text, bridge)
  })
}
