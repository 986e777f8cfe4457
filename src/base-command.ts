/**
 * Base of every command: `--json` (one document on stdout, on success and on error), --no-color,
 * and exit codes that survive `--json` (oclif's own catch exits 1 there, and 2 for a plain error,
 * which a monitoring system would read as CRITICAL).
 */
import {Command, Flags} from '@oclif/core'
import {DoctorError, errorDocument, errorText, exitOf, usageError} from './errors.js'
import {colorWanted, makeStyle} from './report/style.js'
import type {Style} from './report/style.js'
import {printable} from './util/printable.js'

type OclifError = Error & {code?: string; oclif?: {exit?: number}; suggestions?: string[]}

/** --json with what the document is (oclif's own says only "Format output as json"). */
export function jsonFlag(what: string) {
  return Flags.boolean({description: `Print ${what} as one JSON document on stdout; an error prints {"error": {code, message, suggestions, exit}} (docs/json-output.md).`, helpGroup: 'GLOBAL'})
}

export abstract class DoctorCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    help: Flags.help({char: 'h', description: 'Show this help.', helpGroup: 'GLOBAL'}),
    'no-color': Flags.boolean({description: 'Plain output without colour (NO_COLOR and non-TTY output are plain too).', helpGroup: 'GLOBAL'}),
    verbose: Flags.boolean({char: 'v', description: 'Show every warning and why each rule could not decide.', helpGroup: 'GLOBAL'}),
  }

  protected style(noColor: boolean): Style {
    return makeStyle(colorWanted(process.stdout, noColor))
  }

  /** A progress line on stderr, only when a human is watching it (a TTY, not --json, not CI). */
  protected progress(): ((line: string) => void) | undefined {
    if (this.jsonEnabled() || !process.stderr.isTTY || process.env.CI) return undefined
    // Progress can quote a host's text (a load's stderr): escaped, it cannot move the cursor.
    return (line: string) => process.stderr.write(`\r\u001B[K${printable(line)}`)
  }

  protected endProgress(): void {
    if (!this.jsonEnabled() && process.stderr.isTTY && !process.env.CI) process.stderr.write('\r\u001B[K')
  }

  protected override async catch(error: OclifError): Promise<unknown> {
    // -h prints the help and exits 0 through an exit error, which the flag parser wraps: not a failure.
    if ((error.code === 'EEXIT' && error.oclif?.exit === 0) || /\bEEXIT: 0\b/.test(error.message)) return undefined
    // oclif's own parse errors carry `oclif`; ours and bugs do not.
    const err = !(error instanceof DoctorError) && error.oclif ? usageError(error, this.id, this.config.bin) : error
    process.exitCode = exitOf(err)
    this.endProgress()
    if (this.jsonEnabled()) this.logJson(this.toErrorJson(err))
    else process.stderr.write(errorText(err, process.argv.includes('--verbose')))
    return undefined
  }

  protected override toErrorJson(err: OclifError): unknown {
    return errorDocument(err)
  }
}
