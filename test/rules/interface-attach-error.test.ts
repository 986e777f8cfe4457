import {describe, expect, it} from 'vitest'
import rule from '../../rules/interface-attach-error.js'
import {makeState, port, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const base = makeState()
const withPorts = (...ports: ReturnType<typeof port>[]) => makeState({ports: [...base.ports.filter((p) => p.name !== 'dpdk0'), ...ports]})

describe('interface-attach-error', () => {
  it.each([
    ['an error text', withPorts(port('dpdk0', 'dpdk', {ofport: -1, error: 'could not open network device dpdk0 (No such device)'})), ['dpdk0']],
    ['ofport -1 without error', withPorts(port('dpdk0', 'dpdk', {ofport: -1})), ['dpdk0']],
    ['an error with an ofport', withPorts(port('dpdk0', 'dpdk', {ofport: 1, error: 'bad devargs'})), ['dpdk0']],
  ])('fires on %s', (_name, state, subjects) => {
    const result = expectFires(rule, {state}, subjects)
    expect(result.findings[0]!.severity).toBe('critical')
    expect(result.findings[0]!.evidence['ofport']).toBe(state.ports.find((p) => p.name === 'dpdk0')!.ofport)
  })

  it('is quiet on attached ports', () => {
    expectQuiet(rule, {state: base})
    expectQuiet(rule, {state: withPorts(port('dpdk0', 'dpdk', {ofport: 1, error: '  '}))})
  })

  it('is unknown without the Interface table or without any ofport', () => {
    expectUnknown(rule, {state: without(base, 'ovsdb-interface')})
    expectUnknown(rule, {state: makeState({ports: base.ports.map((p) => ({...p, ofport: null}))})})
  })
})
