/**
 * The one way dpdk-doctor runs an external command: argv arrays (never a shell), LC_ALL=C, a
 * fixed PATH, and a deadline that kills the whole process group (execa's own timeout only kills
 * the direct child; a grandchild holding stdout would keep the run pending).
 */
import type {Readable} from 'node:stream'
import {StringDecoder} from 'node:string_decoder'
import type {SourceStatus} from '../capture/types.js'

export interface RunRequest {
  argv: string[]
  timeoutMs: number
  /** Extra environment (e.g. OVS_RUNDIR); the rest is a minimal, fixed environment. */
  env?: Record<string, string>
  /** Aborts the command (Ctrl-C): the process group is ended like on a deadline. */
  signal?: AbortSignal
  /** Called with stdout as it arrives (watch reads iperf3's per-interval lines); stdout is still returned whole. */
  onStdout?: (chunk: string) => void
  /** Called with stdout's raw bytes as they arrive (a framed reader counts bytes, not characters). */
  onStdoutBytes?: (chunk: Buffer) => void
  /** The command's stdin (a resident reader's requests); none when absent. */
  stdin?: Readable
  /** Keep no copy of stdout (a long-lived command read through onStdout). */
  discardStdout?: boolean
  /** Most stdout kept, in characters (default STDOUT_LIMIT); a command writing more is ended and fails. */
  maxStdout?: number
}

export interface RunResult {
  argv: string[]
  stdout: string
  stderr: string
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  /** The program was not found (ENOENT). */
  notFound: boolean
  startedAt: string
  durationMs: number
  /** Spawn failure or other runner-level error, in words. */
  error: string | null
  /** The command wrote more than the limit: it was ended and its output dropped. */
  overLimit?: boolean
}

export interface Runner {
  run(request: RunRequest): Promise<RunResult>
}

/** PATH for children: system directories only, so a stray `ip` in the caller's PATH is never used. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/**
 * The most stdout kept of one command (64 Mi characters, as the unixctl client's 64 MB): the
 * largest real output, a 10,000-port host's OVSDB Interface table, is 26 MB. stderr: 4 Mi.
 */
export const STDOUT_LIMIT = 64 * 1024 * 1024
const STDERR_LIMIT = 4 * 1024 * 1024

/** Grace between SIGTERM and SIGKILL of a timed-out process group. */
const KILL_GRACE_MS = 500

