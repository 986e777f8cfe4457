/**
 * JSON-RPC 1.0 over an OVS daemon's unix socket, as ovs-appctl and ovsdb-client speak it: the
 * stream splitter (OVS sends JSON texts back to back, no delimiter), the error kinds, the deadline,
 * and one kept connection that UnixctlClient (ovs-vswitchd) and OvsdbClient (ovsdb-server) share.
 */
import {createConnection} from 'node:net'
import type {Socket} from 'node:net'
import {StringDecoder} from 'node:string_decoder'

/** Why a request got no reply: no daemon, no answer in time, interrupted, or a broken reply. */
export class UnixctlError extends Error {
  constructor(
    message: string,
    readonly kind: 'connect' | 'timeout' | 'aborted' | 'protocol' | 'closed',
  ) {
    super(message)
    this.name = 'UnixctlError'
  }
}

/**
 * Splits a stream of JSON texts sent back to back (OVS's JSON-RPC has no delimiter) into whole
 * messages: counts braces outside strings, so a `}` inside a command's text never ends one early.
 */
export class JsonStreamSplitter {
  private buffer = ''
  private depth = 0
  private inString = false
  private escaped = false
  private scanned = 0
  private start = -1

  /** A reply larger than this is not a reply (the runner's maxBuffer for a command's stdout). */
  static readonly MAX_MESSAGE = 64 * 1024 * 1024

  push(chunk: string): string[] {
    this.buffer += chunk
    const out: string[] = []
    let i = this.scanned
    for (; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i)
      if (this.inString) {
        if (this.escaped) this.escaped = false
        else if (c === 0x5c) this.escaped = true // backslash
        else if (c === 0x22) this.inString = false // quote
        continue
      }
      if (c === 0x22) this.inString = true
      else if (c === 0x7b || c === 0x5b) {
        if (this.depth++ === 0) this.start = i
      } else if (c === 0x7d || c === 0x5d) {
        if (--this.depth === 0) out.push(this.buffer.slice(this.start, i + 1))
        if (this.depth < 0) throw new UnixctlError('unbalanced JSON from the control socket', 'protocol')
      }
    }
    if (this.depth > 0 && i - this.start > JsonStreamSplitter.MAX_MESSAGE) {
      throw new UnixctlError(`a reply over ${JsonStreamSplitter.MAX_MESSAGE / 1024 / 1024} MB from the control socket`, 'protocol')
    }
    if (this.depth === 0) {
      // Everything scanned is consumed (whitespace between messages included).
      this.buffer = ''
      this.scanned = 0
    } else {
      this.buffer = this.buffer.slice(this.start)
      this.scanned = i - this.start
      this.start = 0
    }
    return out
  }
}

/** One JSON-RPC message as OVS's daemons send it: a reply (id, result, error) or a request (method). */
export interface JsonRpcMessage {
  id?: unknown
  method?: unknown
  params?: unknown
  result?: unknown
  error?: unknown
}

/**
 * One kept connection to an OVS daemon's unix socket speaking JSON-RPC 1.0 (ovs-vswitchd's control
 * socket, ovsdb-server's db.sock): requests by id, replies matched back, a deadline per request.
 * A request given up on (timeout, abort) drops the connection, so its late reply can never answer
 * the next one; the next request connects afresh.
 */
export class JsonRpcConnection {
  private socket: Socket | null = null
  private connecting: Promise<Socket> | null = null
  private nextId = 0
  private readonly pending = new Map<number, {resolve: (m: JsonRpcMessage) => void; reject: (e: UnixctlError) => void}>()
  private splitter = new JsonStreamSplitter()

  /**
   * `socketPath` is resolved per connection, so a restarted daemon (new PID) is found again;
   * the names say in messages what the socket is and who hangs up.
   */
  constructor(
    private readonly socketPath: () => string,
    private readonly names: {socket: string; peer: string},
  ) {}

  /** Sends one request and waits for the message that answers it, at most `timeoutMs`. */
  async request(method: string, params: readonly unknown[], opts: {timeoutMs: number; signal?: AbortSignal}): Promise<JsonRpcMessage> {
    if (opts.signal?.aborted) throw new UnixctlError('interrupted', 'aborted')
    const started = Date.now()
    const socket = await withDeadline(this.connect(), opts.timeoutMs, opts.signal)
    const id = this.nextId++
    const reply = new Promise<JsonRpcMessage>((resolve, reject) => this.pending.set(id, {resolve, reject}))
    socket.write(JSON.stringify({id, method, params}))
    try {
      return await withDeadline(reply, opts.timeoutMs - (Date.now() - started), opts.signal)
    } catch (error) {
      this.pending.delete(id)
      // A late reply would answer the next request's read: start afresh.
      if (error instanceof UnixctlError && (error.kind === 'timeout' || error.kind === 'aborted')) this.drop(error)
      throw error
    }
  }

  close(): void {
    this.drop(new UnixctlError('closed', 'closed'))
  }

  private connect(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket)
    if (this.connecting) return this.connecting
    let path: string
    try {
      path = this.socketPath()
    } catch (error) {
      return Promise.reject(error instanceof UnixctlError ? error : new UnixctlError(`cannot find ${this.names.socket}: ${(error as Error).message}`, 'connect'))
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
        // Never what keeps the process alive: a pending request has its own timer for that.
        socket.unref()
        this.socket = socket
        this.splitter = new JsonStreamSplitter()
        const decoder = new StringDecoder('utf8')
        socket.on('data', (data: Buffer) => this.onData(socket, decoder.write(data)))
        socket.on('error', (error) => this.drop(new UnixctlError(`${path}: ${error.message}`, 'closed'), socket))
        socket.on('close', () => this.drop(new UnixctlError(`${path}: connection closed by ${this.names.peer}`, 'closed'), socket))
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
      let message: JsonRpcMessage
      try {
        message = JSON.parse(text) as JsonRpcMessage
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
      if (!pending) continue // a reply to a request given up on, or a notification
      this.pending.delete(message.id as number)
      pending.resolve(message)
    }
  }

  /** Forgets the connection (the given one only, when named) and fails what waits on it. */
  private drop(error: UnixctlError, socket?: Socket): void {
    if (socket && socket !== this.socket) return
    const current = this.socket
    this.socket = null
    current?.destroy()
    for (const p of this.pending.values()) p.reject(error)
    this.pending.clear()
  }
}

/** The promise, or a UnixctlError when `ms` pass first ('timeout') or the signal aborts ('aborted'). */
export function withDeadline<T>(promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new UnixctlError(`no answer in ${Math.round(ms / 100) / 10} s`, 'timeout')), Math.max(0, ms))
    const onAbort = () => reject(new UnixctlError('interrupted', 'aborted'))
    signal?.addEventListener('abort', onAbort, {once: true})
    promise.then(resolve, reject).finally(() => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    })
  })
}
