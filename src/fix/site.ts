/**
 * The host side of a change: where fix keeps its lock, journal, audit log, confirm marker and
 * revert timer, and what it knows of the session it runs in (the protected set's SSH_CONNECTION).
 * applyPlan, confirm and rollback do every host-side effect through one FixSite: the local site
 * is this machine's files and the detached node timer; the remote site (remote-site.ts) is the
 * same files on another host, written over ssh, with a POSIX sh timer started there.
 */
import {existsSync} from 'node:fs'
import {appendAudit, currentUser} from './audit.js'
import type {AuditRecord} from './audit.js'
import {acquireLock} from './lock.js'
import type {LockInfo, LockOptions} from './lock.js'
import type {RevertTimer} from './revert-timer.js'
import {confirmMarker, latestOpenJournal, readJournal, writeDurably, writeJournal} from './state-files.js'
import type {StatePaths} from './state-files.js'
import type {AuditUser, Journal} from './types.js'

export interface SiteLock {
  info: LockInfo
  /** Set when a stale lock was taken over, for the report. */
  tookOver: LockInfo | null
  release(): Promise<void>
}

export interface FixSite {
  /** The host in the CLI's words: null for this machine, else the ssh destination. */
  host: string | null
  /** `--host X ` for the commands the messages suggest ('' here). */
  hostArgs: string
  paths: StatePaths
  lock(opts: LockOptions): Promise<SiteLock>
  writeJournal(journal: Journal): Promise<void>
  readJournal(id: string): Promise<Journal>
  /** The newest change not rolled back yet (includeClosed: the newest of all). */
  latestJournal(includeClosed?: boolean): Promise<Journal | null>
  journalPath(id: string): string
  audit(record: AuditRecord): Promise<void>
  writeConfirmMarker(id: string): Promise<void>
  isConfirmed(id: string): Promise<boolean>
  /** Arms the revert timer of a journaled change (the journal is written already); lockId: the apply's own lock. */
  armTimer(journal: Journal, deadline: Date, lockId: string): Promise<{pid: number}>
  stopTimer(pid: number, changeId: string): Promise<boolean>
  /** Who makes the change (journal and audit). */
  user(): AuditUser
  /** The environment the protected set reads SSH_CONNECTION from: the session as the host sees it. */
  sessionEnv(): Promise<NodeJS.ProcessEnv>
}

/** This machine: today's files under statePaths and the detached node timer. */
export function localSite(paths: StatePaths, timer: RevertTimer, env: NodeJS.ProcessEnv): FixSite {
  return {
    host: null,
    hostArgs: '',
    paths,
    async lock(opts) {
      const held = await acquireLock(paths.lockFile, opts)
      return {
        info: held.info,
        tookOver: held.tookOver,
        release: async () => held.release(),
      }
    },
    async writeJournal(journal) {
      writeJournal(paths, journal)
    },
    async readJournal(id) {
      return readJournal(paths, id)
    },
    async latestJournal(includeClosed = false) {
      return latestOpenJournal(paths, includeClosed)
    },
    journalPath: (id) => `${paths.journalDir}/${id}.json`,
    async audit(record) {
      appendAudit(paths, record, env)
    },
    async writeConfirmMarker(id) {
      writeDurably(confirmMarker(paths, id), `${new Date().toISOString()}\n`)
    },
    async isConfirmed(id) {
      return existsSync(confirmMarker(paths, id))
    },
    async armTimer(journal, deadline) {
      return timer.arm(journal.id, deadline)
    },
    async stopTimer(pid, changeId) {
      return timer.stop(pid, changeId)
    },
    user: () => currentUser(env),
    sessionEnv: async () => env,
  }
}
