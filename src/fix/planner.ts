/**
 * The planner: the findings' fix actions become an ordered list of steps, each with its exact
 * argv and inverse argv, its risk, whether it is reversible and its impact on the management path.
 *
 * Order, per device: first the routes that will go (explicit `ip route del`, so the plan lists
 * each and the rollback can put each back), then one `ip addr del` per address (never flush:
 * SAFETY finding 3), secondaries before their primary (deleting a primary takes its secondaries
 * along), then link settings (ARP). The rollback runs the inverses in reverse: addresses come back
 * before the routes that need them (a gateway must be on-link again before its route is accepted).
 */
import {randomBytes} from 'node:crypto'
import type {Diagnosis} from '../diagnose/types.js'
import type {Finding, FixAction} from '../engine/types.js'
import type {HostState} from '../model/host-state.js'
import {isValidIfname, isValidOvsName} from '../util/names.js'
import {TOOL} from '../version.js'
import {alternatives} from './alternatives.js'
import {planGuests} from './guest.js'
import type {GuestOptions} from './guest.js'
import {
  addrDelArgv, addrReplaceArgv, describeRoute, fingerprintOf, globalAddrs, isKernelRoute, linkArpArgv, linkOf, routeDelArgv, routeKey,
  routeReplaceArgv, routesLostWith, routesTouching,
} from './ip-state.js'
import type {IpState, RawAddr, RawRoute} from './ip-state.js'
import {impactOf} from './protected.js'
import {PLAN_SCHEMA} from './types.js'
import type {FixPlan, PlanDeviceDiff, PlanStep, ProtectedSet, Risk} from './types.js'

/** Every kind of fix action a rule can suggest; the plan-mode test covers each (meta-test). */
export const FIX_ACTION_KINDS = ['remove-address', 'remove-route', 'set-arp-off', 'ovs-set', 'guest-readdress', 'manual'] as const satisfies readonly FixAction['kind'][]
// Compile-time: a new FixAction kind that is missing above fails the build here.
type MissingKinds = Exclude<FixAction['kind'], (typeof FIX_ACTION_KINDS)[number]>
const allKindsListed: MissingKinds extends never ? true : never = true
void allKindsListed

export interface PlanInput {
  diagnosis: Diagnosis
  /** The latest full host state of the capture (OVS ports, FDB, bridges). */
  state: HostState
  ip: IpState
  host: FixPlan['host']
  source: FixPlan['source']
  protectedSet: ProtectedSet
  guest: GuestOptions
  /** Only plan steps on these devices (empty: all). */
  onlyDevices: string[]
  now?: Date
  id?: string
}

const cidr = (a: Pick<RawAddr, 'local' | 'prefixlen'>) => `${a.local}/${a.prefixlen}`
const findingRef = (f: Finding) => `${f.ruleId} ${f.subject}`

interface Wanted {
  addresses: Map<string, {addr: RawAddr; why: Set<string>}>
  routes: Map<string, {route: RawRoute; why: Set<string>}>
  arpOff: Map<string, Set<string>>
  ovs: Array<{action: Extract<FixAction, {kind: 'ovs-set'}>; why: string}>
}

/**
 * A device name from the host (or a bundle) that is not a valid Linux name is kept as data: no step
 * is planned on it, and the warning shows it quoted (JSON escapes), never as a command.
 */
function validDevice(name: string, warnings: string[]): boolean {
  if (isValidIfname(name)) return true
  warnings.push(`no step for interface ${JSON.stringify(name)}: it is not a valid Linux interface name`)
  return false
}

/** Our own option words in the argv we build; anything else starting with "-" came from data. */
const OUR_OPTIONS = new Set(['-n', '-j', '-4', '-6', '-t', '-T', '-s', '-d'])
/** One argv word: printable ASCII without spaces or characters a shell or ip would read specially. */
const CLEAN_WORD = /^[A-Za-z0-9_.:/@%,=+-]{1,256}$/

/**
 * The last guard before a step enters the plan: every word of its argv and inverse is plain, so a
 * value from the capture (a route field, an address, a record name) can never shape a command.
 */
export function argvIsClean(argv: readonly string[] | null): boolean {
  // typeof: a capture's JSON can put a number or an object where a name belongs (found by the fuzz test).
  return argv === null || argv.every((w: unknown) => typeof w === 'string' && CLEAN_WORD.test(w) && (!w.startsWith('-') || OUR_OPTIONS.has(w)))
}

