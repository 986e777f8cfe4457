/**
 * The dashboard's hooks: polling (a self-adjusting interval that cleans up), the store's frame,
 * and the terminal width. Components below them only render what these return.
 */
import {useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore} from 'react'
import {useStdout} from 'ink'
import {startPacer} from '../pacer.js'
import type {WatchSession} from '../session.js'
import type {WatchStore} from '../store.js'
import type {WatchFrame} from '../types.js'

/**
 * Calls `tick` every `intervalMs`, the next call one interval after the previous one started or at
 * once when it ran late (never two at a time). Unmount (or enabled=false) stops it and aborts the
 * call in flight.
 */
export function useSelfAdjustingInterval(tick: (signal: AbortSignal) => Promise<void>, opts: {intervalMs: number; enabled?: boolean; onError?: (e: unknown) => void}): void {
  const tickRef = useRef(tick)
  const onErrorRef = useRef(opts.onError)
  // Layout effects: React 19 runs passive effects later, and the pacer must call the latest tick.
  useLayoutEffect(() => {
    tickRef.current = tick
    onErrorRef.current = opts.onError
  })
  const enabled = opts.enabled ?? true
  useEffect(() => {
    if (!enabled) return
    const pacer = startPacer({intervalMs: opts.intervalMs, tick: (signal) => tickRef.current(signal), onError: (e) => onErrorRef.current?.(e)})
    return () => pacer.stop()
  }, [opts.intervalMs, enabled])
}

/** Samples the session every interval; calls onDone once it has finished (load ended, duration, recording's end). */
export function useSampler(session: Pick<WatchSession, 'sampleOnce' | 'finished'>, opts: {intervalMs: number; onDone: () => void; onError: (e: unknown) => void}): void {
  const [running, setRunning] = useState(true)
  const onDoneRef = useRef(opts.onDone)
  useLayoutEffect(() => {
    onDoneRef.current = opts.onDone
  })
  useSelfAdjustingInterval(
    async (signal) => {
      await session.sampleOnce(signal)
      if (!signal.aborted && session.finished()) {
        setRunning(false)
        onDoneRef.current()
      }
    },
    {intervalMs: opts.intervalMs, enabled: running, onError: opts.onError},
  )
}

export function useWatchFrame(store: WatchStore): WatchFrame {
  return useSyncExternalStore(store.subscribe, store.getSnapshot)
}

/** The terminal's width, following resizes. */
export function useColumns(fallback = 100): number {
  const {stdout} = useStdout()
  const [columns, setColumns] = useState(stdout.columns || fallback)
  useEffect(() => {
    const onResize = () => setColumns(stdout.columns || fallback)
    stdout.on('resize', onResize)
    return () => {
      stdout.off('resize', onResize)
    }
  }, [stdout, fallback])
  return columns
}
