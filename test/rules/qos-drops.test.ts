import {describe, expect, it} from 'vitest'
import rule from '../../rules/qos-drops.js'
import {makeState, makeWindow, path} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const windowWith = (deltas: Record<string, Record<string, number>>) => makeWindow({paths: [path('vhost-user1', 'vhost', 1e9)], statisticsDeltas: deltas})

describe('qos-drops', () => {
  it('fires on ingress policing drops with an ingress_policing_rate fix', () => {
    const result = expectFires(rule, {window: windowWith({'vhost-user1': {ovs_rx_qos_drops: 3_200, ovs_tx_qos_drops: 0}})}, ['vhost-user1'])
    const f = result.findings[0]!
    expect(f.severity).toBe('warning')
    expect(f.evidence).toMatchObject({rxQosDrops: 3_200, txQosDrops: 0})
    expect(f.fixes).toEqual([{kind: 'ovs-set', table: 'Interface', record: 'vhost-user1', column: 'ingress_policing_rate', value: '0'}])
  })

  it('fires on egress QoS drops with a manual fix', () => {
    const result = expectFires(rule, {window: windowWith({dpdk0: {ovs_tx_qos_drops: 12}})}, ['dpdk0'])
    expect(result.findings[0]!.fixes[0]!.kind).toBe('manual')
  })

  it('is quiet without QoS drops', () => {
    expectQuiet(rule, {window: windowWith({'vhost-user1': {ovs_rx_qos_drops: 0, ovs_tx_qos_drops: 0}})})
  })

  it('is unknown when the counters are not reported, or without a window', () => {
    expectUnknown(rule, {window: windowWith({})})
    expectUnknown(rule, {state: makeState()})
  })
})
