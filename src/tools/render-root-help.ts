/**
 * Build step: renders oclif's root help (`dpdk-doctor --help`) for every terminal width it can
 * take, so the fast path can print it without loading @oclif/core. Widths that give the same text
 * share one entry; the version line is a placeholder filled in at run time.
 */
import {writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Config} from '@oclif/core'
import DoctorHelp from '../help.js'
import {VERSION_PLACEHOLDER} from './help-placeholder.js'

const MIN_WIDTH = 40
const MAX_WIDTH = 400

/** The help as it would be printed, kept instead. */
class CapturedHelp extends DoctorHelp {
  lines: string[] = []
  protected override log(...args: string[]): void {
    this.lines.push(args.join(' '))
  }
}

async function main(): Promise<void> {
  const root = fileURLToPath(new URL('../../..', import.meta.url))
  const config = await Config.load(root)
  const entries: Array<{from: number; to: number; text: string}> = []
  for (let width = MIN_WIDTH; width <= MAX_WIDTH; width++) {
    const help = new CapturedHelp(config, {maxWidth: width})
    await help.showHelp([])
    const text = help.lines.join('\n').replaceAll(config.userAgent, VERSION_PLACEHOLDER)
    const last = entries.at(-1)
    if (last && last.text === text) last.to = width
    else entries.push({from: width, to: width, text})
  }
  // Beside the fast path's bundle, which reads it.
  writeFileSync(new URL('../../fast/root-help.json', import.meta.url), JSON.stringify({entries, commands: config.commands.length}))
}

await main()
