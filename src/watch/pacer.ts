/**
 * A self-adjusting interval: the next tick starts one interval after the previous one started, or
 * at once when that one ran late, so slow samples stretch the interval instead of piling up (no
 * two ticks ever overlap). Stopping clears the timer and aborts the tick in flight.
 */

export interface PacerOptions {
  intervalMs: number
  /** One sample; the signal aborts when the pacer stops. */
  tick: (signal: AbortSignal) => Promise<void>
  onError?: (error: unknown) => void
}

export interface Pacer {
  stop(): void
}

export function startPacer(opts: PacerOptions): Pacer {
  const abort = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  const run = async (): Promise<void> => {
    if (stopped) return
    const started = Date.now()
    try {
      await opts.tick(abort.signal)
    } catch (error) {
      if (!stopped) opts.onError?.(error)
    }
    if (stopped) return
    const wait = opts.intervalMs - (Date.now() - started)
    // Late: the next one starts now, right after this one ended.
    if (wait <= 0) void run()
    else timer = setTimeout(() => void run(), wait)
  }
  void run()
  return {
    stop() {
      stopped = true
      clearTimeout(timer)
      abort.abort()
    },
  }
}
