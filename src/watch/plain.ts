/**
 * The watch without a terminal (a pipe, CI, --json): the same pacer, store and session, one plain
 * line (or one JSON object) per interval, no escape codes, no ink.
 */
import {findingLine, jsonLine, plainLine} from './format.js'
import {startPacer} from './pacer.js'
import type {WatchSession} from './session.js'
import type {WatchStore} from './store.js'
import {printable, printableDeep} from '../util/printable.js'

export interface PlainOptions {
  session: WatchSession
  store: WatchStore
  intervalMs: number
  json: boolean
  write: (line: string) => void
  warn: (line: string) => void
  /** Ends the watch (Ctrl-C, SIGTERM). */
  signal: AbortSignal
}

export function runPlain(opts: PlainOptions): Promise<void> {
  const {session, store} = opts
  let printedSamples = 0
  let printedFindings = 0
  return new Promise((resolve) => {
    let done = false
    const finish = () => {
      if (done) return
      done = true
      pacer.stop()
      resolve()
    }
    const pacer = startPacer({
      intervalMs: opts.intervalMs,
      tick: async (signal) => {
        await session.sampleOnce(signal)
        const frame = store.getSnapshot()
        if (frame.samples > printedSamples) {
          printedSamples = frame.samples
          const fresh = frame.findings.slice(printedFindings)
          printedFindings = frame.findings.length
          if (opts.json) opts.write(jsonLine(frame, fresh))
          else {
            // Escaped for a terminal; the JSON lines keep the raw strings (JSON escapes them).
            for (const f of fresh) opts.write(findingLine(printableDeep(f)))
            opts.write(plainLine(printableDeep(frame)))
          }
        }
        if (session.finished()) finish()
      },
      onError: (e) => opts.warn(`a sample failed: ${printable(e instanceof Error ? e.message : String(e))}`),
    })
    if (opts.signal.aborted) finish()
    opts.signal.addEventListener('abort', finish, {once: true})
  })
}
