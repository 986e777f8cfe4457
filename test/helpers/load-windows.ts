/**
 * Load windows that are not valid cross-host tests, for the kernel-bypass window rules: each of
 * them must be not-applicable (G1, G2) or unknown (no traffic) there, never a finding.
 */
import type {LoadWindow} from '../../src/window/types.js'
import {brokenWindow, iperf, makeWindow, path} from './factory.js'

/** G1: the broken host, but iperf3 talked to ovsbr0's own address. */
export function hostTargetWindow(): LoadWindow {
  const window = brokenWindow()
  return {...window, loadTarget: '10.10.1.1', load: {...window.load!, result: {...window.load!.result!, target: '10.10.1.1'}}}
}

/** G2: two local VMs talk to each other; dpdk0, ovsbr0 and the kernel NIC stay idle, PMD too. */
export function sameHostWindow(): LoadWindow {
  return makeWindow({
    paths: [
      path('vhost-user1', 'vhost', 1.2e9),
      path('vhost-user2', 'vhost', 1.2e9),
      path('dpdk0', 'dpdk', 0, 0),
      path('ovsbr0', 'internal', 0, 0),
      path('enp65s0f0np0', 'kernel-nic', 0, 0),
    ],
    pmds: [{numaId: 0, coreId: 1, busyPct: 2, packets: 10, upcalls: 0, lostUpcalls: 0}],
    load: iperf({target: '10.10.1.21', localHost: '10.10.1.10', bitsPerSecond: 9.6e8 * 2}),
  })
}

/** A window in which nothing moved at all. */
export function idleWindow(): LoadWindow {
  return makeWindow({
    paths: [path('vhost-user1', 'vhost', 0, 0), path('dpdk0', 'dpdk', 0, 0), path('ovsbr0', 'internal', 0, 0), path('enp65s0f0np0', 'kernel-nic', 0, 0)],
    load: iperf({bytes: 0, bitsPerSecond: 0}),
  })
}
