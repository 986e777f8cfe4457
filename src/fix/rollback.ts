/**
 * Rollback from a journal (SAFETY A5, A6): put back every journaled address (with its flags,
 * label and lifetimes), the link settings, then every journaled route in every table (default and
 * static routes included), with idempotent `replace` verbs and only for what is missing, so a
 * second rollback runs no mutating command. Then compare the normalised state with the journal.
 */
import type {Runner} from '../exec/runner.js'
import {
  addrReplaceArgv, deviceSnapshot, stepEnv, hasAddress, hasRoute, linkArpArgv, linkOf, linkUpArgv, normalRoute, readIpState, routeReplaceArgv, routesTouching,
} from './ip-state.js'
import type {IpState} from './ip-state.js'
import {restoreFiles} from './persist.js'
import type {Journal, StepOutcome} from './types.js'

export interface RollbackRun {
  commands: StepOutcome[]
  problems: string[]
  changed: boolean
}

/** The journal's prior state as an IpState, to compare with the live one. */
export function priorState(journal: Journal): IpState {
  return {
    links: journal.prior.devices.map((d) => ({ifname: d.ifname, flags: d.flags, mtu: d.mtu ?? undefined, operstate: d.operstate ?? undefined, addr_info: d.addresses})),
    routes: journal.prior.routes,
  }
}

/** Differences between the journal and the live state of the touched devices and routes (empty: restored exactly). */
export function differences(journal: Journal, live: IpState): string[] {
  const prior = priorState(journal)
  const devices = journal.prior.devices.map((d) => d.ifname)
  const problems: string[] = []
  for (const dev of devices) {
    const want = deviceSnapshot(prior, dev)
    const have = deviceSnapshot(live, dev)
    if (!have.present) {
      problems.push(`${dev} no longer exists`)
      continue
    }
    if (JSON.stringify(want.addresses) !== JSON.stringify(have.addresses)) {
      problems.push(`${dev} addresses differ: journal ${want.addresses.map((a) => `${a.local}/${a.prefixlen}`).join(', ') || 'none'}; now ${have.addresses.map((a) => `${a.local}/${a.prefixlen}`).join(', ') || 'none'}`)
    }
    if (JSON.stringify(want.flags) !== JSON.stringify(have.flags)) problems.push(`${dev} link flags differ: journal ${want.flags.join(',')}; now ${have.flags.join(',')}`)
  }
  const wantRoutes = new Set(prior.routes.map(normalRoute))
  const haveRoutes = new Set(routesTouching(live, devices).map(normalRoute))
  for (const r of wantRoutes) if (!haveRoutes.has(r)) problems.push(`route missing: ${r}`)
  for (const r of haveRoutes) if (!wantRoutes.has(r)) problems.push(`route not in the journal: ${r}`)
  return problems
}

export async function runRollback(runner: Runner, journal: Journal): Promise<RollbackRun> {
  const netns = journal.host.netns
  const commands: StepOutcome[] = []
  const run = async (argv: string[], id: string) => {
    const r = await runner.run({argv, timeoutMs: 10_000, env: stepEnv(argv, journal.host.ovsRundir)})
    const ok = r.exitCode === 0
    commands.push({id, argv, status: ok ? 'reverted' : 'revert-failed', exitCode: r.exitCode, stderr: ok ? null : r.stderr.trim() || r.error})
    return ok
  }

  // 1. addresses and link settings, device by device, in journal order (primaries before secondaries).
  let live = await readIpState(runner, netns)
  for (const dev of journal.prior.devices) {
    const link = linkOf(live, dev.ifname)
    if (!link) continue // reported by differences()
    for (const a of dev.addresses) {
      if (a.family === 'inet6' && a.scope === 'link') continue // the kernel manages link-local addresses; never removed
      if (!hasAddress(live, dev.ifname, a)) await run(addrReplaceArgv(netns, dev.ifname, a), `restore ${a.local}/${a.prefixlen} on ${dev.ifname}`)
    }
    const wasNoArp = dev.flags.includes('NOARP')
    if (wasNoArp !== link.flags.includes('NOARP')) await run(linkArpArgv(netns, dev.ifname, !wasNoArp), `restore arp on ${dev.ifname}`)
    if (dev.flags.includes('UP') && !link.flags.includes('UP')) await run(linkUpArgv(netns, dev.ifname, true), `restore ${dev.ifname} up`)
  }
  // 2. OVS steps that were applied, newest first.
  for (const step of [...journal.steps].reverse()) {
    if (step.kind === 'ovs-set' && step.status === 'applied' && step.inverseArgv) await run(step.inverseArgv, `revert ${step.id}`)
  }
  // 3. routes, now that their addresses and gateways are on-link again; default routes last.
  live = await readIpState(runner, netns)
  const routes = [...journal.prior.routes].sort((a, b) => Number(a.dst === 'default') - Number(b.dst === 'default'))
  for (const r of routes) {
    if (!hasRoute(live, r)) await run(routeReplaceArgv(netns, r), `restore route ${r.dst}`)
  }
  // 4. config files edited by --persist, back to their journaled content.
  for (const path of restoreFiles(journal.prior.files ?? [])) commands.push({id: `restore ${path}`, argv: ['restore-file', path], status: 'reverted', exitCode: 0, stderr: null})
  const after = await readIpState(runner, netns)
  return {commands, problems: differences(journal, after), changed: commands.length > 0}
}
