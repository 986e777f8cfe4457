/**
 * A Runner that answers from a capture bundle: each argv is mapped back to the source id that
 * would have produced it, and the recorded output and status are returned. Lets the live
 * collection path run end to end without a host (tests, demos).
 */
import type {Sample} from '../capture/types.js'
import {RESIDENT_KINDS} from '../collect/resident.js'
import {bridgeSources, ethtoolSource, STATIC_SOURCES} from '../collect/sources.js'
import type {RunRequest, RunResult, Runner} from './runner.js'

/** Drops an `ip netns exec NS` prefix, or the `-n NS` of ip itself. */
function stripNetns(argv: string[]): string[] {
  if (argv[0] === 'ip' && argv[1] === 'netns' && argv[2] === 'exec') return argv.slice(4)
  if (argv[0] === 'ip' && argv[1] === '-n') return ['ip', ...argv.slice(3)]
  return argv
}

const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i])

/** The source id an argv collects, or null when it is not a source dpdk-doctor runs. */
export function sourceIdForArgv(argv: string[]): string | null {
  const plain = stripNetns(argv)
  const fixed = STATIC_SOURCES.find((s) => s.argv && same(s.argv, plain))
  if (fixed) return fixed.id
  const last = plain[plain.length - 1] ?? ''
  const versions = plain[0] === 'ovs-ofctl' && plain.includes('-O') ? (plain[plain.indexOf('-O') + 1] ?? '').split(',') : []
  const perBridge = bridgeSources(last, versions).find((s) => s.argv && same(s.argv, plain))
  if (perBridge) return perBridge.id
  const ethtool = ethtoolSource(last)
  if (ethtool.argv && same(ethtool.argv, plain)) return ethtool.id
  return null
}

const RESIDENT_KIND_SET: ReadonlySet<string> = new Set(RESIDENT_KINDS)

export class ReplayRunner implements Runner {
  readonly calls: string[][] = []

  /** samples: answered in turn; the last one keeps answering (a live window asks many times). */
  constructor(private readonly samples: Sample[], private readonly extra: Record<string, {stdout: string; exitCode: number}> = {}) {}

  private turn = 0

  /** Moves to the next recorded sample (call between collections). */
  advance(): void {
    this.turn = Math.min(this.turn + 1, this.samples.length - 1)
  }

  async run(request: RunRequest): Promise<RunResult> {
    this.calls.push(request.argv)
    const startedAt = new Date().toISOString()
    const base = {argv: request.argv, signal: null, timedOut: false, notFound: false, startedAt, durationMs: 0, error: null}
    if (request.stdin) return this.resident(request, base)
    const key = request.argv.join(' ')
    if (this.extra[key]) return {...base, stdout: this.extra[key].stdout, stderr: '', exitCode: this.extra[key].exitCode}
    const id = sourceIdForArgv(request.argv)
    const recorded = id ? this.samples[this.turn]?.sources[id] : undefined
    if (!recorded) return {...base, stdout: '', stderr: `${request.argv[0]}: not found`, exitCode: null, notFound: true}
    return {
      ...base,
      stdout: recorded.stdout,
      stderr: recorded.stderr,
      exitCode: recorded.exitCode,
      timedOut: recorded.status === 'timeout',
      notFound: recorded.status === 'not-installed',
      durationMs: recorded.durationMs,
    }
  }

  /**
   * A resident reader (watch --netns): each line on stdin names a reader kind and is answered with
   * the current sample's recorded reading (line breaks as tabs, as the reader sends them), until
   * stdin ends or the run is aborted. A kind not recorded gets an empty line, a malformed reading.
   */
  private resident(request: RunRequest, base: Omit<RunResult, 'stdout' | 'stderr' | 'exitCode'>): Promise<RunResult> {
    return new Promise((resolve) => {
      const end = (aborted: boolean) => resolve({...base, stdout: '', stderr: '', exitCode: aborted ? null : 0, error: aborted ? 'aborted' : null})
      let pending = ''
      request.stdin!.setEncoding('utf8')
      request.stdin!.on('data', (chunk: string) => {
        pending += chunk
        let n: number
        while ((n = pending.indexOf('\n')) !== -1) {
          const kind = pending.slice(0, n).trim()
          pending = pending.slice(n + 1)
          const recorded = RESIDENT_KIND_SET.has(kind) ? this.samples[this.turn]?.sources[kind]?.stdout : undefined
          request.onStdout?.(recorded ? `${recorded.replace(/\n(?!$)/g, '\t').replace(/\n?$/, '')}\n` : '\n')
        }
      })
      request.stdin!.once('end', () => end(false))
      request.signal?.addEventListener('abort', () => end(true), {once: true})
    })
  }
}
