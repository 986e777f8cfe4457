/** @jsxRuntime automatic */
/** @jsxImportSource react */
// (The pragmas keep the automatic JSX runtime when a loader such as tsx runs this file without our tsconfig.)
/**
 * The only ink render() call site. The watch command imports this module lazily, so no other
 * command ever loads ink or react.
 */
import {render} from 'ink'
import type {ReactNode} from 'react'
import {App} from './App.js'
import type {AppProps} from './App.js'
import {ErrorBoundary} from './components.js'
import {MultiApp} from './multi.js'
import type {MultiAppProps} from './multi.js'

export interface DashboardOptions extends AppProps {
  stdout?: NodeJS.WriteStream
  stdin?: NodeJS.ReadStream
}

/** Shows the dashboard until q, Ctrl-C, SIGTERM or the end of the watch; ink restores the terminal. */
export async function runDashboard(opts: DashboardOptions): Promise<void> {
  const {stdout, stdin, ...app} = opts
  await show(<App {...app} />, {stdout, stdin})
}

/** The two-host dashboard (watch --host A --host B), drawn and ended as the single-host one. */
export async function runMultiDashboard(opts: MultiAppProps & {stdout?: NodeJS.WriteStream; stdin?: NodeJS.ReadStream}): Promise<void> {
  const {stdout, stdin, ...app} = opts
  await show(<MultiApp {...app} />, {stdout, stdin})
}

async function show(app: ReactNode, {stdout, stdin}: {stdout?: NodeJS.WriteStream | undefined; stdin?: NodeJS.ReadStream | undefined}): Promise<void> {
  const instance = render(
    <ErrorBoundary>
      {app}
    </ErrorBoundary>,
    // Only the streams given: an explicit undefined would replace ink's process.stdout default.
    // (Not ink's incrementalRendering: in tmux it left parts of earlier frames on the screen, rows
    // of the port table missing among them, and it saved no CPU, only bytes written.)
    {...(stdout ? {stdout} : {}), ...(stdin ? {stdin} : {}), exitOnCtrlC: true},
  )
  // Without raw mode Ctrl-C arrives as SIGINT, not as a key.
  const onSignal = () => instance.unmount()
  // A closed terminal (SIGHUP) ends the watch like Ctrl-C, so the load is ended too.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
  for (const s of signals) process.on(s, onSignal)
  try {
    await instance.waitUntilExit()
  } finally {
    for (const s of signals) process.off(s, onSignal)
  }
}
