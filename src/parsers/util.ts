/** Small helpers shared by the parsers. Pure, no I/O. */

import type {ParseResult} from './types.js'

/** Warnings kept per parse: a hostile output of a million bad lines must not make a million strings. */
export const WARNINGS_KEPT = 50

/** A warning list that keeps the first WARNINGS_KEPT and counts the rest (ok() says how many). */
export function warningList(): string[] {
  const list: string[] = []
  let dropped = 0
  Object.defineProperty(list, 'push', {
    enumerable: false,
    value: (...items: string[]) => {
      for (const w of items) {
        if (list.length < WARNINGS_KEPT) Array.prototype.push.call(list, w)
        else dropped++
      }
      return list.length
    },
  })
  Object.defineProperty(list, 'dropped', {enumerable: false, get: () => dropped})
  return list
}

export function ok<T>(value: T, warnings: string[] = []): ParseResult<T> {
  const dropped = (warnings as {dropped?: number}).dropped
  if (dropped === undefined) return {ok: true, value, warnings}
  return {ok: true, value, warnings: dropped > 0 ? [...warnings, `and ${dropped} more warnings`] : [...warnings]}
}

export function fail<T>(error: string): ParseResult<T> {
  return {ok: false, error}
}

/** Marks errors that come from a parser bug rather than from the input (tests look for it). */
export const INTERNAL_ERROR = 'internal parser error'

/**
 * Runs a parser body and turns any unexpected exception into ok:false, so that a parser bug on odd
 * input degrades to "could not read this source" instead of crashing the diagnosis.
 */
export function guard<T>(what: string, body: () => ParseResult<T>): ParseResult<T> {
  try {
    return body()
  } catch (error) {
    return fail(`${what}: ${INTERNAL_ERROR}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** Lines without trailing CR, so CRLF captures parse like LF ones. */
export function lines(text: string): string[] {
  return text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
}

/** A tool printed "?" / "NOT AVAIL" / nothing: unknown, not zero. */
export function isUnknownToken(token: string): boolean {
  const t = token.trim().toUpperCase()
  return t === '' || t === '?' || t === 'NOT AVAIL' || t === 'N/A'
}

/** Decimal integer, or null when unknown or not a number. */
export function toInt(token: string | undefined | null): number | null {
  if (token === undefined || token === null) return null
  const t = token.trim()
  if (!/^-?\d+$/.test(t)) return null
  const n = Number(t)
  return Number.isSafeInteger(n) ? n : null
}

/** Decimal number (integer or fraction), or null. */
export function toNumber(token: string | undefined | null): number | null {
  if (token === undefined || token === null) return null
  const t = token.trim()
  if (!/^-?\d+(\.\d+)?$/.test(t)) return null
  const n = Number(t)
  return Number.isFinite(n) ? n : null
}

/** First number (integer or fraction) at the start of a value such as "352064" or "29.92 (1/2)". */
export function leadingNumber(value: string): number | null {
  const m = /^\s*(-?\d+(?:\.\d+)?)/.exec(value)
  return m ? toNumber(m[1]) : null
}

/** Lower-case label with runs of blanks collapsed: "  Rx  Packets" -> "rx packets". */
export function normaliseLabel(label: string): string {
  return label.trim().toLowerCase().replace(/\s+/g, ' ')
}

/** Parses JSON without throwing. */
export function parseJson(text: string): {ok: true; value: unknown} | {ok: false; error: string} {
  try {
    return {ok: true, value: JSON.parse(text) as unknown}
  } catch (error) {
    return {ok: false, error: `not JSON: ${error instanceof Error ? error.message : String(error)}`}
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

/** A finite number, or a numeric string (sysfs readers may keep text). */
export function num(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'string') return toNumber(value)
  return null
}

/** A count (bytes, packets, retransmits): a finite number, not negative; else null. */
export function count(value: unknown): number | null {
  const n = num(value)
  return n !== null && n >= 0 ? n : null
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100
}
