/**
 * A recording fake Runner that models a host's addresses and routes well enough for apply and
 * rollback: `ip -j addr/route show`, `ip addr del|replace`, `ip route del|replace`, `ip link set
 * arp`, `ss`, `ip -j route get`. Every call is recorded in `events` (shared with the fake timer), so
 * tests can check order; failures and changes that "do not stick" can be injected per argv.
 */
import type {RunRequest, RunResult, Runner} from '../../src/exec/runner.js'
import type {IpState, RawAddr, RawRoute} from '../../src/fix/ip-state.js'
import {routeKey} from '../../src/fix/ip-state.js'
import {isReadOnlyArgv} from '../../src/fix/read-only.js'
import type {RevertTimer} from '../../src/fix/revert-timer.js'
import {networkOf} from '../../rules/lib/ip.js'

export type Event = {kind: 'run'; argv: string[]} | {kind: 'timer-arm'; id: string} | {kind: 'timer-stop'; pid: number}

const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'multicast', 'blackhole', 'unreachable', 'prohibit'])

export function parseRouteSpec(words: string[]): RawRoute {
  const w = [...words]
  const r: RawRoute = {dst: ''}
  if (ROUTE_TYPES.has(w[0]!)) r.type = w.shift()!
  r.dst = w.shift()!
  r.flags = []
  while (w.length > 0) {
    const k = w.shift()!
    if (k === 'onlink') {
      r.flags.push('onlink')
      continue
    }
    const v = w.shift()!
    if (k === 'via') r.gateway = v
    else if (k === 'dev') r.dev = v
    else if (k === 'table') r.table = v
    else if (k === 'proto') r.protocol = v
    else if (k === 'scope') r.scope = v
    else if (k === 'src') r.prefsrc = v
    else if (k === 'metric') r.metric = Number(v)
    else if (k === 'pref') r.pref = v
  }
  if (r.type === 'unicast') delete r.type
  return r
}

export class FakeHost implements Runner {
  events: Event[] = []
  /** argv (joined by spaces) -> the failure it returns. */
  failures = new Map<string, {exitCode: number; stderr: string}>()
  /** argv that return 0 without changing anything (a change that does not stick). */
  noops = new Set<string>()
  ssOutput: string | null = ''
  /** Delay of every mutating command (to overlap two applies). */
  delayMs = 0

  constructor(public state: IpState, public netns: string | null = null) {}

  get calls(): string[][] {
    return this.events.flatMap((e) => (e.kind === 'run' ? [e.argv] : []))
  }

  get mutating(): string[][] {
    return this.calls.filter((a) => !isReadOnlyArgv(a))
  }

  timer(): RevertTimer & {armed: Array<{id: string; deadline: Date}>; stopped: number[]} {
    const events = this.events
    const armed: Array<{id: string; deadline: Date}> = []
    const stopped: number[] = []
    return {
      armed,
      stopped,
      arm(id, deadline) {
        events.push({kind: 'timer-arm', id})
        armed.push({id, deadline})
        return {pid: 424242}
      },
      stop(pid) {
        events.push({kind: 'timer-stop', pid})
        stopped.push(pid)
        return true
      },
    }
  }

  private result(argv: string[], stdout = '', exitCode = 0, stderr = '', notFound = false): RunResult {
    return {argv, stdout, stderr, exitCode, signal: null, timedOut: false, notFound, startedAt: new Date().toISOString(), durationMs: 1, error: null}
  }

