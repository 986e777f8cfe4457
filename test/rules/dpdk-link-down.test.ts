import {describe, expect, it} from 'vitest'
import rule from '../../rules/dpdk-link-down.js'
import type {OvsPortState} from '../../src/model/host-state.js'
import {makeState, makeWindow, path, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const withDpdk0 = (extra: Partial<OvsPortState>) => {
  const base = makeState()
  return makeState({ports: base.ports.map((p) => (p.name === 'dpdk0' ? {...p, ...extra} : p))})
}
const flapWindow = (before: number, during: number) =>
  makeWindow({paths: [path('dpdk0', 'dpdk', 1e9)], before: withDpdk0({linkResets: before}), during: {...withDpdk0({linkResets: during}), sample: 'during'}})

describe('dpdk-link-down', () => {
  it('fires critical on link_state down', () => {
    const result = expectFires(rule, {state: withDpdk0({linkState: 'down', linkResets: 3})}, ['dpdk0'])
    expect(result.findings[0]!.severity).toBe('critical')
    expect(result.findings[0]!.evidence['linkResets']).toBe(3)
  })

  it('fires warning when the link reset during the window', () => {
    const result = expectFires(rule, {window: flapWindow(2, 5)}, ['dpdk0'])
    expect(result.findings[0]!.severity).toBe('warning')
    expect(result.findings[0]!.evidence['linkResetsInWindow']).toBe(3)
  })

  it('is quiet when up and stable, with or without a window', () => {
    expectQuiet(rule, {state: makeState()})
    expectQuiet(rule, {window: flapWindow(2, 2)})
    expectQuiet(rule, {window: flapWindow(2, 4), thresholds: {maxLinkResetsInWindow: 2}})
  })

  it('is unknown without the Interface table or link_state', () => {
    expectUnknown(rule, {state: without(makeState(), 'ovsdb-interface')})
    expectUnknown(rule, {state: withDpdk0({linkState: null})})
  })
})
