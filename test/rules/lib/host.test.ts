import {describe, expect, it} from 'vitest'
import {
  forwardingRoutes,
  forwards,
  globalAddresses,
  hostAddresses,
  isConnectedRoute,
  netdevInternalPorts,
} from '../../../rules/lib/host.js'
import {addr, brokenWindow, iface, makeState, port, route} from '../../helpers/factory.js'

describe('rules/lib/host', () => {
  it('keeps only global addresses', () => {
    const i = iface('ovsbr0', 'ovs-internal', {
      addresses: [addr('10.10.1.1/24'), addr('fe80::1/64', {scope: 'link'}), addr('fe80::2/64'), addr('127.0.0.2/8', {scope: 'host'}), addr('2001:db8::1/64')],
    })
    expect(globalAddresses(i).map((a) => a.local)).toEqual(['10.10.1.1', '2001:db8::1'])
  })

  it('finds internal ports of netdev bridges only', () => {
    const state = makeState({
      bridges: [...makeState().bridges, {name: 'br-ex', datapathType: '', ports: ['br-ex'], otherConfig: {}}],
      ports: [...makeState().ports, port('br-ex', 'internal', {bridge: 'br-ex'})],
      interfaces: [...makeState().interfaces, iface('br-ex', 'ovs-internal', {ovsPort: 'br-ex'})],
    })
    expect(netdevInternalPorts(state).map((p) => `${p.iface.ifname}@${p.bridge.name}`)).toEqual(['ovsbr0@ovsbr0'])
  })

  it('drops local/broadcast, link-local and multicast routes', () => {
    const routes = [
      route('10.10.1.0/24', 'ovsbr0'),
      route('10.10.1.1', 'ovsbr0', {table: 'local', type: 'local'}),
      route('fe80::/64', 'ovsbr0', {family: 'inet6'}),
      route('ff00::/8', 'ovsbr0', {family: 'inet6', table: 'local', type: 'multicast'}),
      route('default', 'eno1', {gateway: '192.0.2.1'}),
    ]
    expect(forwardingRoutes(routes).map((r) => r.dst)).toEqual(['10.10.1.0/24', 'default'])
  })

  it('tells connected routes from static ones', () => {
    const i = iface('ovsbr0', 'ovs-internal', {addresses: [addr('10.10.1.1/24')]})
    expect(isConnectedRoute(route('10.10.1.0/24', 'ovsbr0'), i)).toBe(true)
    expect(isConnectedRoute(route('10.10.1.0/24', 'ovsbr0', {protocol: 'static'}), i)).toBe(false)
    expect(isConnectedRoute(route('10.20.0.0/16', 'ovsbr0'), i)).toBe(false)
    expect(isConnectedRoute(route('default', 'ovsbr0', {gateway: '10.10.1.254'}), i)).toBe(false)
  })

  it('reads forwarding per family and collects host addresses', () => {
    const state = brokenWindow().before
    expect(forwards(state, 'inet')).toBe(true)
    expect(forwards(state, 'inet6')).toBeNull()
    expect(forwards({...state, sysctl: {'net.ipv6.conf.all.forwarding': '1'}}, 'inet6')).toBe(true)
    const owners = hostAddresses(state)
    expect(owners.get('10.10.1.1')).toBe('ovsbr0')
    expect(owners.get('172.16.0.1')).toBe('enp65s0f0np0')
    expect(owners.has('10.10.1.20')).toBe(false)
  })
})
