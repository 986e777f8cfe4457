/**
 * Live samples are read through the last full snapshot, without its counters: a live source the
 * live sample lacks must not freeze an interface's counters. ip-link, which watch's live samples
 * leave out, is carried for its link configuration only.
 */
import {describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import type {Sample} from '../../src/capture/types.js'
import {analyse} from '../../src/diagnose/analyse.js'
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

  // watch's live samples: dpctl/show -s, PMD stats and sysfs-stats (no ip-link, no dump-ports).
  const watchLive: Sample = {name: 'during', takenAt: during.takenAt, sources: Object.fromEntries(['dpctl-show', 'pmd-stats', 'sysfs-stats'].map((id) => [id, during.sources[id]!]))}

  it('ip-link missing from the live sample: the full sample\'s is carried, marked, one copy per source', () => {
    const seen = overlayLive(before, watchLive)
    expect(seen.sources['ip-link']).toMatchObject({carried: true, stdout: before.sources['ip-link']!.stdout})
    expect(overlayLive(before, watchLive).sources['ip-link']).toBe(seen.sources['ip-link'])
    expect(seen.sources['ofctl-ports.ovsbr0']).toBeUndefined()
    expect(seen.sources['sysfs-stats']).toBe(during.sources['sysfs-stats'])
  })

  it('watch\'s live samples give the same path and rates; a carried ip-link never stands in for missing counters', () => {
    const store = new WatchStore({host: {hostname: 'lab-host0', netns: 'lab-host0'}})
    store.addSample(before)
    store.addSample(watchLive)
    const frame = store.getSnapshot()
    expect(frame.path).toBe('KERNEL PATH')
    expect(frame.ports.find((p) => p.name === 'enp65s0f0np0')!.txMbps).toBeGreaterThan(400)

    // sysfs-stats failed this second: the kernel NIC has no rate, rather than a frozen 0 from the carried ip-link.
    const failed: Sample = {...watchLive, sources: {...watchLive.sources, 'sysfs-stats': {...watchLive.sources['sysfs-stats']!, status: 'timeout', stdout: ''}}}
    const blind = new WatchStore({host: {hostname: 'lab-host0', netns: 'lab-host0'}})
    blind.addSample(before)
    blind.addSample(failed)
    expect(blind.getSnapshot().ports.find((p) => p.name === 'enp65s0f0np0')).toBeUndefined()
  })
})

describe('PMD busy in a live window with PMD sleep', () => {
  // The real lab under load (pmd-maxsleep 1000 us): before and the final full snapshot.
  const capture = readCapture('fixtures/bundles/live-lab-fixed-load')
  const before = capture.samples[0]!
  const last = capture.samples[capture.samples.length - 1]!
  const liveOf = (ids: string[]): Sample => ({name: 'during', takenAt: last.takenAt, sources: Object.fromEntries(ids.map((id) => [id, last.sources[id]!]))})
  const busyOf = (live: Sample) => {
    const store = new WatchStore({host: {hostname: 'lab-host0', netns: 'lab-host0'}})
    store.addSample(before)
    store.addSample(live)
    return store.getSnapshot().pmds[0]!.busyPct!
  }

  it("with pmd-perf's sleep time in each live sample it is diagnose's figure; without it the sleeping PMD reads busier", () => {
    const diagnosed = analyse(capture, {input: {mode: 'bundle', bundle: null, savedTo: null}}).pmds![0]!.busyPct!
    const withSleep = busyOf(liveOf(['dpctl-show', 'pmd-perf', 'pmd-stats', 'sysfs-stats']))
    const withoutSleep = busyOf(liveOf(['dpctl-show', 'pmd-stats', 'sysfs-stats']))
    expect(withSleep).toBeCloseTo(diagnosed, 6)
    expect(withoutSleep).toBeGreaterThan(withSleep * 1.5)
  })
})
