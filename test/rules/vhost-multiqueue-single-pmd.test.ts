import {describe, expect, it} from 'vitest'
import rule from '../../rules/vhost-multiqueue-single-pmd.js'
import type {HostState} from '../../src/model/host-state.js'
import {makeState, pmd, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

function stateWith(nRxq: string | null, pmdCount: number): HostState {
  const base = makeState()
  return makeState({
    ports: base.ports.map((p) => {
      if (p.name !== 'vhost-user1') return p
      const status = {...p.status}
      if (nRxq === null) delete status['n_rxq']
      else status['n_rxq'] = nRxq
      return {...p, status}
    }),
    pmds: Array.from({length: pmdCount}, (_, i) => pmd(i + 1)),
  })
}

describe('vhost-multiqueue-single-pmd', () => {
  it('fires for a 4-queue vhost port with one PMD', () => {
    const result = expectFires(rule, {state: stateWith('4', 1)}, ['vhost-user1'])
    expect(result.findings[0]!.severity).toBe('warning')
    expect(result.findings[0]!.evidence).toMatchObject({nRxq: 4, pmdCount: 1})
  })

  it('is quiet with one queue or two PMDs', () => {
    expectQuiet(rule, {state: stateWith('1', 1)})
    expectQuiet(rule, {state: stateWith('4', 2)})
  })

  it('is unknown without n_rxq, without PMDs, or without pmd-rxq', () => {
    expectUnknown(rule, {state: stateWith(null, 1)})
    expectUnknown(rule, {state: stateWith('4', 0)})
    expectUnknown(rule, {state: without(stateWith('4', 1), 'pmd-rxq')})
  })
})
