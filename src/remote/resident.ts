/**
 * One ssh per host kept open for the window's samples (as watch's resident netns reader): a
 * sample is a few requests written on its stdin, not one ssh per source.
 */
import {PassThrough} from 'node:stream'
import type {SourceResult} from '../capture/types.js'
import {statusOf} from '../exec/runner.js'
import type {RunResult} from '../exec/runner.js'
import {localReaderText, RESIDENT_WORD, residentArgv} from './readers.js'
import type {RemoteReaderKind} from './readers.js'
import type {RemoteRunner} from './ssh.js'

const LIFETIME_MS = 24 * 3600 * 1000

interface Answer {
  exitCode: number
  stdout: string
  stderr: string
}

interface Pending {
  /** The request as written, to send again on a new reader when one before it timed out. */
  line: string
  resolve: (a: Answer) => void
  reject: (e: Error) => void
  /** Starts the request's deadline: when it reaches the head of the queue (the remote runs one at a time). */
  arm: () => void
}

export class RemoteResidentReader {
  private stdin: PassThrough | null = null
  private abort: AbortController | null = null
  private buffer: Buffer = Buffer.alloc(0)
  private pending: Pending[] = []
  private ended: string | null = null

  constructor(private readonly runner: RemoteRunner) {}

  /** Requests waiting or running. */
  get load(): number {
    return this.pending.length
  }

  /** One source through the resident connection, recorded under the argv it ran. */
  async source(id: string, request: {argv?: string[]; reader?: RemoteReaderKind; path?: string; env?: Record<string, string>}, timeoutMs: number, signal?: AbortSignal): Promise<SourceResult> {
    const started = Date.now()
    const argv = request.argv ?? []
    const envWords = Object.entries(request.env ?? {}).map(([k, v]) => `${k}=${v}`)
    // env pairs go through env(1) on the remote: `env K=V argv`.
    const line = request.reader ? ['@read', request.reader] : envWords.length > 0 ? ['env', ...envWords, ...argv] : argv
    const startedAt = new Date(started).toISOString()
    const base = request.reader || request.path ? {id, path: request.path ?? '/sys/class/net', via: 'resident' as const, startedAt} : {id, argv, via: 'resident' as const, startedAt}
    if (!line.every((w) => RESIDENT_WORD.test(w))) {
      return {...base, status: 'error', exitCode: null, durationMs: 0, reason: 'a word of the request is not plain (not sent)', stdout: '', stderr: ''}
    }
    try {
      const answer = await this.request(line.join(' '), timeoutMs, signal)
      const fake: RunResult = {argv, stdout: answer.stdout, stderr: answer.stderr, exitCode: answer.exitCode, signal: null, timedOut: false, notFound: answer.exitCode === 127, startedAt: base.startedAt, durationMs: Date.now() - started, error: null}
      const {status, reason} = statusOf(fake)
      const stdout = request.reader && status === 'ok' ? localReaderText(request.reader, answer.stdout) : answer.stdout
      return {...base, status, exitCode: answer.exitCode, durationMs: Date.now() - started, ...(reason ? {reason} : {}), stdout, stderr: answer.stderr}
    } catch (error) {
      const message = (error as Error).message
      // A timed-out request has already been dropped and the rest moved to a new reader (see arm);
      // an interrupted one ends the reader.
      if (message === 'interrupted') this.close()
      return {...base, status: /no answer/.test(message) ? 'timeout' : message === 'interrupted' ? 'skipped' : 'error', exitCode: null, durationMs: Date.now() - started, reason: message, stdout: '', stderr: ''}
    }
  }

  close(): void {
    this.abort?.abort()
    this.abort = null
    this.stdin?.end()
    this.stdin = null
    this.buffer = Buffer.alloc(0)
    this.failAll(new Error(this.ended ?? 'the resident reader was closed'))
  }

  private start(): PassThrough {
    const stdin = new PassThrough()
    const abort = new AbortController()
    this.stdin = stdin
    this.abort = abort
    this.ended = null
    void this.runner
      .run({argv: residentArgv(), timeoutMs: LIFETIME_MS, signal: abort.signal, stdin, discardStdout: true, onStdoutBytes: (chunk) => {
        // A reader that was closed or replaced may still deliver what it had written: never taken
        // for the answers of the reader after it (seen: sysfs-net's lines saved as ovsdb-port).
        if (this.stdin === stdin) this.onBytes(chunk)
      }})
      .then((result) => {
        if (this.stdin !== stdin) return
        this.ended = `the remote reader ended (${result.error ?? (result.stderr.trim().split('\n')[0] || `exit ${result.exitCode ?? result.signal}`)})`
        this.stdin = null
        this.abort = null
        this.failAll(new Error(this.ended))
      })
    return stdin
  }

  private request(line: string, timeoutMs: number, signal?: AbortSignal): Promise<Answer> {
    if (signal?.aborted) return Promise.reject(new Error('interrupted'))
    const stdin = this.stdin ?? this.start()
    return new Promise<Answer>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const onAbort = () => entry.reject(new Error('interrupted'))
      const settle = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      const entry: Pending = {
        resolve: (a) => {
          settle()
          resolve(a)
        },
        reject: (e) => {
          settle()
          reject(e)
        },
        // A late answer would be taken for the next request's: the timed-out reader is replaced, and
        // the requests queued behind it are sent again on the new one (one slow source fails alone).
        line,
        arm: () => {
          timer ??= setTimeout(() => {
            if (this.pending[0] === entry) this.pending.shift()
            entry.reject(new Error(`no answer in ${timeoutMs / 1000} s`))
            this.restart()
          }, timeoutMs)
        },
      }
      signal?.addEventListener('abort', onAbort, {once: true})
      this.pending.push(entry)
      if (this.pending.length === 1) entry.arm()
      stdin.write(`${line}\n`)
    })
  }

  private onBytes(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    for (;;) {
      const nl = this.buffer.indexOf(0x0a)
      if (nl < 0) return
      const header = this.buffer.subarray(0, nl).toString('utf8')
      const m = /^dd-reading (\d+) (\d+) (\d+)$/.exec(header)
      if (!m) {
        this.ended = `the remote reader's answer is out of step (${JSON.stringify(header.slice(0, 80))})`
        this.close()
        return
      }
      const out = Number(m[2])
      const err = Number(m[3])
      if (this.buffer.length < nl + 1 + out + err) return
      const stdout = this.buffer.subarray(nl + 1, nl + 1 + out).toString('utf8')
      const stderr = this.buffer.subarray(nl + 1 + out, nl + 1 + out + err).toString('utf8')
      this.buffer = this.buffer.subarray(nl + 1 + out + err)
      this.pending.shift()?.resolve({exitCode: Number(m[1]), stdout, stderr})
      this.pending[0]?.arm()
    }
  }

  /** A new reader process for the requests still waiting, in their order; the head's deadline starts anew. */
  private restart(): void {
    const waiting = this.pending
    this.pending = []
    this.abort?.abort()
    this.abort = null
    this.stdin?.end()
    this.stdin = null
    this.buffer = Buffer.alloc(0)
    if (waiting.length === 0) return
    const stdin = this.start()
    this.pending = waiting
    for (const p of waiting) stdin.write(`${p.line}\n`)
    waiting[0]!.arm()
  }

  private failAll(error: Error): void {
    const pending = this.pending
    this.pending = []
    for (const p of pending) p.reject(error)
  }
}
