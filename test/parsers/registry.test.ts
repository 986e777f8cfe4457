import {describe, expect, it} from 'vitest'
import {STATIC_SOURCES, bridgeSources, ethtoolSource} from '../../src/collect/sources.js'
import {baseSourceId} from '../../src/capture/types.js'
import {PARSERS, parseSource} from '../../src/parsers/index.js'

describe('parser registry', () => {
  it('has a parser for every source the collector produces', () => {
    const ids = [...STATIC_SOURCES, ...bridgeSources('br0'), ethtoolSource('eth0')].map((s) => baseSourceId(s.id))
    expect(ids.filter((id) => PARSERS[id] === undefined)).toEqual([])
  })

  it('passes the instance of a templated id to the parser', () => {
    const result = parseSource('fdb.br-int', ' port  VLAN  MAC                Age\n    1     0  52:54:00:02:d9:01    3\n')
    expect(result.ok && result.value).toEqual([{bridge: 'br-int', port: '1', vlan: 0, mac: '52:54:00:02:d9:01', age: 3, static: false}])
  })

  it('returns ok:false for an unknown id', () => {
    expect(parseSource('no-such-source.x', 'text')).toEqual({ok: false, error: 'no parser for no-such-source.x'})
  })
})

describe('guard', () => {
  it('turns an exception into ok:false marked as an internal error', async () => {
    const {guard, INTERNAL_ERROR} = await import('../../src/parsers/util.js')
    const result = guard('demo', () => {
      throw new Error('boom')
    })
    expect(result).toEqual({ok: false, error: `demo: ${INTERNAL_ERROR}: boom`})
  })
})
