/**
 * The FixSite of `fix --host X`: the lock, journal, audit log, confirm marker and revert timer of a
 * change live on X itself, in the same files a local fix uses there (statePaths: the defaults, or
 * DPDK_DOCTOR_STATE_DIR's layout when DPDK_DOCTOR_REMOTE_STATE_DIR names a directory on X). X needs
 * no agent: each effect is one fixed POSIX sh script run over the RemoteRunner (`sudo -n` when not
 * root), its variable words passed as positional arguments (quoted for the remote shell by the
 * runner), file contents over stdin. The timer is remote-timer.ts's sh script, started with setsid.
 */
import {randomBytes} from 'node:crypto'
import {hostname} from 'node:os'
import {Readable} from 'node:stream'
import {DoctorError, EXIT} from '../errors.js'
import type {RunResult} from '../exec/runner.js'
import type {RemoteRunner} from '../remote/ssh.js'
import {sleep} from '../util/sleep.js'
import {currentUser} from './audit.js'
import type {AuditRecord} from './audit.js'
import type {LockInfo, LockOptions} from './lock.js'
import {pidAlive} from './lock.js'
import {parseTimerOutcome, revertTimerScript, TIMER_MARK, timerFiles} from './remote-timer.js'
import type {FixSite, SiteLock} from './site.js'
import {assertChangeId, statePaths} from './state-files.js'
import type {StatePaths} from './state-files.js'
import {FIX_EXIT} from './types.js'
import type {AuditUser, Journal} from './types.js'

// Fixed scripts: nothing is interpolated; "$1".. are the runner-quoted arguments.
const SCRIPTS = {
  session: `printf 'ssh=%s\\n' "$SSH_CONNECTION"; printf 'hostname=%s\\n' "$(cat /proc/sys/kernel/hostname 2>/dev/null)"; if command -v setsid >/dev/null 2>&1; then echo setsid=yes; fi`,
  write: `umask 077; f=$1; d=\${f%/*}; mkdir -p "$d" || exit 1; t="$f.tmp.$$"; cat > "$t" || exit 1; { sync "$t" 2>/dev/null || sync; }; chmod 600 "$t" && mv -f "$t" "$f" || exit 1; { sync "$d" 2>/dev/null || sync; }`,
  append: `umask 077; f=$1; d=\${f%/*}; mkdir -p "$d" || exit 1; cat >> "$f" || exit 1; { sync "$f" 2>/dev/null || sync; }; chmod 600 "$f"`,
  exists: `[ -e "$1" ]`,
  readJournal: `[ -e "$1" ] || exit 3; cat -- "$1" || exit 1; printf '\\000'; if [ -e "$2" ]; then cat -- "$2"; fi; exit 0`,
  list: `for f in "$1"/*.json; do [ -e "$f" ] || continue; cat -- "$f"; printf '\\000'; o="\${f%.json}.timer"; if [ -e "$o" ]; then cat -- "$o"; fi; printf '\\000'; done; exit 0`,
  lock: `umask 077; lock=$1; own=$2; mkdir -p "\${lock%/*}" || exit 1; cat > "$own" || exit 1; if ln "$own" "$lock" 2>/dev/null; then rm -f "$own"; echo acquired; else rm -f "$own"; echo held; cat "$lock" 2>/dev/null; fi; exit 0`,
  takeOver: `lock=$1; want=$2; aside="$lock.stale-$want-$$"; mv -f "$lock" "$aside" 2>/dev/null || exit 1; if grep -qF "\\"lockId\\":\\"$want\\"" "$aside"; then rm -f "$aside"; else mv -f "$aside" "$lock"; exit 1; fi`,
  release: `grep -qF "\\"lockId\\":\\"$2\\"" "$1" 2>/dev/null && rm -f "$1"; exit 0`,
  arm: `umask 077; dir=$1; script=$2; pidfile=$3; mark=$4; id=$5; mkdir -p "$dir" || exit 1
command -v setsid >/dev/null 2>&1 || { echo 'setsid is not installed' >&2; exit 4; }
cat > "$script" || exit 1; { sync "$script" 2>/dev/null || sync; }; rm -f "$pidfile"
setsid sh "$script" "$mark" "$id" </dev/null >/dev/null 2>&1 &
i=0; while [ ! -s "$pidfile" ]; do i=$((i+1)); if [ "$i" -gt 150 ]; then echo 'the timer did not start' >&2; exit 5; fi; sleep 0.1; done
cat "$pidfile"`,
  // The timer also ends by itself on a marker (confirm writes one first), saying so in its outcome
  // file: that is stopped too.
  stop: `pid=$1; mark=$2; id=$3; closed=$4; outcome=$5; umask 077; : > "$closed"
ours() { [ -r "/proc/$pid/cmdline" ] || return 1; c=$(tr '\\000' '\\n' < "/proc/$pid/cmdline"); printf '%s\\n' "$c" | grep -qxF -- "$mark" && printf '%s\\n' "$c" | grep -qxF -- "$id"; }
if ours && kill -TERM "$pid" 2>/dev/null; then echo stopped; exit 0; fi
ours && exit 1; grep -qx 'status settled' "$outcome" 2>/dev/null || exit 1; echo ended`,
} as const

