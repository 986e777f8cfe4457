/**
 * The protected set (SAFETY B12-B14): the addresses and devices that carry management sessions,
 * from SSH_CONNECTION and from every established sshd connection (`ss`, which still works under
 * sudo, whose env_reset drops SSH_CONNECTION), plus the default routes. If it cannot be computed,
 * it is incomplete and every step's impact is `unknown`, which is treated like `breaks`.
 */
import type {Runner} from '../exec/runner.js'
import {prefixContains, canonicalPrefix} from '../../rules/lib/ip.js'
import {describeRoute, ipArgv, routeFamily} from './ip-state.js'
import type {IpState, RawRoute} from './ip-state.js'
import type {ManagementImpact, ProtectedSession, ProtectedSet} from './types.js'

/** `ss` in the target namespace (it reads the sockets of the namespace it runs in). */
export function ssArgv(netns: string | null): string[] {
  const ss = ['ss', '-Htnp', 'state', 'established']
  return netns ? ['ip', 'netns', 'exec', netns, ...ss] : ss
}

/** "198.51.100.7 51000 192.0.2.10 22" -> the session (ssh(1) ENVIRONMENT). */
export function parseSshConnection(value: string | undefined): Omit<ProtectedSession, 'serverDev' | 'egressDev' | 'prefsrc'> | null {
  if (!value) return null
  const [client, clientPort, server, serverPort] = value.trim().split(/\s+/)
  if (!client || !server) return null
  return {client: unmap(client), clientPort: Number(clientPort) || null, server: unmap(server), serverPort: Number(serverPort) || null, source: 'SSH_CONNECTION'}
}

/** "::ffff:192.0.2.10" -> "192.0.2.10"; strips a zone. */
function unmap(address: string): string {
  const plain = address.replace(/^\[|\]$/g, '').split('%')[0]!
  return plain.toLowerCase().startsWith('::ffff:') && plain.includes('.') ? plain.slice(7) : plain
}

/** "192.0.2.10:22", "[2001:db8::10]:22", "[::ffff:192.0.2.10]:22" -> address and port. */
function splitEndpoint(text: string): {address: string; port: number | null} | null {
  const m = /^\[?(.+?)\]?:(\d+|\*)$/.exec(text)
  if (!m) return null
  return {address: unmap(m[1]!), port: m[2] === '*' ? null : Number(m[2])}
}