  async run(request: RunRequest): Promise<RunResult> {
    const argv = request.argv
    this.events.push({kind: 'run', argv})
    const key = argv.join(' ')
    const fail = this.failures.get(key)
    if (fail) return this.result(argv, '', fail.exitCode, fail.stderr)
    if (argv.includes('ss')) {
      return this.ssOutput === null ? this.result(argv, '', null as unknown as number, 'ss: not found', true) : this.result(argv, this.ssOutput)
    }
    let a = argv[0] === 'ip' ? argv.slice(1) : argv
    if (a[0] === '-n') a = a.slice(2)
    if (key.endsWith('-j addr show')) return this.result(argv, JSON.stringify(this.state.links))
    if (key.endsWith('-j route show table all')) return this.result(argv, JSON.stringify(this.state.routes))
    if (a[0] === '-j' && a[1] === 'route' && a[2] === 'get') {
      const client = a[3]!
      const r = this.state.routes.find((x) => x.dst !== 'default' && x.prefsrc && networkOf(client, Number(x.dst.split('/')[1] ?? 32)) === x.dst) ??
        this.state.routes.find((x) => x.dst === 'default')
      if (!r) return this.result(argv, '', 2, 'RTNETLINK answers: Network is unreachable')
      return this.result(argv, JSON.stringify([{dst: client, gateway: r.gateway, dev: r.dev, prefsrc: a[5]}]))
    }
    if (!isReadOnlyArgv(argv) && this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs))
    if (this.noops.has(key)) return this.result(argv)
    if (a[0] === '-6') a = a.slice(1)
    if (a[0] === 'addr' && (a[1] === 'del' || a[1] === 'replace')) {
      const [local, len] = a[2]!.split('/')
      const dev = a[a.indexOf('dev') + 1]!
      return a[1] === 'del' ? this.addrDel(argv, dev, local!, Number(len)) : this.addrReplace(argv, dev, local!, Number(len), a)
    }
    if (a[0] === 'route' && (a[1] === 'del' || a[1] === 'replace')) {
      const route = parseRouteSpec(a.slice(2))
      const k = routeKey(route)
      const had = this.state.routes.some((r) => routeKey(r) === k)
      if (a[1] === 'del') {
        if (!had) return this.result(argv, '', 2, 'RTNETLINK answers: No such process')
        this.state.routes = this.state.routes.filter((r) => routeKey(r) !== k)
      } else {
        this.state.routes = [...this.state.routes.filter((r) => routeKey(r) !== k), route]
      }
      return this.result(argv)
    }
    if (a[0] === 'link' && a[1] === 'set' && a[4] === 'arp') {
      const link = this.state.links.find((l) => l.ifname === a[3])
      if (!link) return this.result(argv, '', 1, 'Cannot find device')
      link.flags = a[5] === 'off' ? [...new Set([...link.flags, 'NOARP'])] : link.flags.filter((f) => f !== 'NOARP')
      return this.result(argv)
    }
    if (argv[0] === 'ovs-vsctl' || argv[0] === 'ovs-appctl') return this.result(argv)
    return this.result(argv, '', 1, `fake host: unsupported ${key}`)
  }

  private addrDel(argv: string[], dev: string, local: string, plen: number): RunResult {
    const link = this.state.links.find((l) => l.ifname === dev)
    const had = link?.addr_info.some((x) => x.local === local && x.prefixlen === plen)
    if (!link || !had) return this.result(argv, '', 2, 'Error: ipv4: Address not found.')
    link.addr_info = link.addr_info.filter((x) => !(x.local === local && x.prefixlen === plen))
    const net = networkOf(local, plen)
    const noV4Left = !link.addr_info.some((x) => x.family === 'inet')
    this.state.routes = this.state.routes.filter((r) => {
      if (r.prefsrc === local) return false
      if (r.dev === dev && r.protocol === 'kernel' && r.dst === net) return false
      if (noV4Left && r.dev === dev && !r.dst.includes(':') && !(r.gateway ?? '').includes(':')) return false
      return true
    })
    return this.result(argv)
  }

  private addrReplace(argv: string[], dev: string, local: string, plen: number, words: string[]): RunResult {
    const link = this.state.links.find((l) => l.ifname === dev)
    if (!link) return this.result(argv, '', 1, 'Cannot find device')
    if (!link.addr_info.some((x) => x.local === local && x.prefixlen === plen)) {
      const addr: RawAddr = {family: local.includes(':') ? 'inet6' : 'inet', local, prefixlen: plen, scope: 'global', label: dev, valid_life_time: 4294967295, preferred_life_time: 4294967295}
      const i = words.indexOf('label')
      if (i >= 0) addr.label = words[i + 1]
      link.addr_info.push(addr)
      const net = networkOf(local, plen)!
      this.state.routes.push({dst: net, dev, protocol: 'kernel', scope: 'link', prefsrc: local, flags: []})
    }
    return this.result(argv)
  }
}

/** ovsbr0 with 192.168.100.1/24 and 10.10.1.1/24, a default route, a static route and a table-100 route; eth0 with the management address. */
export function brokenHostState(opts: {defaultVia?: 'ovsbr0' | 'eth0'} = {}): IpState {
  const via = opts.defaultVia ?? 'eth0'
  return {
    links: [
      {ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, operstate: 'UNKNOWN', addr_info: [{family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host', label: 'lo'}]},
      {ifname: 'eth0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UP', addr_info: [{family: 'inet', local: '192.0.2.10', prefixlen: 24, scope: 'global', label: 'eth0'}]},
      {
        ifname: 'ovsbr0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UNKNOWN',
        addr_info: [
          {family: 'inet', local: '192.168.100.1', prefixlen: 24, scope: 'global', label: 'ovsbr0', valid_life_time: 4294967295, preferred_life_time: 4294967295},
          {family: 'inet', local: '10.10.1.1', prefixlen: 24, scope: 'global', label: 'ovsbr0', valid_life_time: 4294967295, preferred_life_time: 4294967295},
        ],
      },
    ],
    routes: [
      via === 'eth0' ? {dst: 'default', gateway: '192.0.2.1', dev: 'eth0', flags: []} : {dst: 'default', gateway: '192.168.100.254', dev: 'ovsbr0', flags: []},
      {dst: '192.0.2.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '192.0.2.10', flags: []},
      {dst: '10.10.1.0/24', dev: 'ovsbr0', protocol: 'kernel', scope: 'link', prefsrc: '10.10.1.1', flags: []},
      {dst: '192.168.100.0/24', dev: 'ovsbr0', protocol: 'kernel', scope: 'link', prefsrc: '192.168.100.1', flags: []},
      {dst: '203.0.113.0/24', gateway: '10.10.1.254', dev: 'ovsbr0', flags: []},
      {dst: '198.51.100.0/24', dev: 'ovsbr0', table: '100', scope: 'link', flags: []},
    ],
  }
}
