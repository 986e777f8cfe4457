/** `key = value` lines as sysctl prints them (the sysctl-net reader prints the same). */

import type {ParseResult, SysctlValues} from './types.js'
import {fail, guard, lines, ok, warningList} from './util.js'

export function parseSysctl(text: string): ParseResult<SysctlValues> {
  return guard('sysctl', () => {
    const values: SysctlValues = {}
    const warnings = warningList()
    for (const line of lines(text)) {
      if (line.trim() === '') continue
      const eq = line.indexOf('=')
      const key = eq === -1 ? '' : line.slice(0, eq).trim()
      // sysctl keys are dotted or slashed names without blanks; anything else is noise (an error line).
      if (key === '' || /\s/.test(key)) {
        warnings.push(`ignored line: ${line.slice(0, 80)}`)
        continue
      }
      values[key] = line.slice(eq + 1).trim()
    }
    if (Object.keys(values).length === 0) return fail('sysctl: no "key = value" lines')
    return ok(values, warnings)
  })
}
