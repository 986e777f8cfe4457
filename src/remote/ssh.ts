/**
 * The ssh transport: the system `ssh` binary run through the one runner with an argv. ssh joins
 * the remote words into one string for the remote user's shell, so every remote word is quoted
 * here for a POSIX sh; host names and option values are validated before they reach an argv.
 */
import {lstatSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {DoctorError} from '../errors.js'
import {SYSTEM_PATH} from '../exec/runner.js'
import type {RunRequest, RunResult, Runner} from '../exec/runner.js'

/** The per-host statuses of a multi-host run (docs/multi-host.md). */
export const HOST_STATUSES = ['ok', 'unreachable', 'auth-failed', 'host-key', 'sudo-password', 'timeout', 'tool-missing', 'ovs-down'] as const
export type HostStatus = (typeof HOST_STATUSES)[number]

/** `local`: this machine, no ssh. */
export const LOCAL_HOST = 'local'

// [user@]host: a Host alias, a DNS name, IPv4 or IPv6 (ssh takes it bare). Never a leading '-'
// (it would read as an option), never whitespace or shell syntax.
const DESTINATION = /^(?:[A-Za-z0-9_][A-Za-z0-9._-]{0,63}@)?[A-Za-z0-9_:][A-Za-z0-9._:-]{0,254}$/

export function isValidHostName(name: string): boolean {
  return DESTINATION.test(name) && !name.includes('..') && name !== '.'
}

export function assertHostName(name: string): string {
  if (!isValidHostName(name)) {
    throw new DoctorError('E_BAD_NAME', `refusing host name ${JSON.stringify(name)}`, {
      suggestions: ['A host is an ssh destination: a Host alias, host, user@host or an IP (letters, digits, ".", "_", "-", ":"), or `local`.'],
    })
  }
  return name
}

/** One word for a POSIX sh: single-quoted, a quote inside closed, escaped and reopened. */
export function shQuote(word: string): string {
  if (word.includes('\0')) throw new DoctorError('E_BAD_NAME', 'refusing a remote argument with a NUL byte')
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
}

/** The remote command string ssh will hand the remote shell: each word quoted, so it runs as this argv. */
export function remoteCommandLine(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ')
}

// -o values: Keyword=value or "Keyword value", printable, no newline.
const SSH_OPTION = /^[A-Za-z][A-Za-z0-9]*(?:=| +)[^\n\r\0]+$/

export function assertSshOption(option: string): string {
  if (!SSH_OPTION.test(option)) {
    throw new DoctorError('E_USAGE', `refusing ssh option ${JSON.stringify(option)}`, {suggestions: ['Give an ssh_config option as Keyword=value, e.g. ConnectTimeout=3.']})
  }
  const [keyword = '', value = ''] = option.split(/=| +/, 2)
  if (keyword.toLowerCase() === 'stricthostkeychecking' && /^(no|off)$/i.test(value.trim())) {
    throw new DoctorError('E_USAGE', 'refusing StrictHostKeyChecking=no: it would trust any host key', {
      suggestions: ['Check the fingerprint and run `ssh-keyscan -H HOST >> ~/.ssh/known_hosts`, or give --accept-new-host-keys for hosts never seen.'],
    })
  }
  return option
}

export interface SshSettings {
  /** -F FILE (--ssh-config). */
  configFile: string | null
  /** The user's -o options (--ssh-option): first, so they win. */
  options: string[]
  /** -o StrictHostKeyChecking=accept-new (--accept-new-host-keys). */
  acceptNewHostKeys: boolean
  /** Directory of the control sockets (mode 0700, ours). */
  controlDir: string
  /** Seconds for ConnectTimeout (default 10). */
  connectTimeoutS?: number
}

/**
 * ssh binds its control socket at `<ControlPath>.<16 random>` before renaming it to `<dir>/<%C, 40
 * hex>`, and a Unix socket path holds at most 107 bytes: the directory gets 49.
 */
export const CONTROL_DIR_MAX_BYTES = 107 - (1 + 40 + 17)

/**
 * The private directory of the control sockets: made 0700, refused when not ours or open to others.
 * DPDK_DOCTOR_SSH_CONTROL_DIR when set (too long is an error: ssh would fail on every host); else
 * $XDG_RUNTIME_DIR/dpdk-doctor-ssh, or the temp dir's, or /tmp's, the first short enough.
 */
export function privateControlDir(env: NodeJS.ProcessEnv = process.env): string {
  const uid = process.getuid?.()
  const fits = (dir: string) => Buffer.byteLength(dir) <= CONTROL_DIR_MAX_BYTES
  const chosen = env.DPDK_DOCTOR_SSH_CONTROL_DIR
  if (chosen !== undefined && !fits(chosen)) {
    throw new DoctorError('E_SSH_CONTROL_DIR', `refusing ssh control directory ${chosen}: ${Buffer.byteLength(chosen)} bytes, and ssh's control socket path in it would pass the 107 bytes a Unix socket allows (at most ${CONTROL_DIR_MAX_BYTES})`, {
      suggestions: ['Set DPDK_DOCTOR_SSH_CONTROL_DIR to a shorter directory only you can read.'],
    })
  }
  const candidates = chosen !== undefined ? [chosen] : [...(env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'dpdk-doctor-ssh')] : []), join(tmpdir(), `dpdk-doctor-ssh-${uid ?? 0}`), `/tmp/dpdk-doctor-ssh-${uid ?? 0}`]
  const base = candidates.find(fits) ?? candidates[candidates.length - 1]!
  mkdirSync(base, {recursive: true, mode: 0o700})
  const st = lstatSync(base)
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw new DoctorError('E_SSH_CONTROL_DIR', `refusing ssh control directory ${base}: not a private directory of this user (mode 0700)`, {
      suggestions: [`Remove it, or set DPDK_DOCTOR_SSH_CONTROL_DIR to a directory only you can read.`],
    })
  }
  return base
}

