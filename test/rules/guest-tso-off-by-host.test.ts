import {describe, expect, it} from 'vitest'
import rule from '../../rules/guest-tso-off-by-host.js'
import {diagnoseBundle} from '../../src/diagnose/service.js'
import type {HostState} from '../../src/model/host-state.js'
import {makeState, makeWindow, path, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

/** The lab's testpmd guest on OVS 3.1 negotiated 0x0000000950008000 (fixtures/bundles/lab-fixed-huge-load): no CSUM, no HOST_TSO. */
const NO_TSO = '0x0000000950008000'
/** The same with CSUM (bit 0), HOST_TSO4 (11) and HOST_TSO6 (12): a kernel guest once the host offers them. */
const WITH_TSO = '0x0000000950009801'

function host(opts: {tso?: string; features?: string | null; status?: Record<string, string>; connected?: boolean}): HostState {
  const base = makeState()
  return makeState({
    ovs: {...base.ovs, otherConfig: {...base.ovs.otherConfig, ...(opts.tso === undefined ? {} : {'userspace-tso-enable': opts.tso})}},
    ports: base.ports.map((p) => {
      if (p.name !== 'vhost-user1') return p
      const status: Record<string, string> = {...p.status, status: opts.connected === false ? 'disconnected' : 'connected', ...opts.status}
      if (opts.features) status['features'] = opts.features
      return {...p, status}
    }),
  })
}

const loaded = (state: HostState, protocol = 'TCP') =>
  ({...makeWindow({before: state, during: {...state, sample: 'during'}, paths: [path('dpdk0', 'dpdk', 1e9), path('vhost-user1', 'vhost', 1e9)]}), load: {record: null, parseError: null, result: {tool: 'iperf3' as const, protocol, target: null, localHost: null, bytes: 1e9, bitsPerSecond: 8e8, retransmits: 0, durationS: 10, reverse: false, startedAtSecs: null, intervals: [], error: null}}})

describe('guest-tso-off-by-host', () => {
  it('OVS 3.1 (lab features, setting unset): fires, warning under a TCP load, info without a window', () => {
    const state = host({features: NO_TSO})
    const r = expectFires(rule, {window: loaded(state)}, ['vhost-user1'])
    expect(r.findings[0]).toMatchObject({severity: 'warning', limit: 'guest TSO off (host setting)'})
    expect(r.findings[0]!.evidence).toMatchObject({userspaceTsoEnable: null, hostTso4: false, hostTso6: false, features: NO_TSO})
    expect(expectFires(rule, {state}, ['vhost-user1']).findings[0]!.severity).toBe('info')
    expect(expectFires(rule, {window: loaded(state, 'UDP')}, ['vhost-user1']).findings[0]!.severity).toBe('info')
  })

  it('OVS 2.17 (features only, setting "false"): fires; OVS 3.3+ tx_tcp_seg_offload=false: fires', () => {
    expectFires(rule, {state: host({tso: 'false', features: NO_TSO})}, ['vhost-user1'])
    expectFires(rule, {state: host({status: {tx_tcp_seg_offload: 'false'}})}, ['vhost-user1'])
  })

  it('is quiet when the setting is on and the guest negotiated TSO (features, or 3.3+ tx_tcp_seg_offload=true)', () => {
    expectQuiet(rule, {state: host({tso: 'true', features: WITH_TSO})})
    expectQuiet(rule, {state: host({tso: 'true', status: {tx_tcp_seg_offload: 'true'}})})
  })

  it('setting on but the guest negotiated none: restart pending; status userspace-tso=disabled: refused', () => {
    const pending = expectFires(rule, {state: host({tso: 'true', features: NO_TSO})}, ['vhost-user1'])
    expect(pending.findings[0]!.limit).toBe('guest TSO off (restart pending)')
    const refused = expectFires(rule, {state: host({tso: 'true', features: NO_TSO, status: {'userspace-tso': 'disabled'}})}, ['vhost-user1'])
    expect(refused.findings[0]!.limit).toBe('guest TSO off (refused for this guest)')
  })

  it('is not applicable without a connected guest; unknown without the Open_vSwitch table', () => {
    expectQuiet(rule, {state: host({connected: false})}, 'not-applicable')
    expectUnknown(rule, {state: without(host({features: NO_TSO}), 'ovsdb-open_vswitch')})
  })

  it('fires on the real lab bundle (OVS 3.1, userspace-tso off): the verdict names it, exit 1', () => {
    const d = diagnoseBundle('fixtures/bundles/lab-fixed-huge-load')
    expect(d.findings.find((f) => f.ruleId === 'guest-tso-off-by-host')).toMatchObject({subject: 'vhost-user1', severity: 'warning'})
    expect(d.verdict.text).toBe('DPDK fast path: all load through dpdk0, limited by: guest TSO off (host setting)')
    expect(d.limitedBy).toEqual([{ruleId: 'guest-tso-off-by-host', subject: 'vhost-user1', severity: 'warning', text: 'guest TSO off (host setting)'}])
    expect(d.exitCode).toBe(1)
  })
})
