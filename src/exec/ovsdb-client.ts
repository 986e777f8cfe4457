/**
 * ovsdb-server's socket (<rundir>/db.sock), spoken to directly with OVSDB's JSON-RPC (RFC 7047):
 * `watch` reads the Interface table's per-queue statistics this way at each tick instead of starting
 * an `ovs-vsctl` process each second. One connection is kept open; a request that gets no answer
 * in time drops it (the next request connects afresh), as UnixctlClient does for ovs-vswitchd.
 */
import {createConnection} from 'node:net'
import type {Socket} from 'node:net'
import {StringDecoder} from 'node:string_decoder'
import {JsonStreamSplitter, UnixctlError, withDeadline} from './unixctl.js'

export class OvsdbClient {
  private socket: Socket | null = null
  private connecting: Promise<Socket> | null = null
  private nextId = 0
  private readonly pending = new Map<number, {resolve: (v: unknown) => void; reject: (e: UnixctlError) => void}>()
  private splitter = new JsonStreamSplitter()

  constructor(private readonly socketPath: () => string) {}

  /** The rows of `select` on one table (all rows), with only the given columns. */
  async select(table: string, columns: readonly string[], opts: {timeoutMs: number; signal?: AbortSignal}): Promise<Record<string, unknown>[]> {
    const result = await this.request('transact', ['Open_vSwitch', {op: 'select', table, where: [], columns}], opts)
    const first = Array.isArray(result) ? (result[0] as {rows?: unknown; error?: unknown} | undefined) : undefined
    if (!first || !Array.isArray(first.rows)) {
      throw new UnixctlError(`ovsdb-server: ${first?.error ? JSON.stringify(first.error) : 'a transact reply without rows'}`, 'protocol')
    }
    return first.rows.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null)
  }

  close(): void {
    this.drop(new UnixctlError('closed', 'closed'))
  }

  private async request(method: string, params: unknown[], opts: {timeoutMs: number; signal?: AbortSignal}): Promise<unknown> {
    if (opts.signal?.aborted) throw new UnixctlError('interrupted', 'aborted')
    const started = Date.now()
    const socket = await withDeadline(this.connect(), opts.timeoutMs, opts.signal)
    const id = this.nextId++
    const reply = new Promise<unknown>((resolve, reject) => this.pending.set(id, {resolve, reject}))
    socket.write(JSON.stringify({id, method, params}))
    try {
      return await withDeadline(reply, opts.timeoutMs - (Date.now() - started), opts.signal)
    } catch (error) {
      this.pending.delete(id)
      if (error instanceof UnixctlError && (error.kind === 'timeout' || error.kind === 'aborted')) this.drop(error)
      throw error
    }
  }

  private connect(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket)
    if (this.connecting) return this.connecting
    let path: string
    try {
      path = this.socketPath()
    } catch (error) {
      return Promise.reject(new UnixctlError(`cannot find ovsdb-server's socket: ${(error as Error).message}`, 'connect'))
    }
    this.connecting = new Promise<Socket>((resolve, reject) => {
      const socket = createConnection(path)
      const onError = (error: Error) => {
        this.connecting = null
        reject(new UnixctlError(`${path}: ${error.message}`, 'connect'))
      }
      socket.once('error', onError)
      socket.once('connect', () => {
        socket.off('error', onError)
        this.connecting = null
        socket.unref()
        this.socket = socket
        this.splitter = new JsonStreamSplitter()
        const decoder = new StringDecoder('utf8')
        socket.on('data', (data: Buffer) => this.onData(socket, decoder.write(data)))
        socket.on('error', (error) => this.drop(new UnixctlError(`${path}: ${error.message}`, 'closed'), socket))
        socket.on('close', () => this.drop(new UnixctlError(`${path}: connection closed by ovsdb-server`, 'closed'), socket))
        resolve(socket)
      })
    })
    return this.connecting
  }

  private onData(socket: Socket, text: string): void {
    let messages: string[]
    try {
      messages = this.splitter.push(text)
    } catch (error) {
      this.drop(error as UnixctlError)
      return
    }
    for (const text of messages) {
      let message: {id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: unknown}
      try {
        message = JSON.parse(text) as typeof message
      } catch {
        this.drop(new UnixctlError('a reply that is not JSON', 'protocol'))
        return
      }
      // ovsdb-server's inactivity probe: answered, or it hangs up.
      if (message.method === 'echo') {
        socket.write(JSON.stringify({id: message.id ?? null, result: message.params ?? [], error: null}))
        continue
      }
      const pending = typeof message.id === 'number' ? this.pending.get(message.id) : undefined
      if (!pending) continue
      this.pending.delete(message.id as number)
      if (message.error !== null && message.error !== undefined) pending.reject(new UnixctlError(`ovsdb-server: ${JSON.stringify(message.error)}`, 'protocol'))
      else pending.resolve(message.result)
    }
  }

  private drop(error: UnixctlError, socket?: Socket): void {
    if (socket && socket !== this.socket) return
    const current = this.socket
    this.socket = null
    current?.destroy()
    for (const p of this.pending.values()) p.reject(error)
    this.pending.clear()
  }
}