/** ssh's argv for one remote command. */
export function sshArgv(destination: string, remoteArgv: readonly string[], settings: SshSettings): string[] {
  assertHostName(destination)
  const user = settings.options.flatMap((o) => ['-o', assertSshOption(o)])
  return [
    'ssh',
    ...(settings.configFile ? ['-F', settings.configFile] : []),
    ...user,
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${settings.connectTimeoutS ?? 10}`,
    '-o', 'ServerAliveInterval=5',
    '-o', 'ControlMaster=auto',
    '-o', 'ControlPersist=60',
    '-o', `ControlPath=${join(settings.controlDir, '%C')}`,
    ...(settings.acceptNewHostKeys ? ['-o', 'StrictHostKeyChecking=accept-new'] : []),
    '-T',
    '--',
    destination,
    remoteCommandLine(remoteArgv),
  ]
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/
const ENV_VALUE = /^[A-Za-z0-9_./:@%+,-]*$/

/** How one host runs a command: as root already, or through `sudo -n`. */
export interface RemoteIdentity {
  sudo: boolean
}

/**
 * The remote argv of a local request: `[sudo -n --] env PATH=... LC_ALL=C LANG=C [K=V ...] argv`,
 * the same fixed environment the local runner gives.
 */
export function remoteArgv(argv: readonly string[], identity: RemoteIdentity, env: Record<string, string> = {}): string[] {
  const pairs = Object.entries(env).map(([k, v]) => {
    if (!ENV_NAME.test(k) || !ENV_VALUE.test(v)) throw new DoctorError('E_BAD_NAME', `refusing remote environment ${k}=${JSON.stringify(v)}`)
    return `${k}=${v}`
  })
  return [...(identity.sudo ? ['sudo', '-n', '--'] : []), 'env', `PATH=${SYSTEM_PATH}`, 'LC_ALL=C', 'LANG=C', ...pairs, ...argv]
}

/**
 * A runner that runs each request on one host over ssh, through the local runner. The request's
 * env goes to the remote command (OVS_RUNDIR), not to ssh; the result keeps the remote argv.
 */
export class RemoteRunner implements Runner {
  constructor(
    private readonly local: Runner,
    readonly destination: string,
    private readonly settings: SshSettings,
    public identity: RemoteIdentity = {sudo: false},
  ) {
    assertHostName(destination)
  }

  /** ssh's argv for a remote argv (already wrapped or not). */
  argvFor(argv: readonly string[], env?: Record<string, string>, raw = false): string[] {
    return sshArgv(this.destination, raw ? argv : remoteArgv(argv, this.identity, env), this.settings)
  }

  async run(request: RunRequest & {raw?: boolean}): Promise<RunResult> {
    const result = await this.local.run({...request, argv: this.argvFor(request.argv, request.env, request.raw), env: undefined})
    const failure = result.exitCode === 255 ? classifySshFailure(result.stderr, this.destination) : null
    // 127 from env (or sudo) is the remote's "command not found": the tool is missing there.
    const notFound = result.exitCode === 127 && /No such file or directory|command not found/i.test(result.stderr)
    return {...result, argv: request.argv, notFound, ...(failure ? {error: `ssh: ${failure.reason}`} : {})}
  }
}

export interface HostFailure {
  status: Exclude<HostStatus, 'ok'>
  reason: string
  /** What to run to fix it, when there is one command for it. */
  fix: string | null
}

/** The host key commands to suggest for a destination (known_hosts after checking, or accept-new). */
export function hostKeyFix(destination: string): string {
  const host = destination.includes('@') ? destination.slice(destination.indexOf('@') + 1) : destination
  return `check the key's fingerprint, then: ssh-keyscan -H ${host} >> ~/.ssh/known_hosts (or: ssh -o StrictHostKeyChecking=accept-new ${destination} true; or give --accept-new-host-keys)`
}

/** ssh's own failure (exit 255) from its stderr; null when stderr names none (the remote command's own 255). */
export function classifySshFailure(stderr: string, destination: string): HostFailure | null {
  const line = stderr.split('\n').map((l) => l.trim()).find((l) => l && !/^Warning: Permanently added/.test(l)) ?? ''
  const reason = line.slice(0, 300)
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No [A-Z0-9]+ host key is known|host key for .* has changed/i.test(stderr)) {
    return {status: 'host-key', reason: /CHANGED|has changed/i.test(stderr) ? 'the host key changed (known_hosts has another key)' : 'the host key is not known (OpenSSH refused it: StrictHostKeyChecking)', fix: hostKeyFix(destination)}
  }
  if (/Permission denied \(|Too many authentication failures|no mutual signature|Authentication failed/i.test(stderr)) {
    return {status: 'auth-failed', reason, fix: `check the key and user: ssh -v ${destination} true`}
  }
  if (/timed out|Connection timeout/i.test(stderr)) return {status: 'timeout', reason, fix: null}
  if (/Connection refused|No route to host|Could not resolve hostname|Name or service not known|Network is unreachable|Connection closed by|Connection reset|kex_exchange_identification|Broken pipe|banner exchange/i.test(stderr)) {
    return {status: 'unreachable', reason, fix: null}
  }
  return null
}

/** sudo -n's answer when it would need a password. */
export function isSudoPasswordMessage(text: string): boolean {
  return /a password is required|a terminal is required|no tty present|askpass/i.test(text)
}
