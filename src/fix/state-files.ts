/**
 * Where fix keeps its state: the journal (one fsync'd JSON file per change, 0600), the lock and
 * the audit log. DPDK_DOCTOR_STATE_DIR puts all three under one directory (tests, unusual hosts).
 */
import {chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {DoctorError} from '../errors.js'
import type {Journal} from './types.js'

export interface StatePaths {
  journalDir: string
  lockFile: string
  auditFile: string
}

export function statePaths(env: NodeJS.ProcessEnv = process.env): StatePaths {
  const dir = env.DPDK_DOCTOR_STATE_DIR
  if (dir) return {journalDir: join(dir, 'journal'), lockFile: join(dir, 'dpdk-doctor.lock'), auditFile: join(dir, 'audit.jsonl')}
  return {journalDir: '/var/lib/dpdk-doctor/journal', lockFile: '/run/dpdk-doctor.lock', auditFile: '/var/log/dpdk-doctor/audit.jsonl'}
}

const ID = /^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$/

export function assertChangeId(id: string): string {
  if (!ID.test(id)) throw new DoctorError('E_USAGE', `not a change id: ${JSON.stringify(id)}`, {suggestions: ['Use the id `fix --apply` printed (also in the journal directory).']})
  return id
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch {
    // Some filesystems refuse to fsync a directory; the file itself is synced.
  }
}

/** Writes a file atomically and durably: temp file (0600) in the same directory, fsync, rename, fsync the directory. */
export function writeDurably(path: string, content: string, mode = 0o600): void {
  mkdirSync(dirname(path), {recursive: true, mode: 0o700})
  const tmp = `${path}.${process.pid}.tmp`
  const fd = openSync(tmp, 'w', mode)
  try {
    writeSync(fd, content)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  chmodSync(tmp, mode) // the umask may have narrowed it
  renameSync(tmp, path)
  fsyncDir(dirname(path))
}

export const journalFile = (paths: StatePaths, id: string) => join(paths.journalDir, `${assertChangeId(id)}.json`)
export const confirmMarker = (paths: StatePaths, id: string) => join(paths.journalDir, `${assertChangeId(id)}.confirmed`)

export function writeJournal(paths: StatePaths, journal: Journal): void {
  journal.updatedAt = new Date().toISOString()
  writeDurably(journalFile(paths, journal.id), JSON.stringify(journal, null, 2) + '\n')
}

export function readJournal(paths: StatePaths, id: string): Journal {
  let text: string
  try {
    text = readFileSync(journalFile(paths, id), 'utf8')
  } catch {
    throw new DoctorError('E_NO_JOURNAL', `no journal for change ${id} in ${paths.journalDir}`, {suggestions: ['List the changes: ls ' + paths.journalDir]})
  }
  try {
    return JSON.parse(text) as Journal
  } catch (error) {
    throw new DoctorError('E_BAD_JOURNAL', `the journal of ${id} is not valid JSON: ${(error as Error).message}`)
  }
}

/** The newest change that is not rolled back yet (fix --rollback without an id). */
export function latestOpenJournal(paths: StatePaths, includeClosed = false): Journal | null {
  let files: string[]
  try {
    files = readdirSync(paths.journalDir).filter((f) => f.endsWith('.json'))
  } catch {
    return null
  }
  const journals = files.flatMap((f) => {
    try {
      return [JSON.parse(readFileSync(join(paths.journalDir, f), 'utf8')) as Journal]
    } catch {
      return []
    }
  })
  return journals.filter((j) => includeClosed || (j.status !== 'rolled-back' && j.status !== 'reverted-after-failure')).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0] ?? null
}
