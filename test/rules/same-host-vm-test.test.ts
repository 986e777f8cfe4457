import {describe, expect, it} from 'vitest'
import rule from '../../rules/same-host-vm-test.js'
import {brokenWindow, fixedWindow, makeState, makeWindow, path} from '../helpers/factory.js'
import {idleWindow, sameHostWindow} from '../helpers/load-windows.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

describe('same-host-vm-test', () => {
  it('reports a vhost <-> vhost load as info', () => {
    const f = expectFires(rule, {window: sameHostWindow()}, ['vhost-user1, vhost-user2']).findings[0]!
    expect(f.severity).toBe('info')
    expect(f.evidence).toMatchObject({referenceBytes: 2.4e9, dpdkShare: 0, internalShare: 0, kernelNicShare: 0, maxOtherShare: 0.1})
    expect(f.message).toContain('dpdk0 idle is expected')
  })

  it('stays quiet for cross-host loads (broken and fixed) and for one busy VM', () => {
    expectQuiet(rule, {window: brokenWindow()})
    expectQuiet(rule, {window: fixedWindow()})
    expectQuiet(rule, {window: makeWindow({paths: [path('vhost-user1', 'vhost', 1e9), path('vhost-user2', 'vhost', 2e6), path('dpdk0', 'dpdk', 0, 0)]})})
  })

  it('stays quiet when dpdk0 carried more than the threshold, and honours an override', () => {
    const partly = makeWindow({paths: [path('vhost-user1', 'vhost', 1e9), path('vhost-user2', 'vhost', 1e9), path('dpdk0', 'dpdk', 0.3e9)]})
    expectQuiet(rule, {window: partly})
    expectFires(rule, {window: partly, thresholds: {maxOtherShare: 0.2}}, ['vhost-user1, vhost-user2'])
  })

  it('is unknown without a window or without traffic', () => {
    expectUnknown(rule, {state: makeState(), window: null})
    expectUnknown(rule, {window: idleWindow()})
  })
})
