/**
 * iperf3's human output (client side), read line by line as it streams (`--forceflush`): iperf3
 * 3.12 (Debian bookworm) has no `--json-stream`, and `-J` prints nothing until the end.
 *
 *   Connecting to host 172.16.0.2, port 5201
 *   [  5] local 172.16.0.1 port 41234 connected to 172.16.0.2 port 5201
 *   [ ID] Interval           Transfer     Bitrate         Retr  Cwnd
 *   [  5]   0.00-1.00   sec   254 MBytes  2.13 Gbits/sec    0   1.52 MBytes
 *   - - - - - - - - - - - - - - - - - - - - - - - - -
 *   [  5]   0.00-10.00  sec  2.49 GBytes  2.14 Gbits/sec    0             sender
 *   [  5]   0.00-10.00  sec  2.49 GBytes  2.14 Gbits/sec                  receiver
 *
 * With -P N the per-stream lines are followed by a [SUM] line: only the [SUM] lines count then.
 */
import type {LoadResult, ParseResult} from './types.js'
import {fail, guard, lines, ok} from './util.js'

export interface Iperf3Interval {
  start: number
  end: number
  bytes: number
  bitsPerSecond: number
  retransmits: number | null
  /** The end-of-test summary lines ("sender" / "receiver"); null for a per-interval line. */
  summary: 'sender' | 'receiver' | null
  /** The [SUM] line of several streams. */
  sum: boolean
}

export type Iperf3Line =
  | {kind: 'connecting'; target: string}
  | {kind: 'connected'; localHost: string}
  | {kind: 'header'; hasRetransmits: boolean}
  | {kind: 'interval'; interval: Iperf3Interval}
  | {kind: 'error'; message: string}

const UNIT: Record<string, number> = {'': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4}
const RATE_UNIT: Record<string, number> = {'': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12}
const INTERVAL =
  /^\[\s*(\d+|SUM)\]\s+(\d+(?:\.\d+)?)-\s*(\d+(?:\.\d+)?)\s+sec\s+(\d+(?:\.\d+)?)\s+([KMGT]?)Bytes\s+(\d+(?:\.\d+)?)\s+([KMGT]?)bits\/sec(.*)$/

/** One line of iperf3 text output, or null when it says nothing dpdk-doctor uses. */
export function parseIperf3Line(line: string, hasRetransmits = true): Iperf3Line | null {
  const text = line.replace(/\r$/, '')
  let m = /^Connecting to host (\S+?),? port \d+/.exec(text)
  if (m) return {kind: 'connecting', target: m[1]!}
  m = /^\[\s*\d+\]\s+local (\S+) port \d+ connected to/.exec(text)
  if (m) return {kind: 'connected', localHost: m[1]!}
  if (/^\[ ID\]\s+Interval/.test(text)) return {kind: 'header', hasRetransmits: /\bRetr\b/.test(text)}
  m = /^iperf3: (?:error - )?(.*)$/.exec(text)
  if (m && /error/.test(text)) return {kind: 'error', message: m[1]!.trim()}
  m = INTERVAL.exec(text)
  if (!m) return null
  const rest = m[8]!.trim()
  const summary = /\bsender\b/.test(rest) ? 'sender' : /\breceiver\b/.test(rest) ? 'receiver' : null
  const firstNumber = /^(\d+)\b/.exec(rest)
  return {
    kind: 'interval',
    interval: {
      start: Number(m[2]),
      end: Number(m[3]),
      bytes: Math.round(Number(m[4]) * UNIT[m[5]!]!),
      bitsPerSecond: Math.round(Number(m[6]) * RATE_UNIT[m[7]!]!),
      retransmits: hasRetransmits && firstNumber ? Number(firstNumber[1]) : null,
      summary,
      sum: m[1] === 'SUM',
    },
  }
}

/**
 * Folds streamed lines into what the load did so far. Per-stream lines are dropped once a [SUM]
 * line shows there are several streams.
 */
export class Iperf3TextReader {
  target: string | null = null
  localHost: string | null = null
  error: string | null = null
  readonly intervals: Iperf3Interval[] = []
  sender: Iperf3Interval | null = null
  private hasRetransmits = true
  private streams = 0
  private partial = ''

  /** Feeds a chunk of stdout; returns the per-interval lines it completed. */
  push(chunk: string): Iperf3Interval[] {
    const text = this.partial + chunk
    const parts = text.split('\n')
    this.partial = parts.pop() ?? ''
    return parts.flatMap((line) => this.line(line))
  }

  /** The rest of the output (a last line without a newline). */
  end(): Iperf3Interval[] {
    const rest = this.partial
    this.partial = ''
    return rest ? this.line(rest) : []
  }

  private line(line: string): Iperf3Interval[] {
    const parsed = parseIperf3Line(line, this.hasRetransmits)
    if (!parsed) return []
    switch (parsed.kind) {
      case 'connecting':
        this.target = parsed.target
        return []
      case 'connected':
        this.localHost ??= parsed.localHost
        this.streams++
        return []
      case 'header':
        this.hasRetransmits = parsed.hasRetransmits
        return []
      case 'error':
        this.error = parsed.message
        return []
      case 'interval': {
        const iv = parsed.interval
        if (this.streams > 1 && !iv.sum) return []
        if (iv.summary === 'sender') this.sender = iv
        if (iv.summary !== null) return []
        this.intervals.push(iv)
        return [iv]
      }
    }
  }

  result(): LoadResult {
    const bytes = this.sender?.bytes ?? (this.intervals.length > 0 ? this.intervals.reduce((s, iv) => s + iv.bytes, 0) : null)
    return {
      tool: 'iperf3',
      protocol: this.hasRetransmits ? 'TCP' : null,
      target: this.target,
      localHost: this.localHost,
      bytes,
      bitsPerSecond: this.sender?.bitsPerSecond ?? null,
      retransmits: this.sender?.retransmits ?? null,
      durationS: this.sender?.end ?? null,
      reverse: false,
      startedAtSecs: null,
      intervals: this.intervals.map(({start, end, bytes: b, bitsPerSecond, retransmits}) => ({start, end, bytes: b, bitsPerSecond, retransmits})),
      error: this.error,
    }
  }
}

/** The whole text output of an iperf3 client run (a saved `watch --run` load). */
export function parseIperf3Text(text: string): ParseResult<LoadResult> {
  return guard('iperf3', () => {
    const reader = new Iperf3TextReader()
    for (const line of lines(text)) reader.push(line + '\n')
    if (reader.intervals.length === 0 && reader.sender === null && reader.target === null) return fail('iperf3: no iperf3 client output')
    const warnings = reader.sender === null && reader.intervals.length > 0 ? ['no end summary; bytes summed from the intervals'] : []
    return ok(reader.result(), warnings)
  })
}
