/**
 * The revert timer (SAFETY A7, finding 1): a process that outlives the CLI and the SSH session.
 * It is spawned detached (its own session via setsid, so a SIGHUP to the CLI's session or a
 * SIGKILL of the CLI never reaches it), with no stdio, and unref'd. It sleeps until the deadline,
 * then rolls the change back unless a confirm marker exists. `fix --confirm` ends it by its PID,
 * after checking /proc/PID/cmdline names this timer and this change.
 */
import {spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

/** What the apply needs from a timer; tests inject a fake that records the order of events. */
export interface RevertTimer {
  arm(changeId: string, deadline: Date): {pid: number}
  stop(pid: number, changeId: string): boolean
}

export const TIMER_MARK = 'dpdk-doctor-revert-timer'

/** The timer's entry script: the compiled .js beside this module (dist/src/fix), or the .ts under tsx. */
export function timerScript(): string {
  const js = fileURLToPath(new URL('./revert-timer-main.js', import.meta.url))
  return existsSync(js) ? js : fileURLToPath(new URL('./revert-timer-main.ts', import.meta.url))
}

/** Whether PID is the revert timer of this change (never signal a recycled PID). */
export function isTimerProcess(pid: number, changeId: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    return argv.includes(TIMER_MARK) && argv.includes(changeId)
  } catch {
    return false
  }
}

export const detachedTimer: RevertTimer = {
  arm(changeId, deadline) {
    const script = timerScript()
    const execArgv = script.endsWith('.ts') ? ['--import', 'tsx'] : []
    const child = spawn(process.execPath, [...execArgv, script, TIMER_MARK, changeId, String(deadline.getTime())], {
      detached: true, // setsid(): its own session and process group
      stdio: 'ignore',
      env: process.env,
      cwd: '/',
    })
    if (child.pid === undefined) throw new Error('could not start the revert timer')
    child.unref()
    return {pid: child.pid}
  },
  stop(pid, changeId) {
    if (!isTimerProcess(pid, changeId)) return false
    try {
      process.kill(pid, 'SIGTERM')
      return true
    } catch {
      return false
    }
  },
}