export interface RemoteSession {
  /** SSH_CONNECTION as the remote shell sees it (our own session, for the protected set). */
  sshConnection: string | null
  hostname: string | null
  setsid: boolean
}

/** X's state paths: DPDK_DOCTOR_REMOTE_STATE_DIR (a directory on X, in DPDK_DOCTOR_STATE_DIR's layout), else the defaults. */
export function remoteStatePaths(env: NodeJS.ProcessEnv): StatePaths {
  const dir = env.DPDK_DOCTOR_REMOTE_STATE_DIR
  if (dir !== undefined && !/^\/[A-Za-z0-9_./-]*$/.test(dir)) throw new DoctorError('E_USAGE', `refusing DPDK_DOCTOR_REMOTE_STATE_DIR=${JSON.stringify(dir)}: an absolute path of letters, digits, ".", "_", "-" and "/"`)
  return statePaths(dir ? {DPDK_DOCTOR_STATE_DIR: dir} : {})
}

export class RemoteSite implements FixSite {
  readonly hostArgs: string

  constructor(
    private readonly runner: RemoteRunner,
    readonly host: string,
    readonly paths: StatePaths,
    readonly session: RemoteSession,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.hostArgs = `--host ${host} `
  }

  /** Reads what the site needs of the session (one ssh, not under sudo: sudo's env_reset drops SSH_CONNECTION). */
  static async open(runner: RemoteRunner, host: string, paths: StatePaths, env: NodeJS.ProcessEnv = process.env): Promise<RemoteSite> {
    const r = await runner.run({argv: ['sh', '-c', SCRIPTS.session], timeoutMs: 30_000, raw: true})
    if (r.exitCode !== 0) throw hostError(host, 'could not read the ssh session', r)
    const field = (k: string) => r.stdout.split('\n').find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1).trim() || null
    return new RemoteSite(runner, host, paths, {sshConnection: field('ssh'), hostname: field('hostname'), setsid: field('setsid') === 'yes'}, env)
  }

  private async sh(script: string, args: string[], input?: string, timeoutMs = 30_000): Promise<RunResult> {
    return this.runner.run({argv: ['sh', '-c', script, 'sh', ...args], timeoutMs, ...(input !== undefined ? {stdin: Readable.from([input])} : {})})
  }

  private async must(what: string, script: string, args: string[], input?: string): Promise<RunResult> {
    const r = await this.sh(script, args, input)
    if (r.exitCode !== 0) throw hostError(this.host, what, r)
    return r
  }

  async lock(opts: LockOptions): Promise<SiteLock> {
    const info: LockInfo = {
      lockId: randomBytes(4).toString('hex'), pid: process.pid, user: opts.user ?? null, startedAt: new Date().toISOString(),
      command: opts.command, changeId: opts.changeId ?? null, host: hostname(),
    }
    const file = this.paths.lockFile
    const deadline = Date.now() + (opts.waitMs ?? 0)
    let tookOver: LockInfo | null = null
    for (;;) {
      const r = await this.must(`could not take the lock ${file}`, SCRIPTS.lock, [file, `${file}.${info.lockId}.new`], JSON.stringify(info) + '\n')
      const [first, ...rest] = r.stdout.split('\n')
      if (first === 'acquired') break
      let holder: LockInfo | null = null
      try {
        holder = JSON.parse(rest.join('\n')) as LockInfo
      } catch {
        holder = null
      }
      if (holder && opts.forceUnlock && opts.forceUnlock === holder.lockId) {
        const t = await this.sh(SCRIPTS.takeOver, [file, holder.lockId])
        if (t.exitCode === 0) tookOver = holder
        continue
      }
      // A holder on this machine can be checked; one on another machine (or X's timer) cannot, and counts as running.
      if (holder && holder.host === hostname() && holder.command !== 'revert-timer' && !pidAlive(holder.pid)) {
        throw new DoctorError('E_LOCK_STALE', `a stale lock ${this.host}:${file} is left by pid ${holder.pid} on ${holder.host} (${holder.command}, ${holder.user ?? 'unknown user'}, since ${holder.startedAt}), which is no longer running`, {
          exit: FIX_EXIT.LOCKED,
          suggestions: [`If no dpdk-doctor fix is running against ${this.host}, take it over with --force-unlock ${holder.lockId}`, holder.changeId ? `Check change ${holder.changeId}: dpdk-doctor fix --host ${this.host} --rollback ${holder.changeId}` : `Check the journal directory ${this.host}:${this.paths.journalDir}.`],
        })
      }
      if (Date.now() >= deadline) {
        const who = holder
          ? `pid ${holder.pid} on ${holder.host ?? 'an unknown host'} (${holder.command}${holder.changeId ? ` ${holder.changeId}` : ''}, ${holder.user ?? 'unknown user'}, since ${holder.startedAt}, lock ${holder.lockId})`
          : 'another process'
        throw new DoctorError('E_LOCKED', `another dpdk-doctor fix is running on ${this.host}: ${who}`, {
          exit: FIX_EXIT.LOCKED, suggestions: ['Wait for it to finish, then run the command again.', ...(holder ? [`If it is gone for good: --force-unlock ${holder.lockId}`] : [])],
        })
      }
      await sleep(500)
    }
    let released = false
    return {
      info,
      tookOver,
      release: async () => {
        if (released) return
        released = true
        // A host that stopped answering keeps the lock: --force-unlock with the id the next run names.
        await this.sh(SCRIPTS.release, [file, info.lockId]).catch(() => undefined)
      },
    }
  }

  journalPath(id: string): string {
    return `${this.host}:${this.paths.journalDir}/${assertChangeId(id)}.json`
  }

  private file(id: string): string {
    return `${this.paths.journalDir}/${assertChangeId(id)}.json`
  }

  async writeJournal(journal: Journal): Promise<void> {
    journal.updatedAt = new Date().toISOString()
    await this.must(`could not write the journal ${this.file(journal.id)}`, SCRIPTS.write, [this.file(journal.id)], JSON.stringify(journal, null, 2) + '\n')
  }

  async readJournal(id: string): Promise<Journal> {
    const r = await this.sh(SCRIPTS.readJournal, [this.file(id), timerFiles(this.paths.journalDir, id).outcome])
    if (r.exitCode === 3) throw new DoctorError('E_NO_JOURNAL', `no journal for change ${id} in ${this.host}:${this.paths.journalDir}`, {suggestions: [`List the changes: ssh ${this.host} ls ${this.paths.journalDir}`]})
    if (r.exitCode !== 0) throw hostError(this.host, `could not read the journal of ${id}`, r)
    const [json = '', outcome = ''] = r.stdout.split('\0')
    return withTimerOutcome(parseJournal(id, json), outcome)
  }

  async latestJournal(includeClosed = false): Promise<Journal | null> {
    const r = await this.must('could not list the journals', SCRIPTS.list, [this.paths.journalDir])
    const parts = r.stdout.split('\0')
    const journals: Journal[] = []
    for (let i = 0; i + 1 < parts.length; i += 2) {
      try {
        journals.push(withTimerOutcome(JSON.parse(parts[i]!) as Journal, parts[i + 1] ?? ''))
      } catch {
        // Not a journal: skipped, as the local listing does.
      }
    }
    return journals.filter((j) => includeClosed || (j.status !== 'rolled-back' && j.status !== 'reverted-after-failure')).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0] ?? null
  }

  async audit(record: AuditRecord): Promise<void> {
    const line = JSON.stringify({ts: new Date().toISOString(), pid: process.pid, host: hostname(), by: this.user(), remote: {host: this.host, sudo: this.runner.identity.sudo}, invokedAs: process.argv.slice(2), ...record}) + '\n'
    await this.must(`could not append to the audit log ${this.paths.auditFile}`, SCRIPTS.append, [this.paths.auditFile], line)
  }

  async writeConfirmMarker(id: string): Promise<void> {
    await this.must('could not write the confirm marker', SCRIPTS.write, [timerFiles(this.paths.journalDir, assertChangeId(id)).confirmed], `${new Date().toISOString()}\n`)
  }

  async isConfirmed(id: string): Promise<boolean> {
    return (await this.sh(SCRIPTS.exists, [timerFiles(this.paths.journalDir, assertChangeId(id)).confirmed])).exitCode === 0
  }

  async armTimer(journal: Journal, deadline: Date, lockId: string): Promise<{pid: number}> {
    if (!this.session.setsid) throw new DoctorError('E_HOST', `${this.host}: setsid is not installed, so no revert timer can outlive the ssh session; nothing was changed`, {exit: EXIT.UNKNOWN, suggestions: ['Install util-linux on the host.']})
    const f = timerFiles(this.paths.journalDir, journal.id)
    const script = revertTimerScript({journal, journalDir: this.paths.journalDir, lockFile: this.paths.lockFile, auditFile: this.paths.auditFile, seconds: (deadline.getTime() - Date.now()) / 1000, applyLockId: lockId})
    const r = await this.must('could not start the revert timer', SCRIPTS.arm, [this.paths.journalDir, f.script, f.pid, TIMER_MARK, journal.id], script)
    const pid = Number(r.stdout.trim())
    if (!Number.isSafeInteger(pid) || pid <= 1) throw new DoctorError('E_HOST', `${this.host}: the revert timer gave no pid (${JSON.stringify(r.stdout.trim())}); nothing was changed`, {exit: EXIT.UNKNOWN})
    return {pid}
  }

  async stopTimer(pid: number, changeId: string): Promise<boolean> {
    if (!Number.isSafeInteger(pid) || pid <= 1) return false
    const f = timerFiles(this.paths.journalDir, assertChangeId(changeId))
    const r = await this.sh(SCRIPTS.stop, [String(pid), TIMER_MARK, changeId, f.closed, f.outcome])
    return r.exitCode === 0 && /^(stopped|ended)$/m.test(r.stdout)
  }

  user(): AuditUser {
    return {...currentUser(this.env), sshConnection: this.session.sshConnection}
  }

  async sessionEnv(): Promise<NodeJS.ProcessEnv> {
    return this.session.sshConnection ? {SSH_CONNECTION: this.session.sshConnection} : {}
  }
}

function parseJournal(id: string, text: string): Journal {
  try {
    return JSON.parse(text) as Journal
  } catch (error) {
    throw new DoctorError('E_BAD_JOURNAL', `the journal of ${id} is not valid JSON: ${(error as Error).message}`)
  }
}

/** The timer's outcome file, read with the journal: a change the timer reverted reads as rolled back. */
export function withTimerOutcome(journal: Journal, outcomeText: string): Journal {
  const outcome = outcomeText ? parseTimerOutcome(outcomeText) : null
  if (!outcome) return journal
  const open = journal.status === 'applied' || journal.status === 'in-progress'
  return {...journal, revertedByTimer: outcome, status: open ? (outcome.status === 'reverted' ? 'rolled-back' : 'rollback-failed') : journal.status}
}

/** A remote effect that failed: the ssh failure when it is one, else the command's own words (exit 3, E_HOST). */
function hostError(host: string, what: string, r: RunResult): DoctorError {
  const why = r.error ?? (r.timedOut ? 'no answer in time' : r.stderr.trim().split('\n')[0] || `exit ${r.exitCode ?? r.signal}`)
  return new DoctorError('E_HOST', `${host}: ${what}: ${why}`, {exit: EXIT.UNKNOWN})
}
