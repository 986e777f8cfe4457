import {describe, expect, it} from 'vitest'
import rule from '../../rules/kernel-nic-carries-load.js'
import {brokenWindow, fixedWindow, makeState, makeWindow, path, without} from '../helpers/factory.js'
import {hostTargetWindow, idleWindow, sameHostWindow} from '../helpers/load-windows.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

describe('kernel-nic-carries-load', () => {
  it('fires critical on the seed window: enp65s0f0np0 carried all of the VM traffic', () => {
    const f = expectFires(rule, {window: brokenWindow()}, ['enp65s0f0np0']).findings[0]!
    expect(f.severity).toBe('critical')
    expect(f.evidence).toMatchObject({bytes: 560e6, packets: 373_333, byteShare: 1, failShare: 0.1, warnShare: 0.01})
    expect(f.message).toContain('enp65s0f0np0 moved 560 MB (373,333 packets)')
    expect(f.message).toContain('kernel NICs carried 100 % of the VM traffic (warn > 1 %, fail > 10 %)')
  })

  const tiers = [
    {name: '5 % -> warning', nicBytes: 0.05e9, severity: 'warning'},
    {name: '20 % -> critical', nicBytes: 0.2e9, severity: 'critical'},
  ] as const
  for (const t of tiers) {
    it(t.name, () => {
      const window = makeWindow({
        paths: [path('vhost-user1', 'vhost', 1e9), path('dpdk0', 'dpdk', 1e9 - t.nicBytes), path('eno1', 'kernel-nic', 1e6), path('enp65s0f0np0', 'kernel-nic', t.nicBytes)],
      })
      const f = expectFires(rule, {window}, ['enp65s0f0np0']).findings[0]!
      expect(f.severity).toBe(t.severity)
    })
  }

  it('stays quiet on the fixed window and below 1 %', () => {
    expectQuiet(rule, {window: fixedWindow()})
    expectQuiet(rule, {window: makeWindow({paths: [path('vhost-user1', 'vhost', 1e9), path('dpdk0', 'dpdk', 1e9), path('eno1', 'kernel-nic', 5e6)]})})
  })

  it('is not applicable for a host target (G1) or a same-host test (G2)', () => {
    expectQuiet(rule, {window: hostTargetWindow()}, 'not-applicable')
    expectQuiet(rule, {window: sameHostWindow()}, 'not-applicable')
  })

  it('is unknown without a window, without traffic, or without kernel counters in both samples', () => {
    expectUnknown(rule, {state: makeState(), window: null})
    expectUnknown(rule, {window: idleWindow()})
    const w = brokenWindow()
    expectUnknown(rule, {window: {...w, during: without(w.during, 'ip-link', 'sysfs-stats')}})
  })
})
