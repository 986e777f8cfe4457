import {describe, expect, it} from 'vitest'
import {hasAnySource, windowHasAnySource} from '../../../rules/lib/sources.js'
import {brokenWindow, makeState, without} from '../../helpers/factory.js'

describe('rules/lib/sources', () => {
  it('accepts either source, per sample and across both window samples', () => {
    expect(hasAnySource(without(makeState(), 'ip-link'), ['sysfs-stats', 'ip-link'])).toBe(true)
    expect(hasAnySource(without(makeState(), 'ip-link', 'sysfs-stats'), ['sysfs-stats', 'ip-link'])).toBe(false)
    expect(hasAnySource(makeState(), ['fdb'])).toBe(true)
    const w = brokenWindow()
    expect(windowHasAnySource(w, ['ip-link'])).toBe(true)
    expect(windowHasAnySource({...w, before: without(w.before, 'ip-link')}, ['ip-link'])).toBe(false)
  })
})
