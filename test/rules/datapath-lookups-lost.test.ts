import {describe, expect, it} from 'vitest'
import rule from '../../rules/datapath-lookups-lost.js'
import type {LoadWindow} from '../../src/window/types.js'
import {fixedWindow, makeState} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'

const windowWith = (datapathLostDelta: number | null, lostUpcalls: number | null): LoadWindow => {
  const w = fixedWindow()
  return {...w, datapathLostDelta, pmds: w.pmds.map((p) => ({...p, lostUpcalls}))}
}

describe('datapath-lookups-lost', () => {
  it.each([
    ['dpctl lost', windowWith(17, 0), 17],
    ['PMD lost upcalls', windowWith(null, 9), 9],
  ])('fires on %s', (_name, window, lost) => {
    const result = expectFires(rule, {window}, ['datapath'])
    expect(result.findings[0]!.severity).toBe('warning')
    expect(result.findings[0]!.message).toContain(`lost ${lost} packets`)
  })

  it('is quiet with nothing lost', () => {
    expectQuiet(rule, {window: windowWith(0, 0)})
  })

  it('is unknown without either counter, or without a window', () => {
    expectUnknown(rule, {window: windowWith(null, null)})
    expectUnknown(rule, {state: makeState()})
  })
})
