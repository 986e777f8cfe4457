import {describe, expect, it} from 'vitest'
import rule from '../../rules/dpdk-nic-driver-binding.js'
import type {HostState} from '../../src/model/host-state.js'
import type {DevbindDevice} from '../../src/parsers/types.js'
import {makeState, port, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

function device(pci: string, description: string, driver: string | null, extra: Partial<DevbindDevice> = {}): DevbindDevice {
  return {pci, description, deviceId: null, numaNode: 0, ifnames: [], driver, unused: [], active: false, section: driver === 'vfio-pci' ? 'dpdk' : 'kernel', ...extra}
}
const mlx = (driver: string, extra: Partial<DevbindDevice> = {}) => device('0000:41:00.0', 'MT27800 Family [ConnectX-5] 1017', driver, extra)
const intel = (driver: string | null, extra: Partial<DevbindDevice> = {}) => device('0000:03:00.0', 'Ethernet Controller X710 for 10GbE SFP+ 1572', driver, extra)

/** The factory host with an Intel dpdk1 port next to the mlx5 dpdk0. */
function withIntel(nics: DevbindDevice[], extra: Partial<HostState> = {}): HostState {
  const base = makeState()
  return makeState({
    ports: [...base.ports, port('dpdk1', 'dpdk', {ofport: 3, pciAddress: '0000:03:00.0', driverName: 'net_i40e', options: {'dpdk-devargs': '0000:03:00.0'}})],
    nics,
    ...extra,
  })
}

describe('dpdk-nic-driver-binding', () => {
  it.each([
    ['Intel NIC on its kernel driver', withIntel([mlx('mlx5_core'), intel('i40e', {ifnames: ['ens3f0']})]), ['dpdk1'], 'i40e'],
    ['Intel NIC on vfio-pci shown *Active*', withIntel([mlx('mlx5_core'), intel('vfio-pci', {active: true})]), ['dpdk1'], 'vfio-pci'],
    ['mlx5 bound to vfio-pci', withIntel([mlx('vfio-pci', {unused: ['mlx5_core']}), intel('vfio-pci')]), ['dpdk0'], 'vfio-pci'],
    ['mlx5 on igb_uio', makeState({nics: [mlx('igb_uio')]}), ['dpdk0'], 'igb_uio'],
  ])('fires: %s', (_name, state, subjects, driver) => {
    const result = expectFires(rule, {state}, subjects)
    expect(result.findings[0]!.severity).toBe('critical')
    expect(result.findings[0]!.evidence['driver']).toBe(driver)
  })

  it('fires from sysfs when devbind is missing and an Intel NIC still has a kernel netdev', () => {
    const base = withIntel([])
    const state = without({...base, interfaces: [...base.interfaces, {...base.interfaces[1]!, ifname: 'ens3f0', driver: 'i40e', pciAddress: '0000:03:00.0', ovsPort: null}]}, 'devbind')
    const result = expectFires(rule, {state}, ['dpdk1'])
    expect(result.findings[0]!.evidence['seenBy']).toBe('sysfs-net')
  })

  it('is quiet for mlx5 on mlx5_core (listed under "kernel driver") and Intel on vfio-pci', () => {
    expectQuiet(rule, {state: makeState({nics: [mlx('mlx5_core', {ifnames: ['enp65s0f0np0'], unused: ['vfio-pci']})]})})
    expectQuiet(rule, {state: withIntel([mlx('mlx5_core'), intel('vfio-pci', {unused: ['i40e']})])})
    // devbind missing: the mlx5 twin netdev in sysfs shows mlx5_core
    expectQuiet(rule, {state: without(makeState(), 'devbind')})
  })

  it('is not applicable with vdev-only dpdk ports', () => {
    const state = makeState({ports: [port('dpdk0', 'dpdk', {options: {'dpdk-devargs': 'net_af_packet0,iface=veth0'}, pciAddress: null, driverName: 'net_af_packet'})]})
    expectQuiet(rule, {state}, 'not-applicable')
  })

  it('is unknown without the Interface table, or without devbind and sysfs-net', () => {
    expectUnknown(rule, {state: without(makeState(), 'ovsdb-interface')})
    expectUnknown(rule, {state: without(makeState(), 'devbind', 'sysfs-net')})
    // mlx5 without devbind and without a netdev in sysfs: unbound or in another namespace
    expectUnknown(rule, {state: without(makeState({interfaces: []}), 'devbind')})
  })
})
