/** Shared bits of the watch tests: frames from recorded bundles, and a content-based wait. */
import {readCapture} from '../../src/capture/bundle.js'
import type {Sample, SourceResult} from '../../src/capture/types.js'
import type {SampleSource} from '../../src/watch/sources.js'
import {WatchStore} from '../../src/watch/store.js'
import type {WatchFrame} from '../../src/watch/types.js'

export const BROKEN = 'fixtures/bundles/lab-broken-huge-load'
export const FIXED = 'fixtures/bundles/lab-fixed-huge-load'

/** The frame after replaying every sample of a bundle through the store. */
export function frameOf(bundle: string): WatchFrame {
  const capture = readCapture(bundle)
  const store = new WatchStore({host: capture.manifest.host})
  for (const s of capture.samples) store.addSample(s)
  return store.getSnapshot()
}

/** Waits until `check` passes (ink under React 19 may show transient frames: assert on content). */
export async function waitFor(check: () => void, timeoutMs = 5000): Promise<void> {
  const started = Date.now()
  for (;;) {
    try {
      check()
      return
    } catch (error) {
      if (Date.now() - started > timeoutMs) throw error
      await new Promise((r) => setTimeout(r, 10))
    }
  }
}

/** The row of a port in a rendered table. */
export function rowOf(frame: string, name: string): string {
  return frame.split('\n').find((l) => l.trimStart().startsWith(name)) ?? ''
}

/** The two-host lab's recorded bundle: host0 FIXED, host1 BROKEN, one load (fixtures/two-host/README.md). */
export const TWO_HOST = 'fixtures/two-host/broken-host1-load'
/** What a resident reader's pending requests get when its ssh is refused (RemoteRunner's `ssh: ` + ssh's own line). */
export const REFUSED = 'the remote reader ended (ssh: ssh: connect to host 10.0.0.9 port 22: Connection refused)'

/** A recorded host's samples, as a live source; from sample `failFrom` on, nothing answers (its ssh is refused). */
export class RecordedSource implements SampleSource {
  readonly live = true
  calls = 0
  constructor(private readonly samples: readonly Sample[], private readonly failFrom = Infinity) {}
  async next(): Promise<Sample> {
    const i = this.calls++
    const s = this.samples[Math.min(i, this.samples.length - 1)]!
    if (i < this.failFrom) return s
    const sources = Object.fromEntries(Object.entries(s.sources).map(([id, r]) => [id, {...r, status: 'error', reason: REFUSED, stdout: '', stderr: ''} as SourceResult]))
    return {...s, sources}
  }
  close(): void {}
}

