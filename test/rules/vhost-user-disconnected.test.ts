import {describe, expect, it} from 'vitest'
import rule from '../../rules/vhost-user-disconnected.js'
import type {OvsPortState} from '../../src/model/host-state.js'
import {makeState, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const withVhost = (extra: Partial<OvsPortState>) => {
  const base = makeState()
  return makeState({ports: base.ports.map((p) => (p.name === 'vhost-user1' ? {...p, ...extra} : p))})
}

describe('vhost-user-disconnected', () => {
  it.each([
    ['status disconnected', withVhost({status: {status: 'disconnected'}, options: {'vhost-server-path': '/run/vm1.sock'}}), 'disconnected'],
    ['link down while connected', withVhost({linkState: 'down'}), 'connected'],
  ])('fires on %s', (_name, state, status) => {
    const result = expectFires(rule, {state}, ['vhost-user1'])
    expect(result.findings[0]!.severity).toBe('critical')
    expect(result.findings[0]!.evidence['status']).toBe(status)
  })

  it('is quiet when connected, not applicable without vhost ports', () => {
    expectQuiet(rule, {state: makeState()})
    expectQuiet(rule, {state: makeState({ports: makeState().ports.filter((p) => p.class !== 'vhost')})}, 'not-applicable')
  })

  it('is unknown without status and link state, or without the Interface table', () => {
    expectUnknown(rule, {state: withVhost({status: {}, linkState: null})})
    expectUnknown(rule, {state: without(makeState(), 'ovsdb-interface')})
  })
})
