/**
 * Is this load window a valid cross-host test of the DPDK path? One decision shared by the
 * kernel-bypass window rules and the load-validity guards (FIELD.md G1, G2), so they never disagree:
 * - host-target: iperf3 talked to (or ran from) an address of this host, so the traffic must cross
 *   the bridge's internal TAP and the kernel (G1);
 * - no-traffic: the window saw no load at all (nothing to judge);
 * - no-reference: traffic, but neither the VMs' (vhost) bytes nor the load's to measure it against;
 * - same-host: the load stayed between local vhost-user ports, so an idle dpdk0 is expected (G2).
 */
import type {CheckOutcome} from '../../src/engine/types.js'
import type {LoadWindow, PathDelta} from '../../src/window/types.js'
import {hostAddresses} from './host.js'

/** Sources the decision reads: the host's addresses (for G1). Rules using it list these in meta.inputs. */
export const LOAD_VALIDITY_INPUTS = ['ip-addr'] as const

/** Below this share of the reference a class "carried nothing" for the same-host test (G2). */
export const SAME_HOST_MAX_OTHER_SHARE = 0.1
/** A vhost port "carried the load" when it moved at least this share of the reference. */
export const SAME_HOST_MIN_VHOST_SHARE = 0.1

export type LoadValidity =
  | {ok: true}
  | {ok: false; kind: 'host-target' | 'same-host' | 'no-traffic' | 'no-reference'; why: string}

export interface HostEndpoint {
  /** target: iperf3 -c <address>; source: the address iperf3 sent from. */
  end: 'target' | 'source'
  address: string
  ifname: string
}

/** Load endpoints that are addresses of this host (before or during the load). */
export function hostEndpoints(window: LoadWindow): HostEndpoint[] {
  const owners = hostAddresses(window.before, window.during)
  const endpoints: HostEndpoint[] = []
  const target = window.loadTarget
  if (target !== null && owners.has(target)) endpoints.push({end: 'target', address: target, ifname: owners.get(target)!})
  // iperf3 run on the host itself (not in a VM) sends from a host address: not VM traffic either.
  const source = window.load?.result?.localHost ?? null
  if (source !== null && source !== target && owners.has(source)) {
    endpoints.push({end: 'source', address: source, ifname: owners.get(source)!})
  }
  return endpoints
}

export interface SameHostLoad {
  /** The vhost paths that carried the load. */
  vhostPaths: PathDelta[]
  /** Shares of the classes a cross-host test would use. */
  otherShares: {dpdk: number; internal: number; 'kernel-nic': number}
}

export interface SameHostLimits {
  maxOtherShare: number
  minVhostShare: number
}

const SAME_HOST_DEFAULTS: SameHostLimits = {maxOtherShare: SAME_HOST_MAX_OTHER_SHARE, minVhostShare: SAME_HOST_MIN_VHOST_SHARE}

/** The load stayed between local vhost ports: two or more carried it, and nothing else did. */
export function sameHostLoad(window: LoadWindow, limits: SameHostLimits = SAME_HOST_DEFAULTS): SameHostLoad | null {
  const {attribution} = window
  if (attribution.referenceBytes <= 0) return null
  const vhostPaths = attribution.paths.filter((p) => p.class === 'vhost' && (p.byteShare ?? 0) >= limits.minVhostShare)
  const share = (cls: 'dpdk' | 'internal' | 'kernel-nic') => attribution.byClass[cls].byteShare ?? 0
  const otherShares = {dpdk: share('dpdk'), internal: share('internal'), 'kernel-nic': share('kernel-nic')}
  if (vhostPaths.length < 2) return null
  if (Object.values(otherShares).some((s) => s >= limits.maxOtherShare)) return null
  return {vhostPaths, otherShares}
}

export function crossHostLoad(window: LoadWindow): LoadValidity {
  const endpoints = hostEndpoints(window)
  if (endpoints.length > 0) {
    const e = endpoints[0]!
    const what = e.end === 'target' ? 'iperf3 target' : 'iperf3 source'
    return {ok: false, kind: 'host-target', why: `${what} ${e.address} is this host's address (${e.ifname}): the test measures the kernel/tap path, not DPDK`}
  }
  if (window.attribution.reference === 'none' || window.attribution.referenceBytes <= 0) {
    return {ok: false, kind: 'no-traffic', why: 'no load traffic seen in the window'}
  }
  // Shares of the busiest interface say nothing about VM traffic (on a host without vhost ports the
  // uplink would be "100 % of the VM load"): without the VMs' bytes or the load's there is no judge.
  if (window.attribution.reference === 'busiest') {
    return {ok: false, kind: 'no-reference', why: 'no vhost-user port moved traffic and the load\'s byte count is unknown: nothing to measure the paths against'}
  }
  const sameHost = sameHostLoad(window)
  if (sameHost) {
    const names = sameHost.vhostPaths.map((p) => p.name).join(', ')
    return {ok: false, kind: 'same-host', why: `the load stayed between local vhost ports (${names}): an idle dpdk port is expected`}
  }
  return {ok: true}
}

/** What a bypass rule returns when the load is not a valid cross-host test; null when it is. */
export function invalidLoadOutcome(window: LoadWindow): CheckOutcome | null {
  const validity = crossHostLoad(window)
  if (validity.ok) return null
  return validity.kind === 'no-traffic' || validity.kind === 'no-reference' ? {unknown: validity.why} : {notApplicable: validity.why}
}

/**
 * The load's rate in bit/s: iperf3's own figure, else the VM side's bytes over the window.
 * null when neither is known.
 */
export function loadBitsPerSecond(window: LoadWindow): {bitsPerSecond: number; from: 'iperf3' | 'vhost-bytes'} | null {
  const iperf = window.load?.result?.bitsPerSecond ?? null
  if (iperf !== null) return {bitsPerSecond: iperf, from: 'iperf3'}
  const {attribution, durationS} = window
  if (attribution.reference === 'vhost' && durationS > 0) {
    return {bitsPerSecond: (attribution.referenceBytes * 8) / durationS, from: 'vhost-bytes'}
  }
  return null
}
