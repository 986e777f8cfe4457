/**
 * A reader kept running inside a network namespace (netnsResidentReaderArgv), asked for one
 * reading at a time. `watch --netns` reads its kernel sources this way (sysfs-stats every second,
 * sysfs-net and sysctl-net in snapshots): the one-shot reader starts a node process in the
 * namespace for each. A reading is the same reader's output, recorded under the one-shot
 * reader's argv with via 'resident'.
 */
import {statSync} from 'node:fs'
import {PassThrough} from 'node:stream'
import type {SourceResult} from '../capture/types.js'
import type {Runner} from '../exec/runner.js'
import {netnsReaderArgv, netnsResidentReaderArgv} from './readers.js'

/** The readings a resident reader gives: the in-process reader kinds, which are also their source ids. */
export const RESIDENT_KINDS = ['sysfs-stats', 'sysfs-net', 'sysctl-net'] as const
export type ResidentKind = (typeof RESIDENT_KINDS)[number]

/** The resident reader's own life: until close(); a reading has its own deadline. */
const RESIDENT_LIFETIME_MS = 7 * 24 * 3600 * 1000

class ReadingError extends Error {
  constructor(message: string, readonly kind: 'timeout' | 'interrupted' | 'ended') {
    super(message)
  }
}

interface Slot {
  waiter: {resolve: (line: string) => void; reject: (error: Error) => void} | null
}

export class ResidentNetnsReader {
  private stdin: PassThrough | null = null
  private abort: AbortController | null = null
  private buffered = ''
  private slots: Slot[] = []
  private exited: string | null = null

  /** Which namespace the running reader entered: the inode of /run/netns/<name> when it started. */
  private nsIdentity: number | null = null

  /** `nsPath`: where `ip netns` keeps the named namespace (its inode is the namespace's identity). */
  constructor(
    private readonly runner: Runner,
    private readonly netns: string,
    private readonly nsPath: string = `/run/netns/${netns}`,
  ) {}

  private currentIdentity(): number | null {
    try {
      return statSync(this.nsPath).ino
    } catch {
      return null
    }
  }

  /** One reading, as a source result. A reader that died or timed out is started afresh next time. */
  async read(kind: ResidentKind, opts: {timeoutMs: number; signal?: AbortSignal}): Promise<SourceResult> {
    const started = Date.now()
    const startedAt = new Date(started).toISOString()
    const argv = netnsReaderArgv(this.netns, kind)
    const base = {id: kind, argv, via: 'resident' as const, startedAt}
    // A namespace deleted and made again under the same name (a container or the lab restarted)
    // is another namespace: a reader still in the old one would report its ghosts.
    const identity = this.currentIdentity()
    if (identity === null) {
      this.close()
      const reason = `network namespace ${this.netns} is gone`
      return {...base, status: 'error', exitCode: null, durationMs: Date.now() - started, reason, stdout: '', stderr: ''}
    }
    if (this.stdin && identity !== this.nsIdentity) this.close()
    try {
      // One line per answer: sysctl-net's line breaks travel as tabs (no reading holds a tab).
      const line = (await this.request(kind, opts)).replaceAll('\t', '\n')
      return {...base, status: 'ok', exitCode: 0, durationMs: Date.now() - started, stdout: line, stderr: ''}
    } catch (error) {
      const e = error as ReadingError
      const status = e.kind === 'interrupted' ? 'skipped' : e.kind === 'timeout' ? 'timeout' : 'error'
      // An interrupted reading keeps its slot; a reader that hangs or died is replaced next time.
      if (status !== 'skipped') this.close()
      return {...base, status, exitCode: null, durationMs: Date.now() - started, reason: e.message, stdout: '', stderr: ''}
    }
  }

  close(): void {
    this.abort?.abort()
    this.abort = null
    this.stdin?.end()
    this.stdin = null
    this.buffered = ''
    this.fail(new ReadingError(this.exited ?? 'the resident reader was closed', 'ended'))
  }

  private start(): PassThrough {
    const stdin = new PassThrough()
    const abort = new AbortController()
    this.stdin = stdin
    this.abort = abort
    this.exited = null
    this.nsIdentity = this.currentIdentity()
    void this.runner
      .run({
        argv: netnsResidentReaderArgv(this.netns),
        timeoutMs: RESIDENT_LIFETIME_MS,
        signal: abort.signal,
        stdin,
        discardStdout: true,
        onStdout: (chunk) => this.onOutput(chunk),
      })
      .then((result) => {
        if (this.stdin !== stdin) return // an older reader, already replaced
        const why = result.notFound ? 'not found' : result.stderr.trim().split('\n')[0] || result.error?.split('\n')[0] || `exit ${result.exitCode ?? result.signal}`
        this.exited = `the resident reader ended (${why})`
        this.stdin = null
        this.abort = null
        this.fail(new ReadingError(this.exited, 'ended'))
      })
    return stdin
  }

  private request(kind: ResidentKind, opts: {timeoutMs: number; signal?: AbortSignal}): Promise<string> {
    if (opts.signal?.aborted) return Promise.reject(new ReadingError('interrupted', 'interrupted'))
    const stdin = this.stdin ?? this.start()
    return new Promise<string>((resolve, reject) => {
      // One slot per request, answered in order: an abandoned slot keeps its place, so its late
      // line is dropped rather than taken as the answer to the next request.
      const slot: Slot = {waiter: null}
      const timer = setTimeout(() => done(new ReadingError(`no answer in ${opts.timeoutMs / 1000} s`, 'timeout')), opts.timeoutMs)
      const onAbort = () => done(new ReadingError('interrupted', 'interrupted'))
      const done = (error: Error | null, line?: string) => {
        clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
        slot.waiter = null
        if (error) reject(error)
        else resolve(line!)
      }
      slot.waiter = {resolve: (line) => done(null, line), reject: (e) => done(e)}
      opts.signal?.addEventListener('abort', onAbort, {once: true})
      this.slots.push(slot)
      stdin.write(`${kind}\n`)
    })
  }

  private onOutput(chunk: string): void {
    this.buffered += chunk
    let n: number
    while ((n = this.buffered.indexOf('\n')) !== -1) {
      const line = this.buffered.slice(0, n + 1)
      this.buffered = this.buffered.slice(n + 1)
      this.slots.shift()?.waiter?.resolve(line)
    }
  }

  private fail(error: Error): void {
    const slots = this.slots
    this.slots = []
    for (const slot of slots) slot.waiter?.reject(error)
  }
}
