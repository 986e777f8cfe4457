/**
 * ovs-vswitchd's control socket, spoken to directly: the JSON-RPC requests `ovs-appctl` sends
 * (`{"id","method","params":[strings]}` on `<rundir>/ovs-vswitchd.<pid>.ctl`), and the text it
 * prints. `watch` reads its per-second counters this way instead of starting an `ovs-appctl`
 * process each second (most of the sampler's CPU). One connection is kept open; a deadline ends a
 * request that vswitchd does not answer, like `ovs-appctl -T`, and drops the connection.
 */
import {readFileSync} from 'node:fs'
import {createConnection} from 'node:net'
import type {Socket} from 'node:net'
import {join} from 'node:path'
import {StringDecoder} from 'node:string_decoder'

export interface UnixctlReply {
  /** The command's text (what ovs-appctl prints on stdout); null on error. */
  result: string | null
  /** vswitchd's error text (what ovs-appctl prints on stderr before exiting 2); null when ok. */
  error: string | null
}

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

/** The control socket of a daemon in an OVS run directory, from its pidfile (as ovs-appctl -t finds it). */
export function controlSocketPath(rundir: string, daemon = 'ovs-vswitchd'): string {
  const pidText = readFileSync(join(rundir, `${daemon}.pid`), 'utf8').trim()
  if (!/^\d{1,10}$/.test(pidText)) throw new UnixctlError(`${daemon}.pid in ${rundir} holds no PID`, 'connect')
  return join(rundir, `${daemon}.${pidText}.ctl`)
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

interface Pending {
  resolve: (reply: UnixctlReply) => void
  reject: (error: UnixctlError) => void
}

export class UnixctlClient {
  private socket: Socket | null = null
  private connecting: Promise<Socket> | null = null
  private nextId = 0
  private readonly pending = new Map<number, Pending>()
  private splitter = new JsonStreamSplitter()

  /** `socketPath` is resolved per connection, so a restarted daemon (new PID) is found again. */
  constructor(private readonly socketPath: () => string) {}

  /** Sends one command and waits for its reply, at most `timeoutMs`. */
  async call(method: string, params: readonly string[], opts: {timeoutMs: number; signal?: AbortSignal}): Promise<UnixctlReply> {
    if (opts.signal?.aborted) throw new UnixctlError('interrupted', 'aborted')
    const started = Date.now()
    const socket = await withDeadline(this.connect(), opts.timeoutMs, opts.signal)
    const id = this.nextId++
    const reply = new Promise<UnixctlReply>((resolve, reject) => this.pending.set(id, {resolve, reject}))
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
      const e = error as NodeJS.ErrnoException
      return Promise.reject(error instanceof UnixctlError ? error : new UnixctlError(`cannot find the control socket: ${e.message}`, 'connect'))
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
        socket.on('data', (data: Buffer) => this.onData(decoder.write(data)))
        socket.on('error', (error) => this.drop(new UnixctlError(`${path}: ${error.message}`, 'closed'), socket))
        socket.on('close', () => this.drop(new UnixctlError(`${path}: connection closed by the daemon`, 'closed'), socket))
        resolve(socket)
      })
    })
    return this.connecting
  }

  private onData(text: string): void {
    let messages: string[]
    try {
      messages = this.splitter.push(text)
    } catch (error) {
      this.drop(error as UnixctlError)
      return
    }
    for (const text of messages) {
      let message: {id?: unknown; result?: unknown; error?: unknown}
      try {
        message = JSON.parse(text) as typeof message
      } catch {
        this.drop(new UnixctlError('a reply that is not JSON', 'protocol'))
        return
      }
      const pending = typeof message.id === 'number' ? this.pending.get(message.id) : undefined
      if (!pending) continue // a reply to a request given up on, or a notification
      this.pending.delete(message.id as number)
      const error = message.error === null || message.error === undefined ? null : typeof message.error === 'string' ? message.error : JSON.stringify(message.error)
      const result = typeof message.result === 'string' ? message.result : null
      pending.resolve({result: error === null ? (result ?? '') : null, error})
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
