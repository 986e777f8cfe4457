/**
 * Exit codes (monitoring-plugin convention) and the one error type commands render.
 */

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
