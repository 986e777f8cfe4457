/**
 * The sampler's pacing, with fake timers: a tick every interval, a late one stretches the
 * interval (the next starts when it ends, never beside it), and stopping (unmount) ends the
 * timer and aborts the tick in flight.
 */
import {Text} from 'ink'
import {render} from 'ink-testing-library'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {startPacer} from '../../src/watch/pacer.js'
import {useSelfAdjustingInterval} from '../../src/watch/ui/hooks.js'

/** A tick that records when it starts and ends and takes `durations[i]` ms. */
function recorder(durations: number[]) {
  const calls: Array<{start: number; end: number | null; signal: AbortSignal}> = []
  let running = 0
  let maxRunning = 0
  const tick = (signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const call = {start: Date.now(), end: null as number | null, signal}
      calls.push(call)
      running++
      maxRunning = Math.max(maxRunning, running)
      setTimeout(() => {
        running--
        call.end = Date.now()
        resolve()
      }, durations[calls.length - 1] ?? 10)
    })
  return {tick, calls, maxRunning: () => maxRunning}
}

beforeEach(() => {
  vi.useFakeTimers({now: 0})
})
afterEach(() => {
  vi.useRealTimers()
})

describe('startPacer', () => {
  it('ticks every interval; a late tick stretches the interval and never overlaps', async () => {
    const r = recorder([100, 2500, 100, 100])
    const pacer = startPacer({intervalMs: 1000, tick: r.tick})
    await vi.advanceTimersByTimeAsync(5000)
    pacer.stop()
    const starts = r.calls.map((c) => c.start)
    // 0 (100 ms), 1000 (late: 2500 ms, ends at 3500), 3500 at once, then 4500.
    expect(starts.slice(0, 4)).toEqual([0, 1000, 3500, 4500])
    expect(r.maxRunning()).toBe(1)
  })

  it('stop clears the timer and aborts the tick in flight', async () => {
    const r = recorder([5000])
    const pacer = startPacer({intervalMs: 1000, tick: r.tick})
    await vi.advanceTimersByTimeAsync(500)
    pacer.stop()
    expect(r.calls[0]!.signal.aborted).toBe(true)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(r.calls).toHaveLength(1)
  })

  it('a failing tick is reported and the pacing goes on', async () => {
    const errors: unknown[] = []
    let n = 0
    const pacer = startPacer({intervalMs: 1000, tick: async () => {
      n++
      if (n === 1) throw new Error('ovs-appctl timed out')
    }, onError: (e) => errors.push(e)})
    await vi.advanceTimersByTimeAsync(2500)
    pacer.stop()
    expect(errors).toHaveLength(1)
    expect(n).toBe(3)
  })
})

function Poller({tick, intervalMs}: {tick: (s: AbortSignal) => Promise<void>; intervalMs: number}) {
  useSelfAdjustingInterval(tick, {intervalMs})
  return <Text>polling</Text>
}

describe('useSelfAdjustingInterval', () => {
  it('polls while mounted, stretches when late, and unmount stops it and aborts the sample in flight', async () => {
    const r = recorder([100, 1800, 100, 4000])
    const view = render(<Poller tick={r.tick} intervalMs={1000} />)
    await vi.advanceTimersByTimeAsync(3500)
    const starts = r.calls.map((c) => c.start)
    expect(starts.slice(0, 3)).toEqual([0, 1000, 2800])
    expect(r.maxRunning()).toBe(1)
    await vi.advanceTimersByTimeAsync(500) // the 4th tick starts at 3800 and is still running
    expect(r.calls).toHaveLength(4)
    view.unmount()
    expect(r.calls[3]!.signal.aborted).toBe(true)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(r.calls).toHaveLength(4)
  })
})
