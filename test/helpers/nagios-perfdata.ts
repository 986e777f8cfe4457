/**
 * A parser for plugin output written to the Monitoring Plugins Development Guidelines
 * (https://www.monitoring-plugins.org/doc/guidelines.html, "Plugin Output" and "Performance
 * data"), independent of src/report/nagios.ts so that the renderer is checked against the text of
 * the guidelines, not against itself:
 *
 *   TEXT OUTPUT | OPTIONAL PERFDATA
 *   LONG TEXT LINE 1
 *   LONG TEXT LINE 2 | PERFDATA 2
 *   PERFDATA 3
 *
 * perfdata: space-separated 'label'=value[UOM];[warn];[crit];[min];[max]. The label is quoted with
 * single quotes when it has spaces (a quote inside doubled), and has no '=' or quote otherwise;
 * value is [-0-9.] or "U" (could not be determined); UOM is s, ms, us, %, B, KB, MB, TB, c or
 * none; warn and crit are ranges [@][start:][end] (start "~" is -infinity); min and max are numbers
 * (not needed with %); trailing empty fields may be dropped. Throws on anything else.
 */

export interface Range {
  /** "@": alert inside the range rather than outside. */
  inside: boolean
  start: number
  end: number
}

export interface PerfItem {
  label: string
  value: number | null
  uom: string
  warn: Range | null
  crit: Range | null
  min: number | null
  max: number | null
}

export interface PluginOutput {
  statusLine: string
  longText: string[]
  perfdata: PerfItem[]
}

const NUMBER = /^-?(\d+(\.\d*)?|\.\d+)$/
const UOMS = ['', 's', 'ms', 'us', '%', 'B', 'KB', 'MB', 'TB', 'c']

function number(s: string, what: string): number {
  if (!NUMBER.test(s)) throw new Error(`${what}: not a number: ${JSON.stringify(s)}`)
  return Number(s)
}

export function parseRange(s: string): Range | null {
  if (s === '') return null
  let body = s
  const inside = body.startsWith('@')
  if (inside) body = body.slice(1)
  const colon = body.indexOf(':')
  if (colon < 0) return {inside, start: 0, end: number(body, `range ${s}`)}
  const startText = body.slice(0, colon)
  const endText = body.slice(colon + 1)
  const start = startText === '~' ? -Infinity : startText === '' ? 0 : number(startText, `range ${s} start`)
  const end = endText === '' ? Infinity : number(endText, `range ${s} end`)
  if (start > end) throw new Error(`range ${s}: start above end`)
  return {inside, start, end}
}

/** Whether the range alerts for a value (the guidelines' table: outside start..end, or inside with @). */
export function rangeAlerts(r: Range, v: number): boolean {
  const within = v >= r.start && v <= r.end
  return r.inside ? within : !within
}

/** Splits perfdata into items: on spaces, except inside a quoted label. */
function tokens(perf: string): string[] {
  const out: string[] = []
  let i = 0
  while (i < perf.length) {
    if (perf[i] === ' ') {
      i++
      continue
    }
    let j = i
    if (perf[i] === "'") {
      j++
      for (;;) {
        const q = perf.indexOf("'", j)
        if (q < 0) throw new Error(`unterminated quoted label in ${JSON.stringify(perf.slice(i))}`)
        if (perf[q + 1] === "'") j = q + 2
        else {
          j = q + 1
          break
        }
      }
    }
    const space = perf.indexOf(' ', j)
    const end = space < 0 ? perf.length : space
    out.push(perf.slice(i, end))
    i = end
  }
  return out
}

export function parsePerfItem(item: string): PerfItem {
  let label: string
  let rest: string
  if (item.startsWith("'")) {
    const m = /^'((?:[^']|'')*)'=(.*)$/.exec(item)
    if (!m) throw new Error(`bad quoted label: ${item}`)
    label = m[1]!.replace(/''/g, "'")
    rest = m[2]!
  } else {
    const eq = item.indexOf('=')
    if (eq <= 0) throw new Error(`no label=value: ${item}`)
    label = item.slice(0, eq)
    if (/['=\s]/.test(label)) throw new Error(`label needs quotes: ${item}`)
    rest = item.slice(eq + 1)
  }
  const fields = rest.split(';')
  if (fields.length > 5) throw new Error(`more than 5 fields: ${item}`)
  const [valueField = '', warn = '', crit = '', min = '', max = ''] = fields
  const m = /^(U|-?(?:\d+(?:\.\d*)?|\.\d+))([a-zA-Z%]*)$/.exec(valueField)
  if (!m) throw new Error(`bad value: ${item}`)
  const uom = m[2]!
  if (!UOMS.includes(uom)) throw new Error(`unknown UOM ${uom}: ${item}`)
  return {
    label,
    value: m[1] === 'U' ? null : Number(m[1]),
    uom,
    warn: parseRange(warn),
    crit: parseRange(crit),
    min: min === '' ? null : number(min, `${label} min`),
    max: max === '' ? null : number(max, `${label} max`),
  }
}

export function parsePerfdata(perf: string): PerfItem[] {
  return tokens(perf.trim()).map(parsePerfItem)
}

export function parsePluginOutput(out: string): PluginOutput {
  const lines = out.replace(/\n$/, '').split('\n')
  const [first = '', ...rest] = lines
  const bar = first.indexOf('|')
  const statusLine = (bar < 0 ? first : first.slice(0, bar)).trim()
  const perfdata = bar < 0 ? [] : parsePerfdata(first.slice(bar + 1))
  const longText: string[] = []
  let inPerf = false
  for (const line of rest) {
    if (inPerf) {
      perfdata.push(...parsePerfdata(line))
      continue
    }
    const b = line.indexOf('|')
    if (b < 0) longText.push(line)
    else {
      if (line.slice(0, b).trim() !== '') longText.push(line.slice(0, b).trimEnd())
      perfdata.push(...parsePerfdata(line.slice(b + 1)))
      inPerf = true
    }
  }
  return {statusLine, longText, perfdata}
}
