/**
 * The revert timer process: `node revert-timer-main.js dpdk-doctor-revert-timer <change-id> <deadline-ms>`.
 * Started detached by `fix --apply`; sleeps until the deadline, then rolls the change back unless
 * it was confirmed. Survives the CLI's SIGKILL and the session's SIGHUP.
 */
import {existsSync} from 'node:fs'
import {rollbackChange} from './service.js'
import {confirmMarker, statePaths} from './state-files.js'
import {TIMER_MARK} from './revert-timer.js'

process.on('SIGHUP', () => {}) // not ours: the session that started us may end

async function main(): Promise<number> {
  const [mark, changeId, deadlineText] = process.argv.slice(2)
  if (mark !== TIMER_MARK || !changeId || !deadlineText) return 2
  const deadline = Number(deadlineText)
  while (Date.now() < deadline) await new Promise((r) => setTimeout(r, Math.min(deadline - Date.now(), 60_000)))
  const paths = statePaths()
  if (existsSync(confirmMarker(paths, changeId))) return 0
  const result = await rollbackChange({changeId, by: 'revert-timer'})
  return result.exitCode
}

main().then(
  (code) => process.exit(code),
  () => process.exit(14),
)
