/**
 * Where the watch's samples come from: the live host (a full snapshot first, then live counters
 * only, and a full one at the end), or a recorded capture bundle replayed sample by sample.
 */
import {setMaxListeners} from 'node:events'
import type {Sample} from '../capture/types.js'
import {bridgesOf, collectSample} from '../collect/collect.js'
import type {CollectTarget} from '../collect/sources.js'
import type {Runner} from '../exec/runner.js'

export interface SampleSource {
  readonly live: boolean
  /** The next sample; null when there are no more (the end of a recording). */
  next(signal: AbortSignal, opts?: {full?: boolean}): Promise<Sample | null>
}

/** Name of the n-th sample of a capture: before, during, during-2, ... */
export function sampleName(index: number): string {
  return index === 0 ? 'before' : index === 1 ? 'during' : `during-${index}`
}

export class LiveSampleSource implements SampleSource {
  readonly live = true
  private index = 0
  private bridges: string[] = []

  constructor(private readonly runner: Runner, private readonly target: CollectTarget) {}

  async next(signal: AbortSignal, opts: {full?: boolean} = {}): Promise<Sample> {
    // Every source in flight listens on the signal: not a leak, so no MaxListenersExceededWarning.
    setMaxListeners(100, signal)
    const name = sampleName(this.index++)
    const base = {runner: this.runner, target: this.target, signal}
    if (name === 'before' || opts.full) {
      // Slow optional sources (dpdk-devbind.py) join the sample when done; never wait for them.
      const {sample} = await collectSample(name, {...base, slow: 'background'})
      const bridges = bridgesOf(sample)
      if (bridges.length > 0) this.bridges = bridges
      return sample
    }
    // Live counters only (never OVSDB statistics). In a netns, kernel counters come from
    // `ip -s link` alone: the sysfs reader would start a node process there every second.
    const skip = this.target.netns ? ['sysfs-stats'] : []
    const {sample} = await collectSample(name, {...base, live: true, knownBridges: this.bridges, skip})
    return sample
  }
}

export class ReplaySampleSource implements SampleSource {
  readonly live = false
  private index = 0

  constructor(private readonly samples: readonly Sample[]) {}

  async next(): Promise<Sample | null> {
    return this.samples[this.index++] ?? null
  }
}
