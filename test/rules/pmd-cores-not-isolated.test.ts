import {describe, expect, it} from 'vitest'
import rule from '../../rules/pmd-cores-not-isolated.js'
import type {HostState} from '../../src/model/host-state.js'
import {makeState, pmd, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const stateWith = (pmdMask: string | null, cmdline: HostState['cmdline']): HostState => {
  const base = makeState()
  const otherConfig = {...base.ovs.otherConfig}
  if (pmdMask === null) delete otherConfig['pmd-cpu-mask']
  else otherConfig['pmd-cpu-mask'] = pmdMask
  return makeState({ovs: {...base.ovs, otherConfig}, cmdline, pmds: [pmd(2), pmd(3)]})
}

describe('pmd-cores-not-isolated', () => {
  it.each([
    ['no isolation at all', '0x3c', {}, '2-5'],
    ['partly isolated, mask without 0x', '3c', {isolcpus: 'managed_irq,domain,2-3'}, '4-5'],
    ['quoted mask, nohz_full elsewhere', '"0x30"', {nohz_full: '2-3', isolcpus: '8'}, '4-5'],
    ['mask unset: PMD thread cores', null, {isolcpus: '3'}, '2'],
  ])('fires: %s', (_name, mask, cmdline, notIsolated) => {
    const result = expectFires(rule, {state: stateWith(mask, cmdline)}, ['host'])
    expect(result.findings[0]!.severity).toBe('info')
    expect(result.findings[0]!.evidence['notIsolated']).toBe(notIsolated)
  })

  it('is quiet when every PMD core is in isolcpus or nohz_full', () => {
    expectQuiet(rule, {state: stateWith('0x3c', {isolcpus: '2-3', nohz_full: '4-5'})})
    expectQuiet(rule, {state: stateWith('0x3c', {isolcpus: '1-7'})})
  })

  it('is unknown without cmdline, with an unreadable list, or without Open_vSwitch', () => {
    expectUnknown(rule, {state: stateWith('0x3c', null)})
    expectUnknown(rule, {state: without(stateWith('0x3c', {}), 'cmdline')})
    expectUnknown(rule, {state: stateWith('0x3c', {isolcpus: '2-N'})})
    expectUnknown(rule, {state: without(stateWith('0x3c', {}), 'ovsdb-open_vswitch')})
  })
})
