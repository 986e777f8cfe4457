import {describe, expect, it} from 'vitest'
import rule from '../../rules/dpdk-nic-kernel-active.js'
import type {HostState} from '../../src/model/host-state.js'
import {brokenWindow, makeState, route, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const broken = (): HostState => brokenWindow().before

describe('dpdk-nic-kernel-active', () => {
  it('fires critical on the mlx5 twin of dpdk0 with an address and its route', () => {
    const result = expectFires(rule, {state: broken()}, ['enp65s0f0np0'])
    const f = result.findings[0]!
    expect(f.severity).toBe('critical')
    expect(f.evidence).toMatchObject({dpdkPort: 'dpdk0', twinBy: 'pci', addresses: ['172.16.0.1/24'], routes: ['172.16.0.0/24 dev enp65s0f0np0 proto kernel'], arp: 'on'})
    expect(f.fixes).toEqual([
      {kind: 'remove-address', ifname: 'enp65s0f0np0', address: '172.16.0.1', prefixlen: 24, family: 'inet'},
      {kind: 'set-arp-off', ifname: 'enp65s0f0np0'},
    ])
    // mlx5_core is the right driver for a bifurcated NIC: never suggest rebinding it.
    expect(JSON.stringify(f.fixes)).not.toMatch(/vfio|unbind/)
    expect(rule.meta.remediation).toContain('keep mlx5 bound to mlx5_core')
  })

  it('flags a static route alone, and removes it, without re-suggesting arp off when already off', () => {
    const base = makeState()
    const state: HostState = {
      ...base,
      interfaces: base.interfaces.map((i) => (i.ifname === 'enp65s0f0np0' ? {...i, flags: ['UP', 'NOARP']} : i)),
      routes: [...base.routes, route('10.20.0.0/16', 'enp65s0f0np0', {gateway: '172.16.0.254', protocol: 'static', scope: 'global'})],
    }
    const f = expectFires(rule, {state}, ['enp65s0f0np0']).findings[0]!
    expect(f.fixes).toEqual([{kind: 'remove-route', dst: '10.20.0.0/16', dev: 'enp65s0f0np0', table: 'main', gateway: '172.16.0.254'}])
  })

  it('is a warning when the twin was found through the FDB only', () => {
    const base = broken()
    const state: HostState = {...base, ports: base.ports.map((p) => (p.name === 'dpdk0' ? {...p, kernelTwinBy: 'fdb' as const} : p))}
    expect(expectFires(rule, {state}, ['enp65s0f0np0']).findings[0]!.severity).toBe('warning')
  })

  it('stays quiet on the fixed host (twin up, no address, no route)', () => {
    expectQuiet(rule, {state: makeState()})
  })

  it('is not applicable without a twin, and unknown when the twin cannot be looked for', () => {
    const noTwin = makeState({ports: makeState().ports.map((p) => ({...p, kernelTwin: null, kernelTwinBy: null}))})
    expectQuiet(rule, {state: noTwin}, 'not-applicable')
    expectUnknown(rule, {state: without(noTwin, 'sysfs-net')})
    expectUnknown(rule, {state: without(broken(), 'ip-addr')})
  })
})
