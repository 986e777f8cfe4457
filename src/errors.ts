/**
 * Exit codes (monitoring-plugin convention) and the one error type commands render.
 */
import {printable} from './util/printable.js'

export const EXIT = {
  OK: 0,
  WARNING: 1,
  CRITICAL: 2,
  /** Could not decide: required sources missing, usage error, timeout, unreadable bundle. */
  UNKNOWN: 3,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** A user-facing error: a code, one clear message, what to try, and the exit code. */
export class DoctorError extends Error {
  readonly code: string
  readonly suggestions: string[]
  readonly exit: number

  constructor(code: string, message: string, opts: {suggestions?: string[]; exit?: number} = {}) {
    super(message)
    this.name = 'DoctorError'
    this.code = code
    this.suggestions = opts.suggestions ?? []
    this.exit = opts.exit ?? EXIT.UNKNOWN
  }
}

type AnyError = Error & {oclif?: {exit?: number}; suggestions?: string[]}

/** The exit code of any error: ours carry it, oclif's parse errors carry it (3, see package.json), bugs are UNKNOWN. */
export function exitOf(err: AnyError): number {
  return err instanceof DoctorError ? err.exit : (err.oclif?.exit ?? EXIT.UNKNOWN)
}

/** The `--json` error document: stable and minimal (oclif's default would dump its whole config). */
export function errorDocument(err: AnyError): {error: {code: string; message: string; suggestions: string[]; exit: number}} {
  const code = err instanceof DoctorError ? err.code : err.oclif ? 'E_USAGE' : 'E_INTERNAL'
  const suggestions = err instanceof DoctorError ? err.suggestions : (err.suggestions ?? [])
  return {error: {code, message: err.message, suggestions, exit: exitOf(err)}}
}

/** The human form of an error, for stderr. */
export function errorText(err: AnyError, verbose = false): string {
  const {suggestions} = errorDocument(err).error
  // A message can quote a bundle's or a host's text: escaped for the terminal (--json keeps it raw).
  const lines = [`Error: ${printable(err.message)}`, ...suggestions.map((s) => `Try: ${printable(s)}`)]
  if (verbose && !(err instanceof DoctorError) && !err.oclif && err.stack) lines.push(err.stack)
  return lines.join('\n') + '\n'
}

/**
 * oclif's parse errors in the CLI's style: one line ("--during=5s cannot also be provided when using
 * --load"), without "The following error occurred:" or "See more help with --help" (that becomes
 * the suggestion).
 */
export function usageError(err: AnyError, commandId: string | undefined, bin: string): DoctorError {
  const lines = err.message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^See more help with/.test(l) && !/^The following errors? occurred:?$/.test(l))
  const message = lines
    .reduce((text, l) => (text === '' ? l : text.endsWith(':') ? `${text} ${l}` : `${text}; ${l}`), '')
    .replace(/\s{2,}/g, ' ')
    .replace(/^Parsing (--[\w-]+):?\s*/, '$1: ')
  const help = `${bin}${commandId ? ` ${commandId.replaceAll(':', ' ')}` : ''} --help`
  return new DoctorError('E_USAGE', message, {suggestions: [...(err.suggestions ?? []), help], exit: exitOf(err)})
}
