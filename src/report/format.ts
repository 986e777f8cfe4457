/** Number formatting for reports: thousands separators, SI bytes and bits, percentages. */

export function int(n: number | null | undefined): string {
  if (n === null || n === undefined) return '?'
  return Math.round(n).toLocaleString('en-US')
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '?'
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let v = n
  let u = 0
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000
    u++
  }
  return `${u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`
}

export function bits(bitsPerSecond: number | null | undefined): string {
  if (bitsPerSecond === null || bitsPerSecond === undefined) return '?'
  if (bitsPerSecond >= 1e9) return `${(bitsPerSecond / 1e9).toFixed(2)} Gbit/s`
  if (bitsPerSecond >= 1e6) return `${(bitsPerSecond / 1e6).toFixed(1)} Mbit/s`
  return `${(bitsPerSecond / 1e3).toFixed(1)} kbit/s`
}

export function percent(share: number | null | undefined): string {
  if (share === null || share === undefined) return '-'
  const p = share * 100
  return `${p >= 99.95 || (p > 0 && p < 0.05) ? p.toFixed(p >= 99.95 ? 0 : 2) : p.toFixed(1)} %`
}

/** A compact one-line rendering of an evidence value. */
export function evidenceValue(v: unknown): string {
  if (v === null || v === undefined) return '?'
  if (typeof v === 'number') return Number.isInteger(v) ? int(v) : String(Number(v.toFixed(3)))
  if (typeof v === 'string') return v
  if (Array.isArray(v)) return v.map(evidenceValue).join(', ')
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}=${evidenceValue(x)}`)
      .join(' ')
  }
  return String(v)
}
