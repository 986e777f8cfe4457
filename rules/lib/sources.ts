/**
 * "At least one of" inputs. meta.inputs means "all of these"; some facts come from either of two
 * sources (kernel counters from ip-link or sysfs-stats), so rules check those alternatives here.
 */
import {hasSource} from '../../src/model/host-state.js'
import type {HostState} from '../../src/model/host-state.js'
import type {LoadWindow} from '../../src/window/types.js'

export function hasAnySource(state: HostState, ids: readonly string[]): boolean {
  return ids.some((id) => hasSource(state, id))
}

/** Both ends of the window read at least one of the sources (a delta needs both). */
export function windowHasAnySource(window: LoadWindow, ids: readonly string[]): boolean {
  return hasAnySource(window.before, ids) && hasAnySource(window.during, ids)
}

/** Where the window's kernel interface counters come from. */
export const KERNEL_COUNTER_SOURCES = ['sysfs-stats', 'ip-link'] as const
/** Where the window's OVS port counters come from (live first, OVSDB statistics last). */
export const OVS_COUNTER_SOURCES = ['ofctl-ports', 'dpctl-show', 'ovsdb-interface'] as const

/**
 * The OVSDB tables ports are joined from (Bridge -> Port -> Interface): a rule that reads ports
 * lists all three, since without any one of them the host's ports are unknown, not absent.
 */
export const OVS_PORT_SOURCES = ['ovsdb-bridge', 'ovsdb-port', 'ovsdb-interface'] as const
