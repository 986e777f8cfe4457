/**
 * The first contact with a host: can ssh log in, who are we there, may we sudo without a
 * password, are the tools there, and how far is its clock from ours (from the ssh round trip).
 * It also opens the control master the host's other ssh runs share.
 */
import type {Runner} from '../exec/runner.js'
import {classifySshFailure, isSudoPasswordMessage, RemoteRunner} from './ssh.js'
import type {HostFailure, SshSettings} from './ssh.js'

/** Tools a host must have for a diagnosis (the rest are optional sources). */
export const REQUIRED_TOOLS = ['ovs-vsctl', 'ovs-appctl', 'ip'] as const
const OPTIONAL_TOOLS = ['ovs-ofctl', 'ethtool', 'dpdk-devbind.py']

// Fixed text: nothing of ours is interpolated; PATH is the local runner's fixed one.
const PROBE_SCRIPT = `PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH
echo "uid=$(id -u)"
echo "user=$(id -un 2>/dev/null)"
echo "hostname=$(cat /proc/sys/kernel/hostname 2>/dev/null)"
echo "kernel=$(uname -r 2>/dev/null)"
echo "machine-id=$(cat /etc/machine-id 2>/dev/null)"
for t in ${[...REQUIRED_TOOLS, ...OPTIONAL_TOOLS].join(' ')}; do if command -v "$t" >/dev/null 2>&1; then echo "tool=$t"; fi; done
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    if m=$(sudo -n true 2>&1 </dev/null); then echo "sudo=ok"; else echo "sudo=fail $(echo "$m" | head -n 1)"; fi
  else echo "sudo=missing"; fi
fi`

export interface ProbeResult {
  destination: string
  failure: HostFailure | null
  user: string | null
  root: boolean
  sudo: boolean
  hostname: string | null
  kernel: string | null
  machineId: string | null
  tools: string[]
  /** Remote clock minus ours at the midpoint of the fastest round trip, in ms; null without a reading. */
  clockOffsetMs: number | null
  rttMs: number | null
}

function field(lines: string[], key: string): string | null {
  const line = lines.find((l) => l.startsWith(`${key}=`))
  const v = line?.slice(key.length + 1).trim()
  return v ? v : null
}

export async function probeHost(local: Runner, destination: string, settings: SshSettings, opts: {timeoutMs?: number; signal?: AbortSignal} = {}): Promise<{probe: ProbeResult; runner: RemoteRunner}> {
  const runner = new RemoteRunner(local, destination, settings)
  const timeoutMs = opts.timeoutMs ?? ((settings.connectTimeoutS ?? 10) + 5) * 1000
  const empty: ProbeResult = {destination, failure: null, user: null, root: false, sudo: false, hostname: null, kernel: null, machineId: null, tools: [], clockOffsetMs: null, rttMs: null}
  const r = await runner.run({argv: ['sh', '-c', PROBE_SCRIPT], timeoutMs, signal: opts.signal, raw: true})
  if (r.timedOut) return {probe: {...empty, failure: {status: 'timeout', reason: `no answer from ssh in ${timeoutMs / 1000} s`, fix: null}}, runner}
  if (r.exitCode === 255 || r.exitCode === null) {
    const failure = classifySshFailure(r.stderr, destination) ?? {status: 'unreachable' as const, reason: r.stderr.trim().split('\n')[0] || r.error || `ssh exit ${r.exitCode ?? r.signal}`, fix: null}
    return {probe: {...empty, failure}, runner}
  }
  const lines = r.stdout.split('\n')
  const uid = field(lines, 'uid')
  const root = uid === '0'
  const sudoLine = field(lines, 'sudo')
  const tools = lines.filter((l) => l.startsWith('tool=')).map((l) => l.slice(5))
  const probe: ProbeResult = {
    ...empty,
    user: field(lines, 'user'),
    root,
    sudo: !root,
    hostname: field(lines, 'hostname'),
    kernel: field(lines, 'kernel'),
    machineId: field(lines, 'machine-id'),
    tools,
  }
  if (uid === null) return {probe: {...probe, failure: {status: 'unreachable', reason: `the remote shell gave no answer (exit ${r.exitCode}): ${r.stderr.trim().split('\n')[0] ?? ''}`, fix: null}}, runner}
  if (!root && sudoLine !== 'ok') {
    const message = sudoLine?.replace(/^fail\s*/, '') ?? ''
    const failure: HostFailure =
      sudoLine === 'missing'
        ? {status: 'tool-missing', reason: `not root (${probe.user ?? `uid ${uid}`}) and sudo is not installed`, fix: null}
        : isSudoPasswordMessage(message)
          ? {status: 'sudo-password', reason: `sudo -n needs a password for ${probe.user ?? `uid ${uid}`} (${message})`, fix: `allow the commands without a password (sudoers NOPASSWD), or log in as root`}
          : {status: 'sudo-password', reason: `sudo -n refused ${probe.user ?? `uid ${uid}`}: ${message || 'no answer'}`, fix: null}
    return {probe: {...probe, failure}, runner}
  }
  const missing = REQUIRED_TOOLS.filter((t) => !tools.includes(t))
  if (missing.length > 0) return {probe: {...probe, failure: {status: 'tool-missing', reason: `not on the host's PATH: ${missing.join(', ')}`, fix: null}}, runner}
  runner.identity = {sudo: !root}
  return {probe, runner}
}

/**
 * The host's clock offset from three `date` round trips (over the resident connection, so a round
 * trip is the link and the remote's fork, not an ssh login); the fastest gives the offset at its
 * midpoint (Cristian's method), within half its round trip.
 */
export async function estimateClock(readRemoteNs: () => Promise<string | null>): Promise<{clockOffsetMs: number | null; rttMs: number | null}> {
  let best: {clockOffsetMs: number; rttMs: number} | null = null
  for (let i = 0; i < 3; i++) {
    const t0 = performance.timeOrigin + performance.now()
    const ns = (await readRemoteNs())?.trim() ?? ''
    const t1 = performance.timeOrigin + performance.now()
    if (!/^\d{10,}$/.test(ns)) continue
    const remoteMs = Number(BigInt(ns) / 1000n) / 1000
    const sample = {clockOffsetMs: remoteMs - (t0 + t1) / 2, rttMs: t1 - t0}
    if (!best || sample.rttMs < best.rttMs) best = sample
  }
  return best ? {clockOffsetMs: Math.round(best.clockOffsetMs * 10) / 10, rttMs: Math.round(best.rttMs * 10) / 10} : {clockOffsetMs: null, rttMs: null}
}
