/** `ethtool -i <if>`: "label: value" lines. */

import type {EthtoolInfo, ParseResult} from './types.js'
import {fail, guard, isUnknownToken, lines, normaliseLabel, ok} from './util.js'

export function parseEthtoolInfo(text: string): ParseResult<EthtoolInfo> {
  return guard('ethtool-i', () => {
    const fields = new Map<string, string>()
    for (const line of lines(text)) {
      const colon = line.indexOf(':')
      if (colon <= 0) continue
      fields.set(normaliseLabel(line.slice(0, colon)), line.slice(colon + 1).trim())
    }
    if (!fields.has('driver')) return fail('ethtool -i: no "driver:" line')
    // ethtool prints empty values ("firmware-version: ") or "N/A" ("bus-info: N/A" on virtual
    // devices) when the driver does not report one: unknown, not a value.
    const get = (label: string): string | null => {
      const value = fields.get(label)
      return value === undefined || isUnknownToken(value) ? null : value
    }
    return ok({
      driver: get('driver'),
      version: get('version'),
      firmwareVersion: get('firmware-version'),
      busInfo: get('bus-info'),
    })
  })
}
