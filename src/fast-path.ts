/**
 * Answers the two commands people run in loops without loading @oclif/core (~240 modules, over
 * 100 ms before any of our code runs): `--version`, and `diagnose --from DIR` with only the output
 * flags. Same code, same output, same exit codes as through oclif; anything else goes to oclif.
 * DPDK_DOCTOR_NO_FAST_PATH=1 turns it off (tests compare both paths).
 */
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {errorDocument, errorText, exitOf} from './errors.js'
import {VERSION_PLACEHOLDER} from './tools/help-placeholder.js'
import {outputWidth} from './report/layout.js'
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

/** The width oclif lays its help out for (@oclif/core screen.js). */
export function helpWidth(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = Number.parseInt(env.OCLIF_COLUMNS ?? '', 10)
  if (fromEnv) return fromEnv
  if (!stream.isTTY) return 80
  const width = stream.columns ?? 0
  return width < 1 ? 80 : Math.max(40, width)
}

/** The root help, as oclif renders it at this width (pre-rendered by the build), or null. */
function rootHelp(width: number): string | null {
  let cache: {entries: Array<{from: number; to: number; text: string}>}
  try {
    cache = JSON.parse(readFileSync(new URL('./root-help.json', import.meta.url), 'utf8'))
  } catch {
    return null
  }
  const entry = cache.entries.find((e) => e.from <= width && width <= e.to)
  return entry ? entry.text.replaceAll(VERSION_PLACEHOLDER, version()) : null
}

/** `rules` [--json] [--no-color]: the rule list; null for anything else. */
export function parseRules(argv: string[]): {json: boolean; noColor: boolean} | null {
  if (argv[0] !== 'rules') return null
  const args = {json: false, noColor: false}
  for (const a of argv.slice(1)) {
    if (a === '--json') args.json = true
    else if (a === '--no-color') args.noColor = true
    else return null
  }
  return args
}

/** Runs the command if it has a fast path; false when oclif must handle it. */
export async function tryFastPath(argv: string[]): Promise<boolean> {
  if (process.env.DPDK_DOCTOR_NO_FAST_PATH) return false
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${version()}\n`)
    return true
  }
  if (argv.length === 1 && ['--help', '-h', 'help'].includes(argv[0]!)) {
    const help = rootHelp(helpWidth())
    if (help === null) return false
    process.stdout.write(`${help}\n`)
    return true
  }
  const rules = parseRules(argv)
  // oclif colours JSON on a terminal; the fast path prints it only where oclif prints it plain.
  if (rules && !(rules.json && process.stdout.isTTY)) {
    const [{RULES}, {renderRuleList}, {colorWanted, makeStyle}] = await Promise.all([import('../rules/index.js'), import('./report/rules.js'), import('./report/style.js')])
    const metas = RULES.map((r) => r.meta)
    if (rules.json) process.stdout.write(`${JSON.stringify({rules: metas}, null, 2)}\n`)
    else process.stdout.write(`${renderRuleList(metas, makeStyle(colorWanted(process.stdout, rules.noColor)))}\n`)
    return true
  }
  const args = parseDiagnoseFrom(argv)
  // A --save directory of several hosts (hosts.json) is the multi-host report: the full command.
  if (!args || existsSync(join(args.from, 'hosts.json'))) return false
  const [{diagnoseFrom}, {renderDiagnosis}, {colorWanted, makeStyle}] = await Promise.all([
    import('./diagnose/service.js'),
    import('./report/human.js'),
    import('./report/style.js'),
  ])
  try {
    const d = await diagnoseFrom(args.from)
    process.exitCode = d.exitCode
    if (args.json) process.stdout.write(`${JSON.stringify(d, null, 2)}\n`)
    else process.stdout.write(`${renderDiagnosis(d, makeStyle(colorWanted(process.stdout, args.noColor)), {verbose: args.verbose, width: outputWidth()})}\n`)
  } catch (error) {
    const err = error as Error
    process.exitCode = exitOf(err)
    if (args.json) process.stdout.write(`${JSON.stringify(errorDocument(err), null, 2)}\n`)
    else process.stderr.write(errorText(err, args.verbose))
  }
  return true
}