/**
 * Environment for children. DPDK_DOCTOR_PATH prepends directories (tests use it for command stubs,
 * installs with tools in odd places use it too).
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const prefix = process.env.DPDK_DOCTOR_PATH
  const env: Record<string, string> = {
    PATH: prefix ? `${prefix}:${SYSTEM_PATH}` : SYSTEM_PATH,
    LC_ALL: 'C',
    LANG: 'C',
    HOME: process.env.HOME ?? '/root',
  }
  for (const key of ['OVS_RUNDIR', 'OVS_DBDIR', 'OVS_LOGDIR', 'OVS_SYSCONFDIR', 'OVS_CTL_TIMEOUT', 'TERM']) {
    const value = process.env[key]
    if (value !== undefined) env[key] = value
  }
  return {...env, ...extra}
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // Already gone.
  }
}

export class HostRunner implements Runner {
  async run(request: RunRequest): Promise<RunResult> {
    const [file, ...args] = request.argv
    const started = Date.now()
    const startedAt = new Date(started).toISOString()
    if (!file) throw new Error('empty argv')

    // Loaded on first use: execa and its ~130 modules are needed only for live runs, and a static
    // import cost every start (diagnose --from, --version) tens of milliseconds.
    const {execa} = await import('execa')
    const child = execa(file, args, {
      reject: false,
      shell: false,
      detached: true, // its own process group, so the deadline can end every descendant
      stdin: request.stdin ? 'pipe' : 'ignore',
      buffer: {stdout: !request.discardStdout, stderr: true},
      env: childEnv(request.env),
      extendEnv: false,
      encoding: 'utf8',
      stripFinalNewline: false,
      // A little over our own count (below), so execa's limit only ever catches stderr.
      maxBuffer: {stdout: (request.maxStdout ?? STDOUT_LIMIT) + 1024 * 1024, stderr: STDERR_LIMIT},
    })
    const pid = child.pid
    if (request.stdin && child.stdin) {
      child.stdin.on('error', () => undefined) // EPIPE from a command that ended: its result tells why
      request.stdin.pipe(child.stdin)
    }
    if (request.onStdout) {
      const onStdout = request.onStdout
      const decoder = new StringDecoder('utf8')
      child.stdout?.on('data', (data: Buffer | string) => onStdout(typeof data === 'string' ? data : decoder.write(data)))
    }

    if (request.onStdoutBytes) {
      const onBytes = request.onStdoutBytes
      child.stdout?.on('data', (data: Buffer | string) => onBytes(typeof data === 'string' ? Buffer.from(data) : data))
    }

    let timedOut = false
    let aborted = false
    // Counted here, not left to execa's maxBuffer: it ends only the direct child, and a grandchild
    // holding the pipe would keep the run pending until the deadline.
    const stdoutLimit = request.maxStdout ?? STDOUT_LIMIT
    let overLimit = false
    let stdoutBytes = 0
    child.stdout?.on('data', (data: Buffer | string) => {
      stdoutBytes += typeof data === 'string' ? data.length : data.byteLength
      if (stdoutBytes > stdoutLimit && !overLimit) {
        overLimit = true
        killGroup(pid, 'SIGKILL')
      }
    })
    let escalate: NodeJS.Timeout | undefined
    const end = () => {
      killGroup(pid, 'SIGTERM')
      escalate = setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS)
    }
    const deadline = setTimeout(() => {
      timedOut = true
      end()
    }, request.timeoutMs)
    const onAbort = () => {
      aborted = true
      end()
    }
    request.signal?.addEventListener('abort', onAbort, {once: true})

    // After a kill, do not wait for pipes that an escaped grandchild may still hold.
    const giveUp = new Promise<'gave-up'>((resolve) => {
      const check = setInterval(() => {
        if ((overLimit && Date.now() - started > 2 * KILL_GRACE_MS) || ((timedOut || aborted) && Date.now() - started > request.timeoutMs + 2 * KILL_GRACE_MS)) {
          clearInterval(check)
          resolve('gave-up')
        }
      }, 100)
      void child.finally(() => clearInterval(check))
    })

    const outcome = await Promise.race([child, giveUp])
    clearTimeout(deadline)
    if (escalate && outcome !== 'gave-up') clearTimeout(escalate)
    request.signal?.removeEventListener('abort', onAbort)
    const durationMs = Date.now() - started

    if (overLimit || (outcome !== 'gave-up' && outcome.isMaxBuffer)) {
      // The whole group ends, and none of a cut output is kept.
      killGroup(pid, 'SIGKILL')
      const which = overLimit || (outcome !== 'gave-up' && typeof outcome.stdout === 'string' && outcome.stdout.length >= stdoutLimit) ? `stdout over the limit of ${stdoutLimit} characters` : `stderr over the limit of ${STDERR_LIMIT} characters`
      return {argv: request.argv, stdout: '', stderr: '', exitCode: null, signal: 'SIGKILL', timedOut: false, notFound: false, startedAt, durationMs, error: `${which}: the command was ended and its output dropped`, overLimit: true}
    }
    if (outcome === 'gave-up') {
      killGroup(pid, 'SIGKILL')
      return {argv: request.argv, stdout: '', stderr: '', exitCode: null, signal: 'SIGKILL', timedOut, notFound: false, startedAt, durationMs, error: aborted ? 'aborted' : null}
    }
    const result = outcome
    const code = (result as {code?: string}).code
    const notFound = code === 'ENOENT'
    return {
      argv: request.argv,
      stdout: typeof result.stdout === 'string' ? result.stdout : '',
      stderr: typeof result.stderr === 'string' ? result.stderr : '',
      exitCode: typeof result.exitCode === 'number' ? result.exitCode : null,
      signal: result.signal ?? null,
      timedOut,
      notFound,
      startedAt,
      durationMs,
      error: aborted ? 'aborted' : result.failed && result.exitCode === undefined && !timedOut ? (result.shortMessage ?? 'failed to start') : null,
    }
  }
}

const PERMISSION_PATTERNS = [/permission denied/i, /operation not permitted/i, /must be run as root/i, /EACCES/]

/** The capture status of a finished command. */
export function statusOf(result: RunResult): {status: SourceStatus; reason: string | null} {
  if (result.notFound) return {status: 'not-installed', reason: `${result.argv[0]}: not found`}
  if (result.timedOut) return {status: 'timeout', reason: 'deadline reached; process group ended'}
  // ovs-vsctl -t, ovs-appctl -T and ovs-ofctl -t time out with alarm(): the tool dies of SIGALRM
  // ("terminating with signal 14") when the daemon does not answer, well before our deadline.
  if (result.signal === 'SIGALRM' || (result.exitCode === 142 && /signal 14|alarm clock/i.test(result.stderr))) {
    return {status: 'timeout', reason: `${result.argv[0] ?? 'the command'} gave up waiting for an answer (its own timeout, SIGALRM)`}
  }
  if (result.error === 'aborted') return {status: 'skipped', reason: 'interrupted'}
  if (result.overLimit) return {status: 'error', reason: result.error ?? 'output over the limit'}
  if (result.exitCode === 0) return {status: 'ok', reason: null}
  const firstLine = (result.stderr.trim().split('\n')[0] ?? '').slice(0, 200) || null
  if (result.exitCode === 126 || PERMISSION_PATTERNS.some((p) => p.test(result.stderr))) {
    return {status: 'permission-denied', reason: firstLine ?? 'permission denied'}
  }
  if (result.exitCode === 127) return {status: 'not-installed', reason: firstLine ?? `${result.argv[0]}: not found`}
  return {status: 'error', reason: firstLine ?? result.error ?? (result.signal ? `killed by ${result.signal}` : `exit ${result.exitCode}`)}
}
