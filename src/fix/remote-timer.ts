/**
 * The revert timer of a change on a remote host (fix --host X --apply): X runs no dpdk-doctor, so
 * the timer is a POSIX sh script generated here, written next to the journal on X and started
 * there in a session of its own (setsid, stdio on /dev/null), so a cut ssh or the CLI's SIGKILL
 * never reaches it. Every word from the journal goes through shQuote; the script's own text is
 * fixed. It sleeps to the deadline in short naps (a confirm marker ends it early), then takes the
 * lock on X (at once from the apply that armed it, which is dead or done by then; from any other
 * holder after a grace), and puts back everything the journal holds, as runRollback does (SAFETY
 * finding 3: deleting an address takes its routes along, so a step's inverse alone is not enough):
 * the addresses, the link settings, the inverses of the OVS steps newest first, then the routes,
 * default routes last, each only when a read-only `ip ... show` does not find it, with an
 * idempotent `replace` verb ("File exists" counts as put back). The outcome goes to `<id>.timer`
 * next to the journal and one line to the audit log.
 */
import {shQuote} from '../remote/ssh.js'
import {SYSTEM_PATH} from '../exec/runner.js'
import {addrReplaceArgv, ipArgv, linkArpArgv, linkUpArgv, routeFamily, routeReplaceArgv, stepEnv} from './ip-state.js'
import {TIMER_MARK} from './revert-timer.js'
import type {Journal} from './types.js'

export {TIMER_MARK}

/** The files of a change's timer on the host, next to its journal. */
export function timerFiles(journalDir: string, id: string) {
  return {
    script: `${journalDir}/${id}.revert.sh`,
    pid: `${journalDir}/${id}.timer-pid`,
    outcome: `${journalDir}/${id}.timer`,
    confirmed: `${journalDir}/${id}.confirmed`,
    closed: `${journalDir}/${id}.closed`,
  }
}

/** One restore command, and the read-only look that skips it when the thing is already there. */
export interface RestoreCommand {
  /** `have` (its stdout is not empty) or `hasaddr WORD` (a line holds " WORD "); null: always run. */
  check: {argv: string[]; word: string | null} | null
  argv: string[]
}

/**
 * The commands that put the journal's prior state back, in runRollback's order, each only when
 * what it restores is missing (a `replace` of a route that is there can move another device's
 * route of the same prefix: seen with fe80::/64 on a veth pair).
 */
export function restoreCommands(journal: Journal): RestoreCommand[] {
  const netns = journal.host.netns
  const out: RestoreCommand[] = []
  for (const dev of journal.prior.devices) {
    for (const a of dev.addresses) {
      if (a.family === 'inet6' && a.scope === 'link') continue // the kernel's own
      const host = `${a.local}/${a.family === 'inet6' ? 128 : 32}`
      out.push({check: {argv: ipArgv(netns, '-o', 'addr', 'show', 'dev', dev.ifname, 'to', host), word: `${a.local}/${a.prefixlen}`}, argv: addrReplaceArgv(netns, dev.ifname, a)})
    }
    out.push({check: null, argv: linkArpArgv(netns, dev.ifname, !dev.flags.includes('NOARP'))})
    if (dev.flags.includes('UP')) out.push({check: null, argv: linkUpArgv(netns, dev.ifname, true)})
  }
  // OVS steps that may have run, newest first (the inverse of one that never ran sets the value it has).
  for (const step of [...journal.steps].reverse()) {
    if (step.kind !== 'ovs-set' || step.status === 'already-done' || !step.inverseArgv) continue
    const env = stepEnv(step.inverseArgv, journal.host.ovsRundir)
    out.push({check: null, argv: env ? ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...step.inverseArgv] : step.inverseArgv})
  }
  const routes = [...journal.prior.routes].sort((a, b) => Number(a.dst === 'default') - Number(b.dst === 'default'))
  for (const r of routes) {
    const show = ipArgv(netns, ...(routeFamily(r) === 'inet6' ? ['-6'] : []), 'route', 'show', 'table', r.table ?? 'main', 'exact', r.dst,
      ...(r.type && r.type !== 'unicast' ? ['type', r.type] : []), ...(r.dev ? ['dev', r.dev] : []), ...(r.gateway ? ['via', r.gateway] : []))
    out.push({check: {argv: show, word: null}, argv: routeReplaceArgv(netns, r)})
  }
  return out
}

export interface TimerScriptOptions {
  journal: Journal
  journalDir: string
  lockFile: string
  auditFile: string
  /** Seconds from the start to the deadline, on the host's own clock. */
  seconds: number
  /** The lock id of the apply that armed it: taken over at once at the deadline. */
  applyLockId: string
  /** Seconds to wait for any other holder of the lock before taking it over. */
  graceSeconds?: number
  /** Longest nap between two looks at the confirm marker. */
  napSeconds?: number
  /** PATH of the script (tests put stubs first); default the runner's fixed PATH. */
  path?: string
}

const q = shQuote

