/**
 * The fix plan reads a bundle's ip -j output (diagnose builds its Fix section from it): entries that
 * do not have ip's shape are left out, never trusted (the fuzzer's route with dst -1 threw).
 */
import {describe, expect, it} from 'vitest'
import {parseIpState, routeKey} from '../../src/fix/ip-state.js'

describe('parseIpState on hostile JSON', () => {
  it('keeps the routes, links and addresses shaped as ip prints them and drops the rest', () => {
    const state = parseIpState(
      JSON.stringify([
        {ifname: 'ovsbr0', flags: ['UP', 7], addr_info: [{family: 'inet', local: '10.10.1.1', prefixlen: 24}, {family: 'inet', local: 5, prefixlen: 24}, null]},
        {ifname: 42},
        'x',
      ]),
      JSON.stringify([{dst: '10.10.1.0/24', dev: 'ovsbr0'}, {dst: -1}, {dst: 'default', gateway: 7}, {dst: 'default', metric: 'x'}, null]),
    )
    expect(state.links.map((l) => [l.ifname, l.flags, l.addr_info.map((a) => a.local)])).toEqual([['ovsbr0', ['UP'], ['10.10.1.1']]])
    expect(state.routes).toEqual([{dst: '10.10.1.0/24', dev: 'ovsbr0'}])
    expect(routeKey(state.routes[0]!)).toContain('10.10.1.0/24')
    expect(() => parseIpState('{}', '[]')).toThrow('not a JSON array')
  })
})
