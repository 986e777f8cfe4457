import {describe, expect, it} from 'vitest'
import rule from '../../rules/pmd-cpu-mask.js'
import type {HostState} from '../../src/model/host-state.js'
import {makeState, pmd, port, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

function stateWith(otherConfig: Record<string, string>, extra: Partial<HostState> = {}): HostState {
  const base = makeState()
  return makeState({ovs: {...base.ovs, otherConfig: {'dpdk-init': 'true', ...otherConfig}}, ...extra})
}

describe('pmd-cpu-mask', () => {
  it('warns when pmd-cpu-mask is unset', () => {
    const result = expectFires(rule, {state: stateWith({})}, ['pmd-cpu-mask'])
    expect(result.findings[0]!.severity).toBe('warning')
    expect(result.findings[0]!.evidence['pmdCpuMask']).toBeNull()
  })

  it('warns on lcore/PMD overlap and proposes the mask without the shared cores', () => {
    const result = expectFires(rule, {state: stateWith({'pmd-cpu-mask': '"3c"', 'dpdk-lcore-mask': '0x4'})}, ['pmd-cpu-mask'])
    const f = result.findings[0]!
    expect(f.evidence['overlap']).toBe('2')
    expect(f.fixes).toEqual([{kind: 'ovs-set', table: 'Open_vSwitch', record: '.', column: 'other_config:pmd-cpu-mask', value: '0x38'}])
  })

  it('is critical for a NUMA node with a DPDK port and no PMD', () => {
    const base = makeState()
    const state = stateWith({'pmd-cpu-mask': '0x2'}, {ports: [...base.ports, port('dpdk1', 'dpdk', {numaId: 1, pciAddress: '0000:82:00.0'})], pmds: [pmd(1, {numaId: 0})]})
    const result = expectFires(rule, {state}, ['numa 1'])
    expect(result.findings[0]!.severity).toBe('critical')
    expect(result.findings[0]!.evidence).toMatchObject({numa: 1, dpdkPorts: ['dpdk1'], pmdNumaNodes: [0]})
  })

  it('is quiet with a disjoint mask covering every DPDK NUMA node', () => {
    expectQuiet(rule, {state: makeState()})
    expectQuiet(rule, {state: stateWith({'pmd-cpu-mask': '0x0c', 'dpdk-lcore-mask': '0x1'})})
  })

  it('is unknown with an unreadable mask, without PMD threads, or without Open_vSwitch', () => {
    expectUnknown(rule, {state: stateWith({'pmd-cpu-mask': 'cores 2-5'})})
    expectUnknown(rule, {state: without(makeState(), 'pmd-rxq', 'pmd-stats')})
    expectUnknown(rule, {state: without(makeState(), 'ovsdb-open_vswitch')})
  })
})