/** The timer's sh text: run as `sh FILE dpdk-doctor-revert-timer ID` (the words /proc/PID/cmdline is checked for). */
export function revertTimerScript(o: TimerScriptOptions): string {
  const id = o.journal.id
  const f = timerFiles(o.journalDir, id)
  const seconds = Math.max(0, Math.ceil(o.seconds))
  const restore = restoreCommands(o.journal).map(({check, argv}) => {
    const run = `r ${argv.map(q).join(' ')}`
    if (!check) return run
    const look = check.word === null ? `have ${check.argv.map(q).join(' ')}` : `hasaddr ${q(check.word)} ${check.argv.map(q).join(' ')}`
    return `${look} || ${run}`
  })
  return `# dpdk-doctor revert timer of change ${id} (generated: every word is quoted; run by setsid sh FILE ${TIMER_MARK} ${id})
PATH=${q(o.path ?? SYSTEM_PATH)}; LC_ALL=C; LANG=C; export PATH LC_ALL LANG
umask 077
trap '' HUP
nap=
trap 'if [ -n "$nap" ]; then kill "$nap" 2>/dev/null; fi; exit 0' TERM INT
id=${q(id)}
lock=${q(o.lockFile)}
audit=${q(o.auditFile)}
outcome=${q(f.outcome)}
pidfile=${q(f.pid)}
applylock=${q(`"lockId":"${o.applyLockId}"`)}
echo $$ > "$pidfile.tmp" && mv -f "$pidfile.tmp" "$pidfile"
settled() { [ -e ${q(f.confirmed)} ] || [ -e ${q(f.closed)} ] || [ -e "$outcome" ]; }
# Ended by a marker: said in the outcome file (before the pid file goes), so a stop that finds the process gone knows.
quit() { [ -e "$outcome" ] || printf 'status settled\\n' > "$outcome"; rm -f "$pidfile"; exit 0; }
end=$(( $(date +%s) + ${seconds} ))
while :; do
  now=$(date +%s)
  [ "$now" -ge "$end" ] && break
  settled && quit
  left=$(( end - now )); [ "$left" -gt ${o.napSeconds ?? 2} ] && left=${o.napSeconds ?? 2}
  sleep "$left" & nap=$!; wait "$nap"; nap=
done
settled && quit
host=$(tr -cd 'A-Za-z0-9._-' < /proc/sys/kernel/hostname 2>/dev/null)
me="timer-$$"
own="$lock.$me.new"
waited=0
while :; do
  printf '{"lockId":"%s","pid":%s,"user":"root","host":"%s","startedAt":"%s","command":"revert-timer","changeId":"%s"}\\n' "$me" "$$" "$host" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$id" > "$own"
  if ln "$own" "$lock" 2>/dev/null; then rm -f "$own"; break; fi
  rm -f "$own"
  holder=$(cat "$lock" 2>/dev/null)
  take=0
  case $holder in *"$applylock"*) take=1 ;; esac
  [ "$waited" -ge ${o.graceSeconds ?? 120} ] && take=1
  if [ "$take" = 1 ]; then mv -f "$lock" "$lock.stale-$me" 2>/dev/null && rm -f "$lock.stale-$me"; continue; fi
  sleep 1; waited=$(( waited + 1 ))
done
if settled; then
  grep -qF "\\"lockId\\":\\"$me\\"" "$lock" 2>/dev/null && rm -f "$lock"
  quit
fi
fail=0
: > "$outcome.tmp"
have() { [ -n "$("$@" 2>/dev/null </dev/null)" ]; }
hasaddr() { w=$1; shift; "$@" 2>/dev/null </dev/null | grep -qF -- " $w "; }
r() {
  o=$("$@" 2>&1 </dev/null); rc=$?
  if [ "$rc" -ne 0 ]; then case $o in *'File exists'*) rc=0 ;; esac; fi
  [ "$rc" -eq 0 ] || fail=1
  printf 'cmd %s %s\\n' "$rc" "$(printf '%s' "$o" | head -n 1 | tr -cd '[:print:]')" >> "$outcome.tmp"
  printf 'argv %s\\n' "$*" | tr -cd '[:print:]\\n' >> "$outcome.tmp"
}
${restore.join('\n')}
status=reverted; [ "$fail" = 0 ] || status=revert-failed
at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
printf 'status %s\\nat %s\\n' "$status" "$at" >> "$outcome.tmp"
{ sync "$outcome.tmp" 2>/dev/null || sync; } && mv -f "$outcome.tmp" "$outcome"
code=0; [ "$status" = reverted ] || code=14
printf '{"ts":"%s","pid":%s,"by":{"revertTimer":true,"host":"%s"},"kind":"result","action":"rollback","changeId":"%s","outcome":"%s","exitCode":%s,"detail":{"by":"revert-timer"}}\\n' "$at" "$$" "$host" "$id" "$status" "$code" >> "$audit"
{ sync "$audit" 2>/dev/null || sync; }
grep -qF "\\"lockId\\":\\"$me\\"" "$lock" 2>/dev/null && rm -f "$lock"
rm -f "$pidfile"
exit "$code"
`
}

/** What the timer left in `<id>.timer`: null when it has not run (or the file is not its). */
export function parseTimerOutcome(text: string): NonNullable<Journal['revertedByTimer']> | null {
  const lines = text.split('\n')
  const status = lines.find((l) => l.startsWith('status '))?.slice(7).trim()
  if (status !== 'reverted' && status !== 'revert-failed') return null
  const at = lines.find((l) => l.startsWith('at '))?.slice(3).trim() ?? null
  const commands: Array<{exitCode: number; argv: string; stderr: string | null}> = []
  for (let i = 0; i < lines.length; i++) {
    const m = /^cmd (\d+) ?(.*)$/.exec(lines[i]!)
    if (!m) continue
    const argv = lines[i + 1]?.startsWith('argv ') ? lines[i + 1]!.slice(5) : ''
    commands.push({exitCode: Number(m[1]), argv, stderr: m[2] ? m[2] : null})
  }
  return {status, at, commands}
}
