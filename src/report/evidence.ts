/**
 * A finding's evidence for people (`--verbose`): names instead of camelCase keys, units on bytes,
 * shares and times, and nothing for values that were not observed.
 */
import {bytes, int, percent} from './format.js'

/** "referenceBytes" -> "reference bytes", "tx_dropped" -> "tx dropped", "pmdBusyPct" -> "pmd busy %". */
export function evidenceName(key: string): string {
  return key
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/ pct$/, ' %')
    .replace(/\bipv4\b/, 'IPv4')
}

const isBytes = (key: string) => /bytes$/i.test(key)
const isShare = (key: string) => /share$/i.test(key)
const isSeconds = (key: string) => /(S|Seconds)$/.test(key) && !/bytes|packets|routes|addresses/i.test(key)

function scalar(key: string, v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null
  if (typeof v === 'boolean') return v ? 'yes' : 'no'
  if (typeof v === 'number') {
    if (isBytes(key)) return bytes(v)
    if (isShare(key)) return percent(v)
    if (isSeconds(key)) return `${Number(v.toFixed(3))} s`
    return Number.isInteger(v) ? int(v) : String(Number(v.toFixed(3)))
  }
  if (typeof v === 'string') return v
  return null
}

/** One object of an evidence list ({name, bytes, packets}) as "dpdk0: 0 B, 0 packets". */
function record(o: Record<string, unknown>): string | null {
  const name = typeof o.name === 'string' ? o.name : typeof o.mac === 'string' ? o.mac : null
  const parts = Object.entries(o)
    .filter(([k]) => !(k === 'name' && name === o.name) && !(k === 'mac' && name === o.mac))
    .map(([k, x]) => {
      const s = scalar(k, x)
      if (s === null) return null
      return k === 'bytes' || k === 'packets' ? (k === 'bytes' ? s : `${s} packets`) : `${evidenceName(k)} ${s}`
    })
    .filter((x): x is string => x !== null)
  if (name === null && parts.length === 0) return null
  return name === null ? parts.join(', ') : parts.length > 0 ? `${name}: ${parts.join(', ')}` : name
}

/** The value as text, or null when there is nothing to show (empty, unknown). */
export function evidenceText(key: string, v: unknown): string | null {
  if (Array.isArray(v)) {
    const items = v.map((x) => (x !== null && typeof x === 'object' ? record(x as Record<string, unknown>) : scalar(key, x))).filter((x): x is string => x !== null)
    return items.length > 0 ? items.join('; ') : null
  }
  if (v !== null && typeof v === 'object') return record(v as Record<string, unknown>)
  return scalar(key, v)
}

/** "name: value" lines of the evidence that was observed. */
export function evidenceLines(evidence: Record<string, unknown>): string[] {
  return Object.entries(evidence).flatMap(([k, v]) => {
    const text = evidenceText(k, v)
    return text === null ? [] : [`${evidenceName(k)}: ${text}`]
  })
}
