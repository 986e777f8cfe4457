/**
 * ovs-vswitchd's control socket, spoken to directly: the JSON-RPC requests `ovs-appctl` sends
 * (`{"id","method","params":[strings]}` on `<rundir>/ovs-vswitchd.<pid>.ctl`), and the text it
 * prints. `watch` reads its per-second counters this way instead of starting an `ovs-appctl`
 * process each second (most of the sampler's CPU). One connection is kept open; a deadline ends a
 * request that vswitchd does not answer, like `ovs-appctl -T`, and drops the connection.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {JsonRpcConnection, UnixctlError} from './json-rpc.js'

// The protocol's pieces live in json-rpc.ts; these names are where the rest of the code finds them.
export {JsonStreamSplitter, UnixctlError, withDeadline} from './json-rpc.js'

export interface UnixctlReply {
  /** The command's text (what ovs-appctl prints on stdout); null on error. */
  result: string | null
  /** vswitchd's error text (what ovs-appctl prints on stderr before exiting 2); null when ok. */
  error: string | null
}

/** The control socket of a daemon in an OVS run directory, from its pidfile (as ovs-appctl -t finds it). */
export function controlSocketPath(rundir: string, daemon = 'ovs-vswitchd'): string {
  const pidText = readFileSync(join(rundir, `${daemon}.pid`), 'utf8').trim()
  if (!/^\d{1,10}$/.test(pidText)) throw new UnixctlError(`${daemon}.pid in ${rundir} holds no PID`, 'connect')
  return join(rundir, `${daemon}.${pidText}.ctl`)
}

/** ovs-appctl's side of the control socket: a command and its string arguments, its text back. */
export class UnixctlClient {
  private readonly connection: JsonRpcConnection

  /** `socketPath` is resolved per connection, so a restarted daemon (new PID) is found again. */
  constructor(socketPath: () => string) {
    this.connection = new JsonRpcConnection(socketPath, {socket: 'the control socket', peer: 'the daemon'})
  }

  /** Sends one command and waits for its reply, at most `timeoutMs`. */
  async call(method: string, params: readonly string[], opts: {timeoutMs: number; signal?: AbortSignal}): Promise<UnixctlReply> {
    const message = await this.connection.request(method, params, opts)
    const error = message.error === null || message.error === undefined ? null : typeof message.error === 'string' ? message.error : JSON.stringify(message.error)
    const result = typeof message.result === 'string' ? message.result : null
    return {result: error === null ? (result ?? '') : null, error}
  }

  close(): void {
    this.connection.close()
  }
}
