import {describe, expect, it} from 'vitest'
import rule from '../../rules/hugepages-low.js'
import type {HostState} from '../../src/model/host-state.js'
import {makeState, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

function stateWith(total: number | null, free: number | null, otherConfig: Record<string, string> = {}): HostState {
  const base = makeState()
  return makeState({hugepages: {total, free, sizeKb: 2048}, ovs: {...base.ovs, otherConfig: {...base.ovs.otherConfig, ...otherConfig}}})
}

describe('hugepages-low', () => {
  it.each([
    ['no hugepages at all', stateWith(0, 0), 'critical', 0],
    ['less than 10 % free', stateWith(1024, 50), 'warning', 1024],
    ['--no-huge lab setup', stateWith(0, 0, {'dpdk-extra': '"--no-huge --vdev net_af_packet0,iface=veth0"'}), 'info', 0],
  ])('fires: %s', (_name, state, severity, total) => {
    const result = expectFires(rule, {state}, ['host'])
    expect(result.findings[0]!.severity).toBe(severity)
    expect(result.findings[0]!.evidence['hugepagesTotal']).toBe(total)
  })

  it('is quiet with enough free pages, not applicable without dpdk-init', () => {
    expectQuiet(rule, {state: stateWith(1024, 512)})
    expectQuiet(rule, {state: stateWith(1024, 103)})
    expectQuiet(rule, {state: stateWith(0, 0, {'dpdk-init': 'false'})}, 'not-applicable')
  })

  it('is unknown without meminfo or the hugepage counters', () => {
    expectUnknown(rule, {state: without(makeState(), 'meminfo')})
    expectUnknown(rule, {state: stateWith(null, null)})
    expectUnknown(rule, {state: stateWith(1024, null)})
  })
})
