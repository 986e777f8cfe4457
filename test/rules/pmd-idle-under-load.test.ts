import {describe, expect, it} from 'vitest'
import rule from '../../rules/pmd-idle-under-load.js'
import type {PmdDelta} from '../../src/window/types.js'
import {brokenWindow, fixedWindow, iperf, makeState, makeWindow, path, without} from '../helpers/factory.js'
import {hostTargetWindow, idleWindow, sameHostWindow} from '../helpers/load-windows.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const pmd = (coreId: number, busyPct: number | null): PmdDelta => ({numaId: 0, coreId, busyPct, packets: 1000, upcalls: 0, lostUpcalls: 0})

describe('pmd-idle-under-load', () => {
  it('fires on the seed window: the PMD 3 % busy at 2.76 Gbit/s', () => {
    const f = expectFires(rule, {window: brokenWindow()}, ['host']).findings[0]!
    expect(f.severity).toBe('critical')
    expect(f.evidence).toMatchObject({maxObservedBusyPct: 3, loadBitsPerSecond: 2.76e9, loadRateFrom: 'iperf3', maxBusyPct: 5, minLoadBitsPerSec: 1e9})
    expect(f.message).toBe('the PMD (core 1) at most 3.0 % busy while the load ran at 2.76 Gbit/s (idle below 5 %): the traffic is not in the DPDK fast path')
  })

  it('uses the vhost bytes when there is no iperf3 result, and needs every PMD idle', () => {
    const paths = [path('vhost-user1', 'vhost', 2.5e9), path('ovsbr0', 'internal', 2.5e9)]
    const idle = makeWindow({paths, load: null, pmds: [pmd(1, 1), pmd(2, 4.9)]})
    const f = expectFires(rule, {window: idle}, ['host']).findings[0]!
    expect(f.evidence).toMatchObject({loadBitsPerSecond: 2e9, loadRateFrom: 'vhost-bytes'})
    expect(f.message).toMatch(/^all 2 PMDs \(core 1, 2\) at most 4\.9 % busy/)
    expectQuiet(rule, {window: makeWindow({paths, load: null, pmds: [pmd(1, 1), pmd(2, 30)]})})
  })

  it('stays quiet on the fixed window and under a slow load', () => {
    expectQuiet(rule, {window: fixedWindow()})
    const slow = makeWindow({paths: [path('vhost-user1', 'vhost', 1e8), path('ovsbr0', 'internal', 1e8)], load: iperf({bitsPerSecond: 8e7}), pmds: [pmd(1, 1)]})
    expectQuiet(rule, {window: slow})
  })

  it('is not applicable for a host target (G1) or a same-host test (G2)', () => {
    expectQuiet(rule, {window: hostTargetWindow()}, 'not-applicable')
    expectQuiet(rule, {window: sameHostWindow()}, 'not-applicable')
  })

  it('is unknown without a window, traffic, PMDs, busy figures or pmd-stats', () => {
    expectUnknown(rule, {state: makeState(), window: null})
    expectUnknown(rule, {window: idleWindow()})
    expectUnknown(rule, {window: {...brokenWindow(), pmds: []}})
    expectUnknown(rule, {window: {...brokenWindow(), pmds: [pmd(1, 2), pmd(2, null)]}})
    const w = brokenWindow()
    expectUnknown(rule, {window: {...w, before: without(w.before, 'pmd-stats')}})
  })
})
