import {describe, expect, it} from 'vitest'
import rule from '../../rules/dpdk-not-initialized.js'
import {makeState, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const ovs = (otherConfig: Record<string, string>, dpdkInitialized: boolean | null) =>
  makeState({ovs: {reachable: true, dpdkInitRequested: null, dpdkInitialized, dpdkCompiled: true, netdevDatapath: true, otherConfig}})

describe('dpdk-not-initialized', () => {
  it.each([
    ['true', {'dpdk-init': 'true'}],
    ['quoted "try"', {'dpdk-init': '"try"'}],
  ])('fires when dpdk-init=%s and dpdk_initialized is false', (_name, otherConfig) => {
    const result = expectFires(rule, {state: ovs(otherConfig, false)}, ['host'])
    expect(result.findings[0]!.severity).toBe('critical')
    expect(result.findings[0]!.evidence['dpdkInitialized']).toBe(false)
  })

  it('is quiet when initialised, not applicable when not requested', () => {
    expectQuiet(rule, {state: ovs({'dpdk-init': 'true'}, true)})
    expectQuiet(rule, {state: ovs({'dpdk-init': 'false'}, false)}, 'not-applicable')
  })

  it('is unknown without the source or the column', () => {
    expectUnknown(rule, {state: without(makeState(), 'ovsdb-open_vswitch')})
    expectUnknown(rule, {state: ovs({'dpdk-init': 'true'}, null)})
    expectUnknown(rule, {state: ovs({}, false)})
  })
})
