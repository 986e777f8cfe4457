/**
 * The watch without a terminal (a pipe, CI, --json): the same pacer, store and session, one plain
 * line (or one JSON object) per interval, no escape codes, no ink.
 */
import {findingLine, jsonLine, multiJsonLine, multiPlainLines, plainLine} from './format.js'
import type {MultiWatch} from './multi.js'
import {startPacer} from './pacer.js'
import type {WatchSession} from './session.js'
import type {WatchStore} from './store.js'
import type {FindingEntry} from './types.js'
import {printable, printableDeep} from '../util/printable.js'

interface PacedOptions {
  intervalMs: number
  json: boolean
  write: (line: string) => void
  warn: (line: string) => void
  /** Ends the watch (Ctrl-C, SIGTERM). */
  signal: AbortSignal
}

export interface PlainOptions extends PacedOptions {
  session: WatchSession
  store: WatchStore
}

/** Samples every interval until the session has finished or the signal ends it; `afterTick` writes what the tick showed. */
function runPaced(opts: PacedOptions & {session: Pick<WatchSession, 'sampleOnce' | 'finished'>; afterTick: () => void}): Promise<void> {
  const {session} = opts
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
        opts.afterTick()
        if (session.finished()) finish()
      },
      onError: (e) => opts.warn(`a sample failed: ${printable(e instanceof Error ? e.message : String(e))}`),
    })
    if (opts.signal.aborted) finish()
    opts.signal.addEventListener('abort', finish, {once: true})
  })
}

export function runPlain(opts: PlainOptions): Promise<void> {
  const {store} = opts
  let printedSamples = 0
  let printedFindings = 0
  return runPaced({
    ...opts,
    afterTick: () => {
      const frame = store.getSnapshot()
      if (frame.samples <= printedSamples) return
      printedSamples = frame.samples
      const fresh = frame.findings.slice(printedFindings)
      printedFindings = frame.findings.length
      if (opts.json) opts.write(jsonLine(frame, fresh))
      else {
        // Escaped for a terminal; the JSON lines keep the raw strings (JSON escapes them).
        for (const f of fresh) opts.write(findingLine(printableDeep(f)))
        opts.write(plainLine(printableDeep(frame)))
      }
    },
  })
}

/** watch --host A --host B without a terminal: per tick the sides, the wire and each host's line (or one JSON object). */
export function runPlainMulti(opts: PacedOptions & {watch: MultiWatch}): Promise<void> {
  const {watch} = opts
  let printedTicks = 0
  const printedFindings = new Map<string, number>()
  return runPaced({
    ...opts,
    session: watch,
    afterTick: () => {
      const frame = watch.getSnapshot()
      if (frame.ticks <= printedTicks) return
      printedTicks = frame.ticks
      const fresh: Record<string, FindingEntry[]> = {}
      for (const h of frame.hosts) {
        fresh[h.name] = h.frame.findings.slice(printedFindings.get(h.name) ?? 0)
        printedFindings.set(h.name, h.frame.findings.length)
      }
      if (opts.json) {
        opts.write(multiJsonLine(frame, fresh))
        return
      }
      const shown = printableDeep(frame)
      for (const h of shown.hosts) for (const f of printableDeep(fresh[h.name] ?? [])) opts.write(`${h.name}: ${findingLine(f)}`)
      for (const line of multiPlainLines(shown)) opts.write(line)
    },
  })
}
