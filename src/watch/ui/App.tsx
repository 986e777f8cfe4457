/** @jsxRuntime automatic */
/** @jsxImportSource react */
// (The pragmas keep the automatic JSX runtime when a loader such as tsx runs this file without our tsconfig.)
/**
 * The dashboard's container: wires the hooks (sampling, the store's frame, the keys, the width)
 * to the components. Keys need raw mode: without it (stdin not a terminal) they are off and
 * Ctrl-C (SIGINT) ends the watch.
 */
import {useMemo, useState} from 'react'
import type {ReactNode} from 'react'
import {useApp, useInput, useStdin} from 'ink'
import type {WatchSession} from '../session.js'
import type {WatchStore} from '../store.js'
import type {WatchFrame} from '../types.js'
import {Dashboard} from './components.js'
import {useColumns, useSampler, useWatchFrame} from './hooks.js'
import {printableDeep} from '../../util/printable.js'

export interface AppProps {
  session: WatchSession
  store: WatchStore
  intervalMs: number
  /** Where `s` saves a capture. */
  saveDir: () => string
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))

export function App({session, store, intervalMs, saveDir}: AppProps): ReactNode {
  const {exit} = useApp()
  const raw = useWatchFrame(store)
  // Names and notes in a frame come from the host or a bundle: escaped before ink draws them.
  const frame = useMemo(() => printableDeep(raw), [raw])
  const columns = useColumns()
  const {isRawModeSupported} = useStdin()
  const interactive = isRawModeSupported === true
  const [frozen, setFrozen] = useState<WatchFrame | null>(null)
  const [showFix, setShowFix] = useState(false)
  const [showQueues, setShowQueues] = useState(false)

  // At the end of a recording or of the load, a human with keys keeps the last screen until q;
  // --duration (and a terminal without keys) ends at once.
  const onDone = () => {
    const reason = session.finishReason()
    if (interactive && reason !== 'duration') store.note(`${reason === 'load-ended' ? 'the load ended' : 'end of the recording'}: q to quit`)
    else exit()
  }
  useSampler(session, {intervalMs, onDone, onError: (e) => store.note(`a sample failed: ${message(e)}`)})

  useInput(
    (input) => {
      if (input === 'q') exit()
      else if (input === 'p') setFrozen((f) => (f ? null : frame))
      else if (input === 'f') setShowFix((v) => !v)
      else if (input === 'r') setShowQueues((v) => !v)
      else if (input === 's') {
        store.note('saving a capture (taking a full snapshot)...')
        session.requestSave(saveDir()).then(
          (dir) => store.note(`saved a capture to ${dir} (dpdk-doctor diagnose --from ${dir})`),
          (e: unknown) => store.note(`could not save the capture: ${message(e)}`),
        )
      }
    },
    {isActive: interactive},
  )

  return <Dashboard frame={frozen ?? frame} columns={columns} paused={frozen !== null} showFix={showFix} interactive={interactive} showQueues={showQueues} />
}
