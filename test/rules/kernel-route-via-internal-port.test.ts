import {describe, expect, it} from 'vitest'
import rule from '../../rules/kernel-route-via-internal-port.js'
import type {HostState} from '../../src/model/host-state.js'
import {addr, brokenWindow, makeState, route, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const broken = (): HostState => brokenWindow().before

describe('kernel-route-via-internal-port', () => {
  it('fires on the seed host: ovsbr0 routes both VM subnets with ip_forward=1', () => {
    const result = expectFires(rule, {state: broken()}, ['ovsbr0'])
    const f = result.findings[0]!
    expect(f.severity).toBe('critical')
    expect(f.evidence).toMatchObject({
      routes: ['10.10.1.0/24 dev ovsbr0 proto kernel', '192.168.100.0/24 dev ovsbr0 proto kernel'],
      connectedRoutes: ['10.10.1.0/24 dev ovsbr0 proto kernel', '192.168.100.0/24 dev ovsbr0 proto kernel'],
      ipv4Forwarding: true,
    })
    // Connected routes go with the addresses: nothing to remove separately.
    expect(f.fixes).toEqual([])
    expect(f.message).toContain('the 2 connected routes go with its addresses')
  })

  it('suggests removing a static route via the TAP, not the connected ones', () => {
    const state = {...broken(), routes: [...broken().routes, route('10.20.0.0/16', 'ovsbr0', {gateway: '10.10.1.254', protocol: 'static', scope: 'global'})]}
    const f = expectFires(rule, {state}, ['ovsbr0']).findings[0]!
    expect(f.fixes).toEqual([{kind: 'remove-route', dst: '10.20.0.0/16', dev: 'ovsbr0', table: 'main', gateway: '10.10.1.254'}])
  })

  it('flags a prefix connected on both ovsbr0 and the kernel NIC', () => {
    const base = broken()
    const state: HostState = {
      ...base,
      interfaces: base.interfaces.map((i) => (i.ifname === 'enp65s0f0np0' ? {...i, addresses: [addr('10.10.1.1/24')]} : i)),
      routes: [...base.routes, route('10.10.1.0/24', 'enp65s0f0np0')],
    }
    const result = expectFires(rule, {state}, ['ovsbr0', '10.10.1.0/24'])
    const dup = result.findings.find((f) => f.subject === '10.10.1.0/24')!
    expect(dup.severity).toBe('critical')
    expect(dup.evidence).toMatchObject({internalPort: 'ovsbr0', kernelNic: 'enp65s0f0np0'})

    // Without forwarding only the duplicate remains, as a warning.
    const noForward = {...state, ipv4Forwarding: false}
    const quietTap = expectFires(rule, {state: noForward}, ['10.10.1.0/24'])
    expect(quietTap.findings[0]!.severity).toBe('warning')
  })

  it('stays quiet on the fixed host, even when it forwards, and ignores link-local routes', () => {
    expectQuiet(rule, {state: makeState()})
    const forwarding = makeState({
      ipv4Forwarding: true,
      routes: [...makeState().routes, route('fe80::/64', 'ovsbr0', {family: 'inet6'}), route('10.10.1.1', 'ovsbr0', {table: 'local', type: 'local'})],
      sysctl: {'net.ipv4.ip_forward': '1', 'net.ipv6.conf.all.forwarding': '1'},
    })
    expectQuiet(rule, {state: forwarding})
  })

  it('is unknown without routes or the forwarding sysctl', () => {
    expectUnknown(rule, {state: without(broken(), 'ip-route')})
    expectUnknown(rule, {state: without(broken(), 'sysctl-net')})
  })
})
