/**
 * One apply, confirm or rollback at a time (SAFETY A11): a lock file, created with its content in
 * one step, holding the holder's pid, user, start time and command. A live holder -> refused (or
 * waited for); a dead holder -> a stale lock, reported, and taken over only with `--force-unlock
 * <lock-id>` (the exact id, Terraform's model) or by the revert timer, whose job is to recover
 * from a dead CLI.
 */
import {randomBytes} from 'node:crypto'
import {closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync} from 'node:fs'
import {dirname} from 'node:path'
import {DoctorError} from '../errors.js'
import {sleep} from '../util/sleep.js'
import {FIX_EXIT} from './types.js'

export interface LockInfo {
  lockId: string
  pid: number
  user: string | null
  startedAt: string
  command: string
  changeId: string | null
  /** The machine of the holder, for a lock on another host (fix --host X: the CLI's host; X's for its timer). */
  host?: string
}

export interface LockOptions {
  command: string
  changeId?: string | null
  user?: string | null
  /** Wait this long for a live holder to finish (0: fail fast). */
  waitMs?: number
  /** Take over a lock whose holder is dead (the revert timer). */
  takeOverStale?: boolean
  /** Take over a stale lock with exactly this id (--force-unlock). */
  forceUnlock?: string | null
}

export interface HeldLock {
  info: LockInfo
  /** Set when a stale lock was taken over, for the report. */
  tookOver: LockInfo | null
  release(): void
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readLock(path: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockInfo
  } catch {
    return null
  }
}

/**
 * Creates the lock with its content in one step: written to a file of our own, then hard-linked to
 * the lock's name (link fails if the name exists). An exclusive create followed by a write left a
 * moment when a second fix read an empty lock and could only say "another process" (1 of 5 lab
 * runs of the two-applies test).
 */
function tryCreate(path: string, info: LockInfo): boolean {
  const own = `${path}.${info.lockId}.new`
  const fd = openSync(own, 'wx', 0o600)
  try {
    writeSync(fd, JSON.stringify(info) + '\n')
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  try {
    linkSync(own, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    rmSync(own, {force: true})
  }
}

/** Moves a stale lock aside atomically: of two that try, only one rename succeeds. */
function removeStale(path: string, stale: LockInfo): boolean {
  const aside = `${path}.stale-${stale.lockId}-${randomBytes(3).toString('hex')}`
  try {
    renameSync(path, aside)
  } catch {
    return false
  }
  const moved = readLock(aside)
  if (moved?.lockId !== stale.lockId) {
    // Someone replaced it between our read and the rename: put theirs back.
    try {
      renameSync(aside, path)
    } catch {
      // Lost the race entirely; nothing of ours to undo.
    }
    return false
  }
  rmSync(aside, {force: true})
  return true
}


export async function acquireLock(path: string, opts: LockOptions): Promise<HeldLock> {
  mkdirSync(dirname(path), {recursive: true, mode: 0o755})
  const info: LockInfo = {
    lockId: randomBytes(4).toString('hex'), pid: process.pid, user: opts.user ?? null, startedAt: new Date().toISOString(),
    command: opts.command, changeId: opts.changeId ?? null,
  }
  const deadline = Date.now() + (opts.waitMs ?? 0)
  let tookOver: LockInfo | null = null
  for (;;) {
    if (tryCreate(path, info)) break
    const holder = readLock(path)
    if (holder && !pidAlive(holder.pid)) {
      if (opts.takeOverStale || (opts.forceUnlock && opts.forceUnlock === holder.lockId)) {
        if (removeStale(path, holder)) tookOver = holder
        continue
      }
      throw new DoctorError('E_LOCK_STALE', `a stale lock ${path} is left by pid ${holder.pid} (${holder.command}, ${holder.user ?? 'unknown user'}, since ${holder.startedAt}), which is no longer running`, {
        exit: FIX_EXIT.LOCKED,
        suggestions: [`If no dpdk-doctor fix is running, take it over with --force-unlock ${holder.lockId}`, holder.changeId ? `Check change ${holder.changeId}: dpdk-doctor fix --rollback ${holder.changeId}` : 'Check the journal directory for an unfinished change.'],
      })
    }
    if (Date.now() >= deadline) {
      const who = holder ? `pid ${holder.pid} (${holder.command}${holder.changeId ? ` ${holder.changeId}` : ''}, ${holder.user ?? 'unknown user'}, since ${holder.startedAt}, lock ${holder.lockId})` : 'another process'
      throw new DoctorError('E_LOCKED', `another dpdk-doctor fix is running: ${who}`, {exit: FIX_EXIT.LOCKED, suggestions: ['Wait for it to finish, then run the command again.']})
    }
    await sleep(100)
  }
  let released = false
  return {
    info,
    tookOver,
    release() {
      if (released) return
      released = true
      if (readLock(path)?.lockId === info.lockId) {
        try {
          unlinkSync(path)
        } catch {
          // Already gone.
        }
      }
    },
  }
}
