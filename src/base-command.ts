/**
 * Base of every command: `--json` (one document on stdout, on success and on error), --no-color,
 * and exit codes that survive `--json` (oclif's own catch exits 1 there, and 2 for a plain error,
 * which a monitoring system would read as CRITICAL).
 */
import {Command, Flags} from '@oclif/core'
import {DoctorError, EXIT} from './errors.js'
import {colorWanted, makeStyle} from './report/style.js'
import type {Style} from './report/style.js'

type OclifError = Error & {code?: string; oclif?: {exit?: number}; suggestions?: string[]}

export abstract class DoctorCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    'no-color': Flags.boolean({description: 'Plain output without colour (NO_COLOR and non-TTY output are plain too).', helpGroup: 'GLOBAL'}),
    verbose: Flags.boolean({char: 'v', description: 'Show every warning and why each rule could not decide.', helpGroup: 'GLOBAL'}),
  }

  protected style(noColor: boolean): Style {
    return makeStyle(colorWanted(process.stdout, noColor))
  }

  /** A progress line on stderr, only when a human is watching it (a TTY, not --json, not CI). */
  protected progress(): ((line: string) => void) | undefined {
    if (this.jsonEnabled() || !process.stderr.isTTY || process.env.CI) return undefined
    return (line: string) => process.stderr.write(`\r\u001B[K${line}`)
  }

  protected endProgress(): void {
    if (!this.jsonEnabled() && process.stderr.isTTY && !process.env.CI) process.stderr.write('\r\u001B[K')
  }

  protected override async catch(err: OclifError): Promise<unknown> {
    const exit = err instanceof DoctorError ? err.exit : (err.oclif?.exit ?? EXIT.UNKNOWN)
    process.exitCode = exit
    this.endProgress()
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(err))
      return undefined
    }
    const suggestions = err instanceof DoctorError ? err.suggestions : (err.suggestions ?? [])
    const lines = [`Error: ${err.message}`, ...suggestions.map((s) => `Try: ${s}`)]
    if (!(err instanceof DoctorError) && !err.oclif && process.argv.includes('--verbose')) lines.push(err.stack ?? '')
    process.stderr.write(lines.join('\n') + '\n')
    return undefined
  }

  /** The error document: stable and minimal (oclif's default would dump its whole config). */
  protected override toErrorJson(err: OclifError): unknown {
    const exit = err instanceof DoctorError ? err.exit : (err.oclif?.exit ?? EXIT.UNKNOWN)
    const code = err instanceof DoctorError ? err.code : err.oclif ? 'E_USAGE' : 'E_INTERNAL'
    const suggestions = err instanceof DoctorError ? err.suggestions : (err.suggestions ?? [])
    return {error: {code, message: err.message, suggestions, exit}}
  }
}
