/**
 * Per-port counters in a load window: OVSDB statistics deltas (drops, retries, errors) and the
 * live path deltas of the attribution. Statistics keys exist only when the device supports them
 * (FIELD §3.5), so a missing key is "unknown", never 0.
 */
import type {HostState, OvsPortState, PortClass} from '../../src/model/host-state.js'
import type {LoadWindow, PathDelta} from '../../src/window/types.js'

/** Ports of the fast path: DPDK NICs and vhost-user ports. */
export function portsOfClass(state: HostState, ...classes: PortClass[]): OvsPortState[] {
  return state.ports.filter((p) => classes.includes(p.class))
}

/** Delta of an OVSDB statistics key over the window; null when either sample lacks it. */
export function statDelta(window: LoadWindow, port: string, key: string): number | null {
  return window.statisticsDeltas[port]?.[key] ?? null
}

export function pathOf(window: LoadWindow, port: string): PathDelta | undefined {
  return window.attribution.paths.find((p) => p.name === port)
}

/** pathOf for many ports: the paths by name (first wins, like pathOf), built in one pass. */
export function pathsByName(window: LoadWindow): Map<string, PathDelta> {
  const byName = new Map<string, PathDelta>()
  for (const p of window.attribution.paths) if (!byName.has(p.name)) byName.set(p.name, p)
  return byName
}

/** Packets received (rx) or sent (tx) by a port in the window: statistics delta, else the live path. */
export function packetsDelta(window: LoadWindow, port: string, direction: 'rx' | 'tx'): number | null {
  const fromStats = statDelta(window, port, `${direction}_packets`)
  if (fromStats !== null) return fromStats
  const path = pathOf(window, port)
  if (!path) return null
  return direction === 'rx' ? path.rxPackets : path.txPackets
}

/** Deltas of some statistics keys for some ports, and whether any of them was reported at all. */
export function statDeltas(window: LoadWindow, ports: readonly OvsPortState[], keys: readonly string[]) {
  const readings = ports.map((port) => ({
    port,
    values: Object.fromEntries(keys.map((k) => [k, statDelta(window, port.name, k)])) as Record<string, number | null>,
  }))
  const anyReported = readings.some((r) => Object.values(r.values).some((v) => v !== null))
  return {readings, anyReported}
}
