/**
 * Answers the two commands people run in loops without loading @oclif/core (~240 modules, over
 * 100 ms before any of our code runs): `--version`, and `diagnose --from DIR` with only the output
 * flags. Same code, same output, same exit codes as through oclif; anything else goes to oclif.
 * DPDK_DOCTOR_NO_FAST_PATH=1 turns it off (tests compare both paths).
 */
import {errorDocument, errorText, exitOf} from './errors.js'
import {TOOL} from './version.js'

interface FromArgs {
  from: string
  json: boolean
  noColor: boolean
  verbose: boolean
}

/** `diagnose --from DIR [--json] [--no-color] [--verbose|-v]`, in any order; null for anything else. */
export function parseDiagnoseFrom(argv: string[]): FromArgs | null {
  if (argv[0] !== 'diagnose') return null
  const args: FromArgs = {from: '', json: false, noColor: false, verbose: false}
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--json') args.json = true
    else if (a === '--no-color') args.noColor = true
    else if (a === '--verbose' || a === '-v') args.verbose = true
    else if (a === '--from' && i + 1 < argv.length && !argv[i + 1]!.startsWith('-') && !args.from) args.from = argv[++i]!
    else if (a.startsWith('--from=') && a.length > 7 && !args.from) args.from = a.slice(7)
    else return null
  }
  return args.from ? args : null
}

/** As oclif prints it (config.userAgent). */
function version(): string {
  return `${TOOL.name}/${TOOL.version} ${process.platform}-${process.arch} node-${process.version}`
}

/** Runs the command if it has a fast path; false when oclif must handle it. */
export async function tryFastPath(argv: string[]): Promise<boolean> {
  if (process.env.DPDK_DOCTOR_NO_FAST_PATH) return false
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${version()}\n`)
    return true
  }
  const args = parseDiagnoseFrom(argv)
  if (!args) return false
  const [{diagnoseFrom}, {renderDiagnosis}, {colorWanted, makeStyle}] = await Promise.all([
    import('./diagnose/service.js'),
    import('./report/human.js'),
    import('./report/style.js'),
  ])
  try {
    const d = await diagnoseFrom(args.from)
    process.exitCode = d.exitCode
    if (args.json) process.stdout.write(`${JSON.stringify(d, null, 2)}\n`)
    else process.stdout.write(`${renderDiagnosis(d, makeStyle(colorWanted(process.stdout, args.noColor)), {verbose: args.verbose, width: process.stdout.columns ?? 120})}\n`)
  } catch (error) {
    const err = error as Error
    process.exitCode = exitOf(err)
    if (args.json) process.stdout.write(`${JSON.stringify(errorDocument(err), null, 2)}\n`)
    else process.stderr.write(errorText(err, args.verbose))
  }
  return true
}
