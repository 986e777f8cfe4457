import {describe, expect, it} from 'vitest'
import rule from '../../rules/pmd-sleep-enabled.js'
import type {HostState} from '../../src/model/host-state.js'
import {makeState, makeWindow, path, pmd, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const stateWith = (otherConfig: Record<string, string>, sleepIterations = 0): HostState => {
  const base = makeState()
  return makeState({ovs: {...base.ovs, otherConfig: {...base.ovs.otherConfig, ...otherConfig}}, pmds: [pmd(1, {sleepIterations})]})
}

describe('pmd-sleep-enabled', () => {
  it.each([
    ['pmd-sleep-max', {'pmd-sleep-max': '"50"'}, 50],
    ['deprecated pmd-maxsleep', {'pmd-maxsleep': '100'}, 100],
    ['per-core values (3.3+)', {'pmd-sleep-max': '0,3:300'}, 300],
  ])('reports %s as info', (_name, config, maxUs) => {
    const result = expectFires(rule, {state: stateWith(config)}, ['host'])
    expect(result.findings[0]!.severity).toBe('info')
    expect(result.findings[0]!.evidence['maxSleepUs']).toBe(maxUs)
    expect(result.findings[0]!.fixes[0]).toMatchObject({kind: 'ovs-set', column: 'other_config:pmd-sleep-max', value: '0'})
  })

  it('stays info when PMDs slept during the load window, and says so (FIELD D10)', () => {
    const window = makeWindow({paths: [path('dpdk0', 'dpdk', 1e9)], before: stateWith({'pmd-sleep-max': '50'}, 100), during: {...stateWith({'pmd-sleep-max': '50'}, 4_100), sample: 'during'}})
    const result = expectFires(rule, {window}, ['host'])
    expect(result.findings[0]!.severity).toBe('info')
    expect(result.findings[0]!.evidence['sleepIterationsInWindow']).toEqual({'pmd core 1': 4_000})
  })

  it('is quiet when unset or 0', () => {
    expectQuiet(rule, {state: makeState()})
    expectQuiet(rule, {state: stateWith({'pmd-sleep-max': '0'})})
  })

  it('is unknown with an unreadable value, or without Open_vSwitch', () => {
    expectUnknown(rule, {state: stateWith({'pmd-sleep-max': 'lots'})})
    expectUnknown(rule, {state: without(stateWith({'pmd-sleep-max': '50'}), 'ovsdb-open_vswitch')})
  })
})
