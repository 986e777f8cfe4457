/**
 * An unknown command. At a terminal, @oclif/plugin-not-found asks "Did you mean diagnose?" and runs
 * it; otherwise (a script, a pipe) the error comes in the CLI's one style, with the nearest command
 * as what to try, and exit 3 (UNKNOWN) like every usage error.
 */
import type {Hook} from '@oclif/core'
import {DoctorError, EXIT, errorDocument, errorText} from '../errors.js'

/** Edit distance, for the nearest command id. */
export function distance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]!
}

export function nearest(id: string, ids: string[]): string | null {
  const ranked = ids.map((c) => ({c, d: distance(id, c)})).sort((x, y) => x.d - y.d)
  return ranked[0] && ranked[0].d <= Math.max(2, Math.floor(id.length / 2)) ? ranked[0].c : null
}

const hook: Hook.CommandNotFound = async function (opts) {
  if (process.stdin.isTTY && process.stderr.isTTY && !process.argv.includes('--json')) {
    const {default: prompt} = await import('@oclif/plugin-not-found')
    return prompt.call(this, opts)
  }
  const ids = opts.config.commands.filter((c) => !c.hidden).map((c) => c.id.replaceAll(':', ' '))
  const typed = opts.id.replaceAll(':', ' ')
  const near = nearest(typed, ids)
  const err = new DoctorError('E_USAGE', `${typed} is not a ${opts.config.bin} command`, {
    suggestions: [near ? `${opts.config.bin} ${near}` : `${opts.config.bin} help`],
  })
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(errorDocument(err), null, 2)}\n`)
  else process.stderr.write(errorText(err))
  process.exit(EXIT.UNKNOWN)
}

export default hook
