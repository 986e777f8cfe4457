/**
 * The audit log (SAFETY D29): one JSON line per intent and per result of every apply, confirm and
 * rollback, appended (O_APPEND) to a 0600 file and synced: who, what argv, exit code, fingerprints.
 */
import {chmodSync, closeSync, fsyncSync, mkdirSync, openSync, writeSync} from 'node:fs'
import {dirname} from 'node:path'
import {userInfo} from 'node:os'
import type {StatePaths} from './state-files.js'
import type {AuditUser} from './types.js'

export interface AuditRecord {
  kind: 'intent' | 'result'
  action: 'apply' | 'confirm' | 'rollback'
  changeId: string | null
  planId?: string | null
  argv?: string[][]
  outcome?: string
  exitCode?: number | null
  fingerprintBefore?: string | null
  fingerprintAfter?: string | null
  detail?: unknown
}

export function currentUser(env: NodeJS.ProcessEnv = process.env): AuditUser {
  let user: string | null = env.USER ?? null
  try {
    user = userInfo().username
  } catch {
    // No passwd entry (containers): keep $USER.
  }
  return {uid: typeof process.getuid === 'function' ? process.getuid() : null, user, sudoUser: env.SUDO_USER ?? null, sshConnection: env.SSH_CONNECTION ?? null}
}

export function appendAudit(paths: StatePaths, record: AuditRecord, env: NodeJS.ProcessEnv = process.env): void {
  mkdirSync(dirname(paths.auditFile), {recursive: true, mode: 0o700})
  const line = JSON.stringify({ts: new Date().toISOString(), pid: process.pid, by: currentUser(env), invokedAs: process.argv.slice(2), ...record}) + '\n'
  const fd = openSync(paths.auditFile, 'a', 0o600)
  try {
    writeSync(fd, line)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  // A file created before with a looser mode is tightened.
  chmodSync(paths.auditFile, 0o600)
}
