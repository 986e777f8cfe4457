/**
 * The protected set (SAFETY B12): SSH_CONNECTION, established sshd connections from `ss` (which
 * survive sudo's env_reset), IPv6 clients, clients reached over a non-default route; and what
 * breaks it (B13).
 */
import {describe, expect, it} from 'vitest'
import {computeProtectedSet, impactOf, parseSshConnection, parseSsSessions} from '../../src/fix/protected.js'
import {brokenHostState, FakeHost} from './fake-host.js'

const SS_V4 = 'ESTAB 0      0          192.0.2.10:22     198.51.100.7:51000 users:(("sshd",pid=812,fd=4),("sshd",pid=790,fd=4))\n' +
  '0      0          192.0.2.10:443    198.51.100.9:40000 users:(("nginx",pid=99,fd=7))\n'
const SS_V6 = '0      0      [2001:db8::10]:22    [2001:db8:ffff::7]:50022 users:(("sshd",pid=900,fd=4))\n'
const SS_MAPPED = '0      0      [::ffff:10.10.1.1]:22    [::ffff:10.10.1.50]:50022 users:(("sshd",pid=901,fd=4))\n'

describe('parsing', () => {
  it('reads SSH_CONNECTION', () => {
    expect(parseSshConnection('198.51.100.7 51000 192.0.2.10 22')).toEqual({client: '198.51.100.7', clientPort: 51000, server: '192.0.2.10', serverPort: 22, source: 'SSH_CONNECTION'})
    expect(parseSshConnection(undefined)).toBeNull()
    expect(parseSshConnection('')).toBeNull()
  })

  it('keeps only sshd connections from ss, IPv4, IPv6 and v4-mapped', () => {
    expect(parseSsSessions(SS_V4)).toEqual([{client: '198.51.100.7', clientPort: 51000, server: '192.0.2.10', serverPort: 22, source: 'ss'}])
    expect(parseSsSessions(SS_V6)).toEqual([{client: '2001:db8:ffff::7', clientPort: 50022, server: '2001:db8::10', serverPort: 22, source: 'ss'}])
    expect(parseSsSessions(SS_MAPPED)[0]).toMatchObject({client: '10.10.1.50', server: '10.10.1.1'})
  })
})

describe('computeProtectedSet', () => {
  it('(a) SSH_CONNECTION set: its server address, the owning interface and the egress device', async () => {
    const host = new FakeHost(brokenHostState())
    const set = await computeProtectedSet({runner: host, netns: null, state: host.state, env: {SSH_CONNECTION: '198.51.100.7 51000 192.0.2.10 22'}})
    expect(set.complete).toBe(true)
    expect(set.sessions[0]).toMatchObject({source: 'SSH_CONNECTION', serverDev: 'eth0', egressDev: 'eth0'})
    expect(set.addresses).toContain('192.0.2.10')
    expect(set.devices).toContain('eth0')
    expect(set.defaultRoutes).toEqual(['default via 192.0.2.1 dev eth0'])
    expect(host.calls).toContainEqual(['ip', '-j', 'route', 'get', '198.51.100.7', 'from', '192.0.2.10'])
  })

  it('(b) SSH_CONNECTION unset (sudo strips it) but ss shows sshd on 192.0.2.10', async () => {
    const host = new FakeHost(brokenHostState())
    host.ssOutput = SS_V4
    const set = await computeProtectedSet({runner: host, netns: null, state: host.state, env: {}})
    expect(set.sessions).toEqual([expect.objectContaining({source: 'ss', server: '192.0.2.10', serverDev: 'eth0'})])
    expect(set.addresses).toEqual(['192.0.2.10'])
  })

  it('(c) an IPv6 client: protected by its server address', async () => {
    const state = brokenHostState()
    state.links.find((l) => l.ifname === 'ovsbr0')!.addr_info.push({family: 'inet6', local: '2001:db8::10', prefixlen: 64, scope: 'global'})
    const host = new FakeHost(state)
    host.ssOutput = SS_V6
    const set = await computeProtectedSet({runner: host, netns: null, state, env: {}})
    expect(set.sessions[0]).toMatchObject({client: '2001:db8:ffff::7', server: '2001:db8::10', serverDev: 'ovsbr0'})
    expect(impactOf({removesAddresses: ['2001:db8::10'], removesRoutes: [], changesLinks: []}, set)).toMatchObject({impact: 'breaks'})
  })

  it('(d) a client reached over a non-default route through ovsbr0: deleting that route breaks it', async () => {
    const host = new FakeHost(brokenHostState())
    const set = await computeProtectedSet({runner: host, netns: null, state: host.state, env: {SSH_CONNECTION: '10.10.1.50 40000 10.10.1.1 22'}})
    expect(set.sessions[0]).toMatchObject({serverDev: 'ovsbr0', egressDev: 'ovsbr0'})
    const connected = host.state.routes.find((r) => r.dst === '10.10.1.0/24')!
    expect(impactOf({removesAddresses: [], removesRoutes: [connected], changesLinks: []}, set)).toMatchObject({impact: 'breaks'})
    const other = host.state.routes.find((r) => r.dst === '198.51.100.0/24')!
    expect(impactOf({removesAddresses: [], removesRoutes: [other], changesLinks: []}, set)).toEqual({impact: 'none', reason: null})
  })

  it('a session whose address is not in the target namespace does not protect anything there', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const set = await computeProtectedSet({runner: host, netns: 'ns1', state: host.state, env: {SSH_CONNECTION: '198.51.100.7 51000 203.0.113.99 22'}})
    expect(set.complete).toBe(true)
    expect(set.addresses).toEqual([])
    expect(set.notes.join(' ')).toContain('not an address of namespace ns1')
  })

  it('ss missing: incomplete, and every step is unknown (B14)', async () => {
    const host = new FakeHost(brokenHostState())
    host.ssOutput = null
    const set = await computeProtectedSet({runner: host, netns: null, state: host.state, env: {}})
    expect(set.complete).toBe(false)
    expect(set.unknownReason).toContain('`ss` is not installed')
    expect(impactOf({removesAddresses: ['10.10.1.1'], removesRoutes: [], changesLinks: []}, set).impact).toBe('unknown')
  })
})
