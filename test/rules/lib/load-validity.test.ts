import {describe, expect, it} from 'vitest'
import {crossHostLoad, invalidLoadOutcome, loadBitsPerSecond} from '../../../rules/lib/load-validity.js'
import {brokenWindow, fixedWindow, iperf, makeWindow, path} from '../../helpers/factory.js'

describe('rules/lib/load-validity', () => {
  it('accepts the broken and the fixed cross-host windows', () => {
    expect(crossHostLoad(brokenWindow())).toEqual({ok: true})
    expect(crossHostLoad(fixedWindow())).toEqual({ok: true})
  })

  it('rejects an iperf3 target that is a host address (G1)', () => {
    const window = {...brokenWindow(), loadTarget: '10.10.1.1'}
    const v = crossHostLoad(window)
    expect(v).toMatchObject({ok: false, kind: 'host-target'})
    expect(!v.ok && v.why).toContain('10.10.1.1')
    expect(!v.ok && v.why).toContain('ovsbr0')
    expect(invalidLoadOutcome(window)).toHaveProperty('notApplicable')
  })

  it('rejects iperf3 run from the host itself', () => {
    const window = makeWindow({paths: [path('enp65s0f0np0', 'kernel-nic', 1e9)], load: iperf({localHost: '192.0.2.10'})})
    expect(crossHostLoad(window)).toMatchObject({ok: false, kind: 'host-target'})
  })

  it('reports no traffic as unknown', () => {
    const window = makeWindow({paths: [path('vhost-user1', 'vhost', 0, 0), path('dpdk0', 'dpdk', 0, 0)]})
    expect(crossHostLoad(window)).toMatchObject({ok: false, kind: 'no-traffic'})
    expect(invalidLoadOutcome(window)).toEqual({unknown: 'no load traffic seen in the window'})
  })

  it('recognises a same-host VM-to-VM test (G2), and not when dpdk0 also carried load', () => {
    const sameHost = makeWindow({paths: [path('vhost-user1', 'vhost', 1e9), path('vhost-user2', 'vhost', 1e9), path('dpdk0', 'dpdk', 1000)]})
    expect(crossHostLoad(sameHost)).toMatchObject({ok: false, kind: 'same-host'})
    const mixed = makeWindow({paths: [path('vhost-user1', 'vhost', 1e9), path('vhost-user2', 'vhost', 1e9), path('dpdk0', 'dpdk', 1e9)]})
    expect(crossHostLoad(mixed)).toEqual({ok: true})
    const oneVm = makeWindow({paths: [path('vhost-user1', 'vhost', 1e9), path('vhost-user2', 'vhost', 1e6)]})
    expect(crossHostLoad(oneVm)).toEqual({ok: true})
  })

  it('takes the load rate from iperf3, else from the vhost bytes', () => {
    expect(loadBitsPerSecond(brokenWindow())).toEqual({bitsPerSecond: 2.76e9, from: 'iperf3'})
    const noIperf = makeWindow({paths: [path('vhost-user1', 'vhost', 2.5e9)], load: null, durationS: 10})
    expect(loadBitsPerSecond(noIperf)).toEqual({bitsPerSecond: 2e9, from: 'vhost-bytes'})
  })
})
