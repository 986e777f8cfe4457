/** /proc/meminfo and /proc/cmdline. */

import type {KernelCmdline, Meminfo, ParseResult} from './types.js'
import {fail, guard, lines, ok, toInt, warningList} from './util.js'

const MEMINFO_FIELDS: Record<string, keyof Meminfo> = {
  HugePages_Total: 'hugepagesTotal',
  HugePages_Free: 'hugepagesFree',
  HugePages_Rsvd: 'hugepagesRsvd',
  Hugepagesize: 'hugepageSizeKb',
  MemTotal: 'memTotalKb',
}

const HUGEPAGE_FIELDS = Object.entries(MEMINFO_FIELDS).filter(([key]) => /^Huge/i.test(key))

export function parseMeminfo(text: string): ParseResult<Meminfo> {
  return guard('meminfo', () => {
    const value: Meminfo = {
      hugepagesTotal: null,
      hugepagesFree: null,
      hugepagesRsvd: null,
      hugepageSizeKb: null,
      memTotalKb: null,
    }
    let seen = 0
    for (const line of lines(text)) {
      // "HugePages_Total:     160" / "Hugepagesize:       2048 kB"
      const m = /^\s*([A-Za-z0-9_()]+):\s*(\d+)(?:\s*kB)?\s*$/.exec(line)
      if (!m) continue
      seen++
      const field = MEMINFO_FIELDS[m[1] ?? '']
      if (field) value[field] = toInt(m[2])
    }
    if (seen === 0) return fail('meminfo: no "Key: value" lines')
    // Only the hugepage lines matter to the rules; MemTotal is extra (a filtered capture may lack it).
    const warnings = HUGEPAGE_FIELDS.filter(([, field]) => value[field] === null).map(([key]) => `${key} not present`)
    return ok(value, warnings)
  })
}

/** Splits the kernel command line on blanks outside double quotes (param="a b" is one word). */
function cmdlineWords(raw: string): string[] {
  const words: string[] = []
  let current = ''
  let inQuotes = false
  for (const ch of raw) {
    if (ch === '"') {
      inQuotes = !inQuotes
      current += ch
    } else if (!inQuotes && /\s/.test(ch)) {
      if (current !== '') words.push(current)
      current = ''
    } else {
      current += ch
    }
  }
  if (current !== '') words.push(current)
  return words
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
}

export function parseCmdline(text: string): ParseResult<KernelCmdline> {
  return guard('cmdline', () => {
    const raw = text.trim()
    if (raw === '') return fail('cmdline: empty')
    const params: Record<string, string | true> = {}
    const warnings = warningList()
    for (const word of cmdlineWords(raw)) {
      const eq = word.indexOf('=')
      const key = eq === -1 ? word : word.slice(0, eq)
      // Repeats are normal for hugepagesz=/hugepages= pairs; the last one wins here, raw keeps all.
      if (key in params) warnings.push(`${key} given more than once; kept the last value`)
      params[key] = eq === -1 ? true : unquote(word.slice(eq + 1))
    }
    return ok({raw, params}, warnings)
  })
}
