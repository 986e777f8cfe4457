/**
 * Live samples are read through the last full snapshot, without its counters: a live source the
 * live sample lacks (sysfs-stats, left out in a netns) must not freeze an interface's counters.
 */
import {describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import type {Sample} from '../../src/capture/types.js'
import {overlayLive} from '../../src/watch/analysis.js'
import {WatchStore} from '../../src/watch/store.js'
import {BROKEN} from './helpers.js'

const LIVE_IN_NETNS = ['ip-link', 'dpctl-show', 'pmd-stats', 'ofctl-ports.ovsbr0']

describe('overlayLive', () => {
  const [before, during] = readCapture(BROKEN).samples as [Sample, Sample]
  const live: Sample = {name: 'during', takenAt: during.takenAt, sources: Object.fromEntries(LIVE_IN_NETNS.map((id) => [id, during.sources[id]!]))}

  it('keeps the configuration, takes the live counters, drops the full sample\'s other counters', () => {
    const seen = overlayLive(before, live)
    expect(seen.sources['ovsdb-interface']).toBe(before.sources['ovsdb-interface'])
    expect(seen.sources['ip-link']).toBe(during.sources['ip-link'])
    expect(seen.sources['sysfs-stats']).toBeUndefined()
  })

  it('the kernel NIC\'s rate comes from ip -s link when sysfs-stats was not sampled', () => {
    const store = new WatchStore({host: {hostname: 'lab-host0', netns: 'lab-host0'}})
    store.addSample(before)
    store.addSample(live)
    const nic = store.getSnapshot().ports.find((p) => p.name === 'enp65s0f0np0')!
    expect(nic.txMbps).toBeGreaterThan(400)
    expect(store.getSnapshot().path).toBe('KERNEL PATH')
    expect(store.getSnapshot().verdictText).toBe('Traffic is bypassing DPDK: VM -> ovsbr0 (kernel) -> enp65s0f0np0')
  })
})
