import {describe, expect, it} from 'vitest'
import rule from '../../rules/rxq-imbalance.js'
import type {PmdRxq} from '../../src/parsers/types.js'
import {makeState, pmd, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const q = (port: string, queueId: number, usagePct: number | null): PmdRxq => ({port, queueId, enabled: true, usagePct})
const twoPmds = (a: PmdRxq[], b: PmdRxq[]) => makeState({pmds: [pmd(2, {rxqs: a}), pmd(3, {rxqs: b})]})

describe('rxq-imbalance', () => {
  it('fires on a hot PMD next to a cold one', () => {
    const state = twoPmds([q('dpdk0', 0, 50), q('vhost-user1', 0, 35)], [q('dpdk0', 1, 5), q('vhost-user1', 1, null)])
    const result = expectFires(rule, {state}, ['pmd core 2'])
    const f = result.findings[0]!
    expect(f.severity).toBe('warning')
    expect(f.evidence['usagePct']).toBe(85)
    expect(f.evidence['coldPmds']).toEqual({'pmd core 3': 5})
    expect(f.fixes[0]).toMatchObject({kind: 'ovs-set', column: 'other_config:pmd-auto-lb', value: 'true'})
  })

  it('fires on a single hot rx queue even with one PMD', () => {
    const state = makeState({pmds: [pmd(2, {rxqs: [q('dpdk0', 0, 88)]})]})
    expect(expectFires(rule, {state}, ['pmd core 2']).findings[0]!.message).toContain('dpdk0 q0 88 %')
  })

  it('is quiet when balanced', () => {
    expectQuiet(rule, {state: twoPmds([q('dpdk0', 0, 45)], [q('dpdk0', 1, 40)])})
    // busy but nowhere to move to
    expectQuiet(rule, {state: twoPmds([q('dpdk0', 0, 45), q('vhost-user1', 0, 40)], [q('dpdk0', 1, 45), q('vhost-user1', 1, 40)])})
  })

  it('is unknown when every usage is NOT AVAIL, or without pmd-rxq', () => {
    expectUnknown(rule, {state: twoPmds([q('dpdk0', 0, null)], [q('dpdk0', 1, null)])})
    expectUnknown(rule, {state: without(twoPmds([q('dpdk0', 0, 90)], []), 'pmd-rxq')})
  })
})
