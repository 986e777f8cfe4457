import {describe, expect, it} from 'vitest'
import rule from '../../rules/fdb-remote-mac-not-on-dpdk-port.js'
import type {FdbRow} from '../../src/model/host-state.js'
import type {LoadWindow} from '../../src/window/types.js'
import {brokenWindow, fixedWindow, makeState, without} from '../helpers/factory.js'
import {hostTargetWindow, idleWindow, sameHostWindow} from '../helpers/load-windows.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

function withFdb(window: LoadWindow, fdb: FdbRow[]): LoadWindow {
  return {...window, during: {...window.during, fdb}}
}
const row = (portName: string, mac: string): FdbRow => ({bridge: 'ovsbr0', port: '1', portName, vlan: 0, mac, age: 0, static: false})

describe('fdb-remote-mac-not-on-dpdk-port', () => {
  it('fires on the seed window: dpdk0 learned the host kernel NIC MAC and no remote MAC', () => {
    const f = expectFires(rule, {window: brokenWindow()}, ['dpdk0']).findings[0]!
    expect(f.severity).toBe('critical')
    expect(f.evidence).toMatchObject({
      bridge: 'ovsbr0',
      hostMacsOnPort: [{mac: '0c:42:a1:67:d5:e7', ifname: 'enp65s0f0np0'}],
      remoteMacsOnPort: [],
      vhostBytes: 560e6,
    })
    expect(f.message).toContain('0c:42:a1:67:d5:e7 (enp65s0f0np0)')
    expect(f.message).toContain('and no remote MAC')
  })

  it('fires when no remote MAC was learned on dpdk0 while the VM moved traffic', () => {
    const window = withFdb(fixedWindow(), [row('vhost-user1', '02:00:00:00:10:10')])
    const f = expectFires(rule, {window}, ['dpdk0']).findings[0]!
    expect(f.message).toContain('learned no remote MAC while the VMs on ovsbr0 moved 1.40 GB')
  })

  it('matches host MACs case-insensitively', () => {
    const window = withFdb(fixedWindow(), [row('dpdk0', '0C:42:A1:67:D5:E7'), row('dpdk0', '02:00:00:00:20:20')])
    const f = expectFires(rule, {window}, ['dpdk0']).findings[0]!
    expect(f.evidence['remoteMacsOnPort']).toEqual(['02:00:00:00:20:20'])
  })

  it('stays quiet on the fixed window: the remote VM MAC is on dpdk0', () => {
    expectQuiet(rule, {window: fixedWindow()})
  })

  it('is not applicable for a host target (G1) or a same-host test (G2)', () => {
    expectQuiet(rule, {window: hostTargetWindow()}, 'not-applicable')
    expectQuiet(rule, {window: sameHostWindow()}, 'not-applicable')
  })

  it('is unknown without a window, without traffic, or without the FDB dump', () => {
    expectUnknown(rule, {state: makeState(), window: null})
    expectUnknown(rule, {window: idleWindow()})
    const w = brokenWindow()
    expectUnknown(rule, {window: {...w, during: without(w.during, 'fdb')}})
  })
})
