/** Shared bits of the watch tests: frames from recorded bundles, and a content-based wait. */
import {readCapture} from '../../src/capture/bundle.js'
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