/** Collects what the findings ask for, resolved against the raw state (a stale action is dropped with a warning). */
function wantedChanges(findings: Finding[], ip: IpState, only: string[], warnings: string[]): Wanted {
  const wanted: Wanted = {addresses: new Map(), routes: new Map(), arpOff: new Map(), ovs: []}
  const inScope = (dev: string | null) => only.length === 0 || (dev !== null && only.includes(dev))
  for (const f of findings) {
    for (const action of f.fixes) {
      switch (action.kind) {
        case 'remove-address': {
          if (!inScope(action.ifname)) break
          if (!validDevice(action.ifname, warnings)) break
          const addr = linkOf(ip, action.ifname)?.addr_info.find((a) => a.local === action.address && a.prefixlen === action.prefixlen)
          if (!addr) {
            warnings.push(`${action.address}/${action.prefixlen} is no longer on ${action.ifname}; nothing to remove`)
            break
          }
          const key = `${action.ifname}|${cidr(addr)}`
          const entry = wanted.addresses.get(key) ?? {addr, why: new Set<string>()}
          entry.why.add(findingRef(f))
          wanted.addresses.set(key, entry)
          break
        }
        case 'remove-route': {
          if (!inScope(action.dev)) break
          if (action.dev !== null && !validDevice(action.dev, warnings)) break
          const route = ip.routes.find((r) => r.dst === action.dst && (r.dev ?? null) === action.dev && (r.table ?? 'main') === action.table && (r.gateway ?? null) === action.gateway)
          if (!route) {
            warnings.push(`route ${action.dst}${action.dev ? ` dev ${action.dev}` : ''} is no longer there; nothing to remove`)
            break
          }
          const entry = wanted.routes.get(routeKey(route)) ?? {route, why: new Set<string>()}
          entry.why.add(findingRef(f))
          wanted.routes.set(routeKey(route), entry)
          break
        }
        case 'set-arp-off': {
          if (!inScope(action.ifname)) break
          if (!validDevice(action.ifname, warnings)) break
          const set = wanted.arpOff.get(action.ifname) ?? new Set<string>()
          set.add(findingRef(f))
          wanted.arpOff.set(action.ifname, set)
          break
        }
        case 'ovs-set':
          if (only.length === 0) wanted.ovs.push({action, why: findingRef(f)})
          break
        case 'guest-readdress':
        case 'manual':
          break // guest plan and manual notes, not host steps
      }
    }
  }
  return wanted
}

function riskOf(impact: PlanStep['managementImpact'], base: Risk): Risk {
  return impact === 'none' ? base : 'high'
}

/** ovs-vsctl argv; the prior value decides the inverse (unknown prior -> irreversible). */
function ovsStep(a: Extract<FixAction, {kind: 'ovs-set'}>, state: HostState): {argv: string[]; inverse: string[] | null; previous: string | null} {
  const base = ['ovs-vsctl', '-t', '5']
  const argv = [...base, 'set', a.table, a.record, `${a.column}=${a.value}`]
  const [column, key] = a.column.split(':') as [string, string | undefined]
  if (a.table === 'Open_vSwitch' && column === 'other_config' && key && state.ovs.reachable) {
    const previous = state.ovs.otherConfig[key] ?? null
    const inverse = previous === null ? [...base, 'remove', a.table, a.record, 'other_config', key] : [...base, 'set', a.table, a.record, `${a.column}=${previous}`]
    return {argv, inverse, previous}
  }
  return {argv, inverse: null, previous: null}
}

/** Names in the host state that must not appear in a command line of the plan. */
function invalidNames(state: HostState): string[] {
  const names = [
    ...state.bridges.map((b) => b.name),
    ...state.ports.map((p) => p.name),
    ...state.ports.flatMap((p) => (p.kernelTwin ? [p.kernelTwin] : [])),
  ]
  return [...new Set(names.filter((n) => n.length > 0 && !isValidOvsName(n)))]
}

export function newPlanId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')
  return `${stamp}-${randomBytes(3).toString('hex')}`
}

