/**
 * Text from outside (a bundle, a host's command output) made safe for a terminal: control
 * characters, escape sequences and the invisible Unicode that reorders or hides text are shown as
 * escapes (`\x1b`, `\n`, `\u{202e}`), so a hostname of "\x1b[2J" prints as those characters
 * instead of clearing the screen, and a name with a newline cannot forge a line of the report.
 * Applied once, at the renderers' boundary (report, watch, fix); --json keeps the raw data.
 */

// C0 controls, DEL, C1 controls (0x9b is a one-byte CSI), and the bidi, zero-width, line and
// paragraph separator and BOM characters.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu
// eslint-disable-next-line no-control-regex
const UNSAFE_TEST = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u

const NAMED: Record<string, string> = {'\n': '\\n', '\r': '\\r', '\t': '\\t'}

function escape(ch: string): string {
  const named = NAMED[ch]
  if (named) return named
  const code = ch.codePointAt(0)!
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`
}

/** The text with every unsafe character escaped; the same string when there is none. */
export function printable(text: string): string {
  return UNSAFE_TEST.test(text) ? text.replace(UNSAFE, escape) : text
}

/** As printable, keeping line breaks (a multi-line document dpdk-doctor wrote itself). */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n')
}

/**
 * A copy of a value with every string (and object key) made printable; strings under the keys in
 * `multiline` keep their line breaks. Values without an unsafe character are returned as they are.
 */
export function printableDeep<T>(value: T, multiline: ReadonlySet<string> = new Set()): T {
  return walk(value, multiline, false) as T
}

function walk(value: unknown, multiline: ReadonlySet<string>, keepLines: boolean): unknown {
  if (typeof value === 'string') return keepLines ? printableLines(value) : printable(value)
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    let changed = false
    const out = value.map((x) => {
      const y = walk(x, multiline, keepLines)
      if (y !== x) changed = true
      return y
    })
    return changed ? out : value
  }
  if (value instanceof Map || value instanceof Set || value instanceof Date) return value
  let changed = false
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(value as Record<string, unknown>)) {
    const key = printable(k)
    const y = walk(x, multiline, keepLines || multiline.has(k))
    if (key !== k || y !== x) changed = true
    out[key] = y
  }
  // Unchanged objects keep their identity (and their prototype: frames, class instances).
  return changed ? out : value
}
