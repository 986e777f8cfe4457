import {describe, expect, it} from 'vitest'
import rule from '../../rules/internal-port-has-ip.js'
import {addr, brokenWindow, iface, makeState, port, route, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'
import type {HostState} from '../../src/model/host-state.js'

/** The healthy host with addresses put on ovsbr0. */
function withOvsbr0Addresses(state: HostState, ...cidrs: string[]): HostState {
  return {
    ...state,
    interfaces: state.interfaces.map((i) => (i.ifname === 'ovsbr0' ? {...i, addresses: cidrs.map((c) => addr(c))} : i)),
  }
}

describe('internal-port-has-ip', () => {
  it('fires critical on the seed host: two addresses on ovsbr0 and ip_forward=1', () => {
    const result = expectFires(rule, {state: brokenWindow().before}, ['ovsbr0'])
    const f = result.findings[0]!
    expect(f.severity).toBe('critical')
    expect(f.evidence).toMatchObject({addresses: ['192.168.100.1/24', '10.10.1.1/24'], datapathType: 'netdev', ipv4Forwarding: true})
    expect(f.message).toContain('192.168.100.1/24, 10.10.1.1/24')
    expect(f.fixes).toEqual([
      {kind: 'remove-address', ifname: 'ovsbr0', address: '192.168.100.1', prefixlen: 24, family: 'inet'},
      {kind: 'remove-address', ifname: 'ovsbr0', address: '10.10.1.1', prefixlen: 24, family: 'inet'},
    ])
  })

  const cases: Array<{name: string; state: HostState; severity: 'critical' | 'warning'}> = [
    {
      name: 'warning without forwarding and with only the connected route',
      state: {...withOvsbr0Addresses(makeState(), '10.10.1.1/24'), routes: [route('10.10.1.0/24', 'ovsbr0')]},
      severity: 'warning',
    },
    {
      // With forwarding off the kernel cannot route the VMs' traffic: the route carries the host's own.
      name: 'warning with forwarding off even when a static route points into the TAP',
      state: {
        ...withOvsbr0Addresses(makeState(), '10.10.1.1/24'),
        routes: [route('10.10.1.0/24', 'ovsbr0'), route('192.168.200.0/24', 'ovsbr0', {gateway: '10.10.1.254', protocol: 'static', scope: 'global'})],
      },
      severity: 'warning',
    },
    {
      name: 'critical when forwarding is unknown and a static route points into the TAP',
      state: {
        ...withOvsbr0Addresses(makeState({ipv4Forwarding: null, sysctl: {}}), '10.10.1.1/24'),
        routes: [route('10.10.1.0/24', 'ovsbr0'), route('192.168.200.0/24', 'ovsbr0', {gateway: '10.10.1.254', protocol: 'static', scope: 'global'})],
      },
      severity: 'critical',
    },
    {
      name: 'warning for a global IPv6 address (IPv4 forwarding does not count for it)',
      state: withOvsbr0Addresses(makeState({ipv4Forwarding: true}), '2001:db8::1/64'),
      severity: 'warning',
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const result = expectFires(rule, {state: c.state}, ['ovsbr0'])
      expect(result.findings[0]!.severity).toBe(c.severity)
    })
  }

  it('stays quiet on the fixed host and ignores link-local addresses', () => {
    expectQuiet(rule, {state: makeState()})
    const linkLocalOnly = {
      ...makeState({ipv4Forwarding: true}),
      interfaces: makeState().interfaces.map((i) =>
        i.ifname === 'ovsbr0' ? {...i, addresses: [addr('fe80::1/64', {scope: 'link'}), addr('169.254.3.1/16', {scope: 'link'})]} : i),
    }
    expectQuiet(rule, {state: linkLocalOnly})
  })

  it('ignores an internal port on a system (kernel) bridge', () => {
    const state = makeState({
      ipv4Forwarding: true,
      bridges: [...makeState().bridges, {name: 'br-mgmt', datapathType: 'system', ports: ['br-mgmt'], otherConfig: {}}],
      ports: [...makeState().ports, port('br-mgmt', 'internal', {bridge: 'br-mgmt'})],
      interfaces: [...makeState().interfaces, iface('br-mgmt', 'ovs-internal', {ovsPort: 'br-mgmt', addresses: [addr('192.0.2.50/24')]})],
    })
    expectQuiet(rule, {state})
  })

  it('is unknown without ip-addr or the bridge table', () => {
    expectUnknown(rule, {state: without(brokenWindow().before, 'ip-addr')})
    expectUnknown(rule, {state: without(brokenWindow().before, 'ovsdb-bridge')})
  })
})