export function buildPlan(input: PlanInput): FixPlan {
  const warnings: string[] = []
  const {ip, protectedSet} = input
  const netns = input.host.netns
  const wanted = wantedChanges(input.diagnosis.findings, ip, input.onlyDevices, warnings)

  // Devices in the order the findings name them.
  const devices: string[] = []
  const touch = (d: string) => {
    if (!devices.includes(d)) devices.push(d)
  }
  for (const key of wanted.addresses.keys()) touch(key.split('|')[0]!)
  for (const {route} of wanted.routes.values()) if (route.dev) touch(route.dev)
  for (const dev of wanted.arpOff.keys()) touch(dev)

  const steps: PlanStep[] = []
  const push = (s: Omit<PlanStep, 'id' | 'managementImpact' | 'impactReason' | 'risk'> & {baseRisk: Risk}) => {
    if (!argvIsClean(s.argv) || !argvIsClean(s.inverseArgv)) {
      warnings.push(`left out: ${JSON.stringify(s.what)}: its command would carry text from the capture that is not a plain name or address`)
      return
    }
    const {impact, reason} = impactOf(s.effect, protectedSet)
    const {baseRisk, ...rest} = s
    steps.push({id: `s${steps.length + 1}`, ...rest, risk: riskOf(impact, baseRisk), managementImpact: impact, impactReason: reason})
  }

  const diff: PlanDeviceDiff[] = []
  for (const dev of devices) {
    const removed = [...wanted.addresses.entries()].filter(([k]) => k.startsWith(`${dev}|`)).map(([, v]) => v)
    const lost = routesLostWith(ip, dev, removed.map((r) => r.addr))
    // Explicit route steps: the findings' routes plus every non-kernel route the kernel would drop anyway.
    const explicit = new Map<string, {route: RawRoute; why: string[]}>()
    for (const {route, why} of wanted.routes.values()) if (route.dev === dev) explicit.set(routeKey(route), {route, why: [...why]})
    for (const r of lost) {
      if (isKernelRoute(r) || explicit.has(routeKey(r))) continue
      const last = (linkOf(ip, dev)?.addr_info ?? []).filter((a) => a.family === 'inet').every((a) => removed.some((x) => x.addr.local === a.local))
      explicit.set(routeKey(r), {route: r, why: [last ? `the kernel deletes every IPv4 route through ${dev} with its last IPv4 address` : `its source address ${r.prefsrc ?? ''} is removed`]})
    }
    // Non-default routes first, default routes last (they are the riskiest; a refusal names them last).
    const routeSteps = [...explicit.values()].sort((a, b) => Number(a.route.dst === 'default') - Number(b.route.dst === 'default'))
    for (const {route, why} of routeSteps) {
      push({
        kind: 'remove-route', what: `delete route ${describeRoute(route)}`, why, argv: routeDelArgv(netns, route), inverseArgv: routeReplaceArgv(netns, route),
        reversible: true, baseRisk: route.dst === 'default' ? 'high' : 'medium', alsoRemoves: [], target: {kind: 'route', route},
        effect: {removesAddresses: [], removesRoutes: [route], changesLinks: []},
      })
    }
    // Addresses: reverse listing order, so secondaries go before their primary.
    const order = (linkOf(ip, dev)?.addr_info ?? []).map((a) => cidr(a))
    const addrSteps = [...removed].sort((a, b) => order.indexOf(cidr(b.addr)) - order.indexOf(cidr(a.addr)))
    const kernelLost = lost.filter((r) => isKernelRoute(r) && !explicit.has(routeKey(r)))
    const claimed = new Set<string>()
    addrSteps.forEach(({addr, why}, i) => {
      const isLast = i === addrSteps.length - 1
      const mine = kernelLost.filter((r) => !claimed.has(routeKey(r)) && (isLast || r.prefsrc === addr.local || r.dst === addr.local))
      for (const r of mine) claimed.add(routeKey(r))
      push({
        kind: 'remove-address', what: `delete ${cidr(addr)} from ${dev}`, why: [...why], argv: addrDelArgv(netns, dev, addr), inverseArgv: addrReplaceArgv(netns, dev, addr),
        reversible: true, baseRisk: 'medium', alsoRemoves: mine.map(describeRoute), target: {kind: 'address', dev, addr},
        effect: {removesAddresses: [addr.local], removesRoutes: mine, changesLinks: []},
      })
    })
    const arpWhy = wanted.arpOff.get(dev)
    if (arpWhy) {
      if ((linkOf(ip, dev)?.flags ?? []).includes('NOARP')) warnings.push(`${dev} already has ARP off`)
      else {
        push({
          kind: 'set-arp-off', what: `turn ARP off on ${dev}`, why: [...arpWhy], argv: linkArpArgv(netns, dev, false), inverseArgv: linkArpArgv(netns, dev, true),
          reversible: true, baseRisk: 'low', alsoRemoves: [], target: {kind: 'arp', dev, on: false},
          effect: {removesAddresses: [], removesRoutes: [], changesLinks: [dev]},
        })
      }
    }
    const beforeRoutes = routesTouching(ip, [dev]).filter((r) => !isKernelRoute(r) || r.protocol === 'kernel')
    const goneKeys = new Set([...lost.map(routeKey), ...explicit.keys()])
    const removedCidrs = new Set(removed.map((r) => cidr(r.addr)))
    const addrs = globalAddrs(linkOf(ip, dev)).map(cidr)
    diff.push({
      ifname: dev,
      before: {addresses: addrs, routes: beforeRoutes.filter((r) => (r.table ?? 'main') !== 'local').map(describeRoute)},
      after: {addresses: addrs.filter((a) => !removedCidrs.has(a)), routes: beforeRoutes.filter((r) => (r.table ?? 'main') !== 'local' && !goneKeys.has(routeKey(r))).map(describeRoute)},
    })
  }

  // While the kernel carried the VM traffic, the bridge learned MACs on the wrong ports (the host's
  // kernel NIC MAC on dpdk0); entries age out only after 300 s, so make it relearn them now.
  const fdbBridges = [...new Set(devices.flatMap((d) => [
    ...input.state.bridges.filter((b) => b.name === d && b.datapathType === 'netdev').map((b) => b.name),
    ...input.state.ports.filter((p) => p.class === 'dpdk' && p.kernelTwin === d).map((p) => p.bridge),
  ]))].filter((b) => isValidIfname(b))
  for (const bridge of fdbBridges) {
    push({
      kind: 'ovs-fdb-flush', what: `flush the MAC table of ${bridge} (learned state: relearned at once, nothing to restore)`,
      why: [`MACs learned while the kernel carried the VM traffic would steer frames for up to 300 s`], argv: ['ovs-appctl', '-T', '5', 'fdb/flush', bridge],
      inverseArgv: null, reversible: true, baseRisk: 'low', alsoRemoves: [], target: {kind: 'fdb', bridge},
      effect: {removesAddresses: [], removesRoutes: [], changesLinks: []},
    })
  }

  for (const {action, why} of wanted.ovs) {
    const {argv, inverse, previous} = ovsStep(action, input.state)
    push({
      kind: 'ovs-set', what: `set ${action.table} ${action.record} ${action.column}=${action.value}`, why: [why], argv, inverseArgv: inverse,
      reversible: inverse !== null, baseRisk: 'low', alsoRemoves: [],
      target: {kind: 'ovs', table: action.table, record: action.record, column: action.column, value: action.value, previous},
      effect: {removesAddresses: [], removesRoutes: [], changesLinks: []},
    })
  }

  const allManual = [...new Set(input.diagnosis.findings.flatMap((f) => f.fixes.filter((a): a is Extract<FixAction, {kind: 'manual'}> => a.kind === 'manual').map((a) => a.text)))]
  // A by-hand line is often a command with a name in it: none with a name that is not a plain one.
  const hostile = invalidNames(input.state)
  const manual = allManual.filter((text) => {
    const bad = hostile.find((n) => text.includes(n))
    if (bad !== undefined) warnings.push(`left out a by-hand step naming ${JSON.stringify(bad)}: it is not a valid interface or OVS name`)
    return bad === undefined
  })
  const guest = devices.length > 0 || input.diagnosis.findings.some((f) => f.fixes.some((a) => a.kind === 'guest-readdress'))
    ? planGuests(input.state, ip, input.diagnosis, input.guest, devices, warnings)
    : []

  return {
    schema: PLAN_SCHEMA,
    id: input.id ?? newPlanId(input.now),
    createdAt: (input.now ?? new Date()).toISOString(),
    tool: TOOL,
    host: input.host,
    source: input.source,
    verdict: input.diagnosis.verdict,
    fingerprint: fingerprintOf({machineId: input.host.machineId, netns, state: ip, devices}),
    devices,
    diff,
    steps,
    guest,
    persistence: [], // filled by the service from the steps (findPersistence)
    manual,
    alternatives: devices.length > 0 ? alternatives(input.state) : [],
    protected: protectedSet,
    warnings,
  }
}
