/**
 * Reading OVSDB other_config values: OVSDB quotes values that look numeric or contain special
 * characters (FIELD §3.5, §3.8), and a hand-edited database may keep the quotes.
 */
import type {HostState} from '../../src/model/host-state.js'

/** The value without surrounding whitespace and one pair of double quotes. */
export function unquote(value: string): string {
  const trimmed = value.trim()
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1).trim() : trimmed
}

/** Open_vSwitch other_config:<key>, unquoted; null when unset or empty. */
export function otherConfig(state: HostState, key: string): string | null {
  const raw = state.ovs.otherConfig[key]
  if (raw === undefined) return null
  const value = unquote(raw)
  return value === '' ? null : value
}

/** dpdk-init as OVS reads it: "true" or "try" request DPDK; null when unset. */
export function dpdkInitRequested(state: HostState): boolean | null {
  const value = otherConfig(state, 'dpdk-init')
  if (value === null) return state.ovs.dpdkInitRequested
  return value.toLowerCase() === 'true' || value.toLowerCase() === 'try'
}

/** The largest sleep in a pmd-sleep-max value: "50" or, since OVS 3.3, "50,3:300" (default, core:us). */
export function maxSleepUs(value: string): number | null {
  let max = 0
  for (const token of value.split(',')) {
    const m = /^\s*(?:\d+:)?(\d+)\s*$/.exec(token)
    if (!m) return null
    max = Math.max(max, Number(m[1]))
  }
  return max
}

export const PMD_SLEEP_KEYS = ['pmd-sleep-max', 'pmd-maxsleep'] as const

/** PMD load-based sleep as configured: the largest sleep in us (0 when off), or null when unreadable. */
export function pmdSleepUs(state: HostState): {us: number | null; settings: Array<{key: string; value: string}>} {
  const settings = PMD_SLEEP_KEYS.flatMap((key) => {
    const value = otherConfig(state, key)
    return value === null ? [] : [{key, value}]
  })
  const values = settings.map((s) => maxSleepUs(s.value))
  return {us: values.includes(null) ? null : Math.max(0, ...(values as number[])), settings}
}