/** sshd connections from `ss -Htnp state established` lines. */
export function parseSsSessions(stdout: string): Array<Omit<ProtectedSession, 'serverDev' | 'egressDev' | 'prefsrc'>> {
  const sessions: Array<Omit<ProtectedSession, 'serverDev' | 'egressDev' | 'prefsrc'>> = []
  for (const line of stdout.split('\n')) {
    if (!/users:\(\("sshd/.test(line)) continue
    const fields = line.trim().split(/\s+/)
    // Recv-Q Send-Q Local Peer [Process]; older ss prints the state first without -H state filter.
    const endpoints = fields.map(splitEndpoint).filter((e): e is {address: string; port: number | null} => e !== null)
    if (endpoints.length < 2) continue
    const [local, peer] = endpoints as [{address: string; port: number | null}, {address: string; port: number | null}]
    sessions.push({client: peer.address, clientPort: peer.port, server: local.address, serverPort: local.port, source: 'ss'})
  }
  return sessions
}

function ownerOf(state: IpState, address: string): string | null {
  for (const link of state.links) if (link.addr_info.some((a) => a.local === address)) return link.ifname
  return null
}

export interface ProtectedOptions {
  runner: Runner
  netns: string | null
  state: IpState
  env: NodeJS.ProcessEnv
}

/** Computes the protected set on the live host (read-only commands: ss, ip -j route get). */
export async function computeProtectedSet(opts: ProtectedOptions): Promise<ProtectedSet> {
  const notes: string[] = []
  let complete = true
  let unknownReason: string | null = null
  const raw: Array<Omit<ProtectedSession, 'serverDev' | 'egressDev' | 'prefsrc'>> = []
  const fromEnv = parseSshConnection(opts.env.SSH_CONNECTION)
  if (fromEnv) raw.push(fromEnv)

  const ss = await opts.runner.run({argv: ssArgv(opts.netns), timeoutMs: 8_000})
  if (ss.exitCode !== 0) {
    complete = false
    unknownReason = ss.notFound || ss.exitCode === 127
      ? '`ss` is not installed, so the established SSH sessions are unknown'
      : `\`ss\` failed (${ss.exitCode ?? ss.signal ?? 'no exit code'}): ${ss.stderr.trim().split('\n')[0] ?? ''}`
  } else {
    for (const s of parseSsSessions(ss.stdout)) {
      if (!raw.some((r) => r.client === s.client && r.clientPort === s.clientPort && r.server === s.server)) raw.push(s)
    }
  }

  const sessions: ProtectedSession[] = []
  for (const s of raw) {
    const serverDev = ownerOf(opts.state, s.server)
    let egressDev: string | null = null
    let prefsrc: string | null = null
    if (serverDev === null) {
      notes.push(`session ${s.client} -> ${s.server} (${s.source}): ${s.server} is not an address of ${opts.netns ? `namespace ${opts.netns}` : 'this host'}`)
    } else {
      const get = await opts.runner.run({argv: ipArgv(opts.netns, '-j', 'route', 'get', s.client, 'from', s.server), timeoutMs: 8_000})
      if (get.exitCode === 0) {
        try {
          const parsed = JSON.parse(get.stdout) as Array<{dev?: string; prefsrc?: string}>
          egressDev = parsed[0]?.dev ?? null
          prefsrc = parsed[0]?.prefsrc ?? null
        } catch {
          complete = false
          unknownReason = `could not parse \`ip -j route get ${s.client}\``
        }
      } else {
        complete = false
        unknownReason = `\`ip route get ${s.client} from ${s.server}\` failed: ${get.stderr.trim().split('\n')[0] ?? ''}`
      }
    }
    sessions.push({...s, serverDev, egressDev, prefsrc})
  }

  const defaults = opts.state.routes.filter((r) => r.dst === 'default')
  const addresses = [...new Set(sessions.flatMap((s) => (s.serverDev ? [s.server, ...(s.prefsrc ? [s.prefsrc] : [])] : [])))]
  const devices = [...new Set([...sessions.flatMap((s) => [s.serverDev, s.egressDev]), ...defaults.map((r) => r.dev ?? null)].filter((d): d is string => d !== null))]
  return {complete, unknownReason, sessions, addresses, devices, defaultRoutes: defaults.map(describeRoute), notes}
}

/** For a plan made from a bundle: the sessions are unknown, the default routes are known. */
export function bundleProtectedSet(state: IpState): ProtectedSet {
  const defaults = state.routes.filter((r) => r.dst === 'default')
  return {
    complete: false,
    unknownReason: 'planned from a capture bundle: the host\'s SSH sessions are not known (apply computes them on the host)',
    sessions: [],
    addresses: [],
    devices: [...new Set(defaults.map((r) => r.dev).filter((d): d is string => d !== undefined))],
    defaultRoutes: defaults.map(describeRoute),
    notes: [],
  }
}

export interface StepEffect {
  removesAddresses: string[]
  removesRoutes: RawRoute[]
  /** Devices whose link or ARP state the step changes. */
  changesLinks: string[]
}

function carriesClient(r: RawRoute, client: string): boolean {
  if (r.dst === 'default') return true
  const prefix = canonicalPrefix(r.dst, routeFamily(r))
  return prefix !== null && prefixContains(prefix, client)
}

/** SAFETY B13/B14: a step that removes a protected address, a default route, a session's route, or changes a protected link breaks management. */
export function impactOf(effect: StepEffect, set: ProtectedSet): {impact: ManagementImpact; reason: string | null} {
  const reasons: string[] = []
  for (const a of effect.removesAddresses) {
    const s = set.sessions.find((x) => x.server === a || x.prefsrc === a)
    if (s) reasons.push(`${a} carries the SSH session from ${s.client} (${s.source})`)
  }
  for (const r of effect.removesRoutes) {
    if (r.dst === 'default') reasons.push(`removes the default route (${describeRoute(r)})`)
    else {
      const s = set.sessions.find((x) => x.egressDev !== null && x.egressDev === r.dev && carriesClient(r, x.client))
      if (s) reasons.push(`removes ${describeRoute(r)}, which carries the SSH session from ${s.client}`)
    }
  }
  for (const d of effect.changesLinks) if (set.devices.includes(d)) reasons.push(`changes ${d}, which carries management traffic`)
  if (reasons.length > 0) return {impact: 'breaks', reason: [...new Set(reasons)].join('; ')}
  if (!set.complete) return {impact: 'unknown', reason: set.unknownReason}
  return {impact: 'none', reason: null}
}
