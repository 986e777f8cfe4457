import {describe, expect, it} from 'vitest'
import rule from '../../rules/option-has-no-effect.js'
import type {HostState} from '../../src/model/host-state.js'
import {makeState, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

function withOptions(byPort: Record<string, Record<string, string>>, type?: string): HostState {
  const base = makeState()
  return makeState({ports: base.ports.map((p) => (byPort[p.name] ? {...p, options: {...p.options, ...byPort[p.name]}, ...(type ? {type} : {})} : p))})
}

describe('option-has-no-effect', () => {
  it('options:n_rxq=2 on a dpdkvhostuserclient port (as a published cloud-hypervisor setup sets it) is info', () => {
    const r = expectFires(rule, {state: withOptions({'vhost-user1': {'vhost-server-path': '/var/lib/virshle/vm/test/net/main.sock', n_rxq: '2'}})}, ['vhost-user1'])
    expect(r.findings[0]).toMatchObject({severity: 'info'})
    expect(r.findings[0]!.message).toMatch(/takes its queue count from the guest/)
  })

  it('n_txq anywhere but netdev-dummy, descriptor counts on vhost', () => {
    expectFires(rule, {state: withOptions({dpdk0: {n_txq: '4'}})}, ['dpdk0'])
    expectFires(rule, {state: withOptions({'vhost-user1': {n_rxq_desc: '2048'}})}, ['vhost-user1'])
    expectQuiet(rule, {state: withOptions({dpdk0: {n_txq: '4'}}, 'dummy-pmd')})
  })

  it('is quiet for options that act (n_rxq and n_rxq_desc on a dpdk port); unknown without the Interface table', () => {
    expectQuiet(rule, {state: withOptions({dpdk0: {n_rxq: '2', n_rxq_desc: '2048'}})})
    expectUnknown(rule, {state: without(makeState(), 'ovsdb-interface')})
  })
})
