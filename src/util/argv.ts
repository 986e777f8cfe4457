/**
 * Splits a command given as one string ("iperf3 -c 10.10.1.20 -t 10 -J") into argv, the way a
 * shell would for words and quotes, but without a shell: no expansion, no pipes, no redirection.
 */
import {DoctorError} from '../errors.js'

const SHELL_ONLY = /^(\||\|\||&&|;|>|>>|<|&)$/

export function splitCommand(command: string): string[] {
  const argv: string[] = []
  let word = ''
  let inWord = false
  let quote: '"' | "'" | null = null
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!
    if (quote) {
      if (ch === quote) quote = null
      else if (ch === '\\' && quote === '"' && i + 1 < command.length) word += command[++i]
      else word += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      inWord = true
    } else if (ch === '\\' && i + 1 < command.length) {
      word += command[++i]
      inWord = true
    } else if (/\s/.test(ch)) {
      if (inWord) argv.push(word)
      word = ''
      inWord = false
    } else {
      word += ch
      inWord = true
    }
  }
  if (quote) throw new DoctorError('E_USAGE', `unbalanced ${quote} in the load command: ${command}`)
  if (inWord) argv.push(word)
  if (argv.length === 0) throw new DoctorError('E_USAGE', 'the load command is empty')
  const shellish = argv.find((a) => SHELL_ONLY.test(a))
  if (shellish) {
    throw new DoctorError('E_USAGE', `the load command runs without a shell, so "${shellish}" would reach ${argv[0]} as an argument`, {
      suggestions: ['Give one command (e.g. "iperf3 -c 10.10.1.20 -t 10 -J"), or wrap a pipeline in a script and pass the script.'],
    })
  }
  return argv
}

/** Parses durations like "10s", "1500ms", "2m", "10" (seconds). */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim())
  if (!m) throw new DoctorError('E_USAGE', `not a duration: ${JSON.stringify(text)} (use e.g. 10s, 1500ms, 2m)`)
  const n = Number(m[1])
  const unit = m[2] ?? 's'
  return unit === 'ms' ? n : unit === 'm' ? n * 60_000 : n * 1000
}
