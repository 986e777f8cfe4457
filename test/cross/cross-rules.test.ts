/**
 * The cross-host rules on two-host fixtures built from the lab bundles (host0's broken and fixed
 * captures) and crafted variants of them: a second host is host0's capture with its own VM MAC,
 * NIC MAC and machine-id, its FDB and DPDK counters seen from the other end of the wire.
 */
import {describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import {runCrossRules} from '../../src/cross/run.js'
import type {CrossSide} from '../../src/cross/types.js'
import {captureModel} from '../../src/diagnose/analyse.js'
import type {HostState} from '../../src/model/host-state.js'
import {CROSS_RULES} from '../../rules/cross/index.js'

const VM0 = '02:00:00:00:10:10'
const VM1 = '02:00:00:00:10:20'
const NIC1 = '02:00:00:00:d0:01'

function side(name: string, bundle: string, machineId: string): CrossSide {
  const capture = readCapture(`fixtures/bundles/${bundle}`)
  const {state, window} = captureModel(capture)
  return structuredClone({name, host: {...capture.manifest.host, machineId}, state, window})
}

/** Every MAC of `from` renamed in `state` (the second host has its own VM and NIC). */
function renameMac(state: HostState, from: string, to: string): void {
  for (const r of state.fdb) if (r.mac.toLowerCase() === from) r.mac = to
  for (const i of state.interfaces) if (i.mac?.toLowerCase() === from) i.mac = to
  for (const p of state.ports) if (p.mac?.toLowerCase() === from) p.mac = to
}

function states(s: CrossSide): HostState[] {
  // Once each: the latest state is also the window's during state.
  return [...new Set(s.window ? [s.state, s.window.before, s.window.during, ...s.window.samples] : [s.state])]
}

/** host1 from a host0 bundle: its own VM MAC, NIC MAC and machine-id. */
function host1(bundle: string): CrossSide {
  const s = side('host1', bundle, 'machine-1')
  for (const st of states(s)) {
    renameMac(st, VM0, VM1)
    renameMac(st, '02:00:00:00:d0:00', NIC1)
  }
  return s
}

/** The peer's VM MAC learned on each side's dpdk0, as on a healthy wire. */
function learnPeers(a: CrossSide, b: CrossSide): void {
  const learn = (s: CrossSide, mac: string) => {
    for (const st of states(s)) {
      const dpdk = st.ports.find((p) => p.class === 'dpdk')!
      st.fdb.push({bridge: dpdk.bridge, port: String(dpdk.ofport), portName: dpdk.name, vlan: 0, mac, age: 1, static: false})
    }
  }
  learn(a, VM1)
  learn(b, VM0)
}

/** The receiving side's dpdk0 got `share` of what the sender's dpdk0 sent (the load goes host0 -> host1). */
function wire(a: CrossSide, b: CrossSide, share: number): void {
  const tx = a.window!.attribution.paths.find((p) => p.class === 'dpdk')!
  const rx = b.window!.attribution.paths.find((p) => p.class === 'dpdk')!
  rx.rxBytes = Math.round(tx.txBytes * share)
  rx.txBytes = tx.rxBytes
}

const run = (a: CrossSide | null, b: CrossSide | null, missing: string | null = null) => runCrossRules(a, b, missing)
const result = (r: ReturnType<typeof run>, id: string) => r.results.find((x) => x.ruleId === id)!

function healthyPair(): [CrossSide, CrossSide] {
  const a = side('host0', 'lab-fixed-huge-load', 'machine-0')
  const b = host1('lab-fixed-huge-load')
  learnPeers(a, b)
  wire(a, b, 0.99)
  return [a, b]
}

describe('cross-host rules', () => {
  it('a healthy pair: every rule passes', () => {
    const [a, b] = healthyPair()
    const r = run(a, b)
    expect(r.findings).toEqual([])
    expect(r.results.map((x) => [x.ruleId, x.status])).toEqual(CROSS_RULES.map((x) => [x.meta.id, 'pass']))
  })

  it('a missing side: every rule unknown with the reason', () => {
    const [a] = healthyPair()
    const r = run(a, null, 'a side is missing: host1 is unreachable')
    expect(r.results.every((x) => x.status === 'unknown' && x.reason === 'a side is missing: host1 is unreachable')).toBe(true)
  })

  describe('cross-wire-accounting', () => {
    it('loss between the hosts: tx well above rx', () => {
      const [a, b] = healthyPair()
      wire(a, b, 0.6)
      const f = result(run(a, b), 'cross-wire-accounting').findings
      expect(f).toHaveLength(1)
      expect(f[0]!.subject).toBe('host0 -> host1')
      expect(f[0]!.message).toMatch(/40\.0 % of the bytes host0's DPDK port sent .* never reached host1's/)
      expect(f[0]!.evidence.lossShare).toBeCloseTo(0.4, 3)
    })

    it('host1 broken (kernel path): its idle DPDK port names it', () => {
      const a = side('host0', 'lab-fixed-huge-load', 'machine-0')
      const b = host1('lab-broken-huge-load')
      const f = result(run(a, b), 'cross-wire-accounting').findings
      expect(f).toHaveLength(1)
      expect(f[0]!.subject).toBe('host1')
      expect(f[0]!.evidence.kernelCarriers).toEqual(['host1'])
    })

    it('both broken: both DPDK ports idle, both kernels named', () => {
      const a = side('host0', 'lab-broken-huge-load', 'machine-0')
      const b = host1('lab-broken-huge-load')
      const f = result(run(a, b), 'cross-wire-accounting').findings
      expect(f).toHaveLength(1)
      expect(f[0]!.message).toMatch(/both DPDK ports stayed idle .* host0 \(enp65s0f0np0\) and host1 \(enp65s0f0np0\)/)
    })

    it('within the loss share: quiet', () => {
      const [a, b] = healthyPair()
      wire(a, b, 0.97)
      expect(result(run(a, b), 'cross-wire-accounting').status).toBe('pass')
    })

    it('no window: unknown', () => {
      const a = side('host0', 'lab-fixed-huge-idle', 'machine-0')
      const b = host1('lab-fixed-huge-idle')
      expect(result(run(a, b), 'cross-wire-accounting').status).toBe('unknown')
    })
  })

  describe('cross-fdb-symmetric', () => {
    it("a VM MAC learned on the peer's LOCAL port fires, naming the port", () => {
      const [a, b] = healthyPair()
      for (const st of states(b)) {
        const mine = st.fdb.find((r) => r.mac === VM0)!
        mine.portName = 'ovsbr0'
        mine.port = 'LOCAL'
      }
      const f = result(run(a, b), 'cross-fdb-symmetric').findings
      expect(f).toHaveLength(1)
      expect(f[0]!.message).toBe(`host0's VM ${VM0} (on vhost-user1) on host1: learned on ovsbr0, not on the DPDK port`)
    })

    it("host1 broken: host0 never learns host1's VM MAC", () => {
      const a = side('host0', 'lab-fixed-huge-load', 'machine-0')
      const b = host1('lab-broken-huge-load')
      const f = result(run(a, b), 'cross-fdb-symmetric').findings
      expect(f.map((x) => x.subject)).toContain(`host0 ${VM1}`)
    })

    it('each VM on the other side\'s DPDK port: quiet', () => {
      const [a, b] = healthyPair()
      expect(result(run(a, b), 'cross-fdb-symmetric').status).toBe('pass')
    })
  })

  describe('cross-config-consistent', () => {
    it('an MTU and the TSO setting differing: a warning each', () => {
      const [a, b] = healthyPair()
      for (const st of states(b)) {
        st.ports.find((p) => p.class === 'dpdk')!.mtu = 9000
        st.ovs.otherConfig['userspace-tso-enable'] = 'true'
      }
      const f = result(run(a, b), 'cross-config-consistent').findings
      expect(f.map((x) => [x.severity, x.subject])).toEqual([
        ['warning', 'MTU of the DPDK ports'],
        ['warning', 'userspace-tso-enable'],
      ])
      expect(f[0]!.message).toBe('MTU of the DPDK ports differ: host0 1500, host1 9000')
    })

    it('a VLAN tag on one side only', () => {
      const [a, b] = healthyPair()
      for (const st of states(b)) st.ports.find((p) => p.class === 'vhost')!.vlanTag = 100
      expect(result(run(a, b), 'cross-config-consistent').findings.map((x) => x.message)).toEqual(['VLAN tags of the VM and DPDK ports differ: host0 untagged, host1 100'])
    })

    it('versions differing', () => {
      const [a, b] = healthyPair()
      b.state.versions.ovs = '3.3.0'
      expect(result(run(a, b), 'cross-config-consistent').findings.map((x) => x.subject)).toEqual(['OVS version'])
    })
  })

  describe('cross-identity-distinct', () => {
    it('one bundle given twice (same machine-id, same interfaces): critical', () => {
      const a = side('host0', 'lab-fixed-huge-load', 'machine-0')
      const b = side('host1', 'lab-fixed-huge-load', 'machine-0')
      const f = result(run(a, b), 'cross-identity-distinct').findings
      expect(f.map((x) => [x.severity, x.subject])).toEqual([
        ['critical', 'machine-id'],
        ['critical', `VM ${VM0}`],
      ])
    })

    it('a cloned VM MAC on two distinct hosts: critical', () => {
      const [a, b] = healthyPair()
      for (const st of states(b)) renameMac(st, VM1, VM0)
      const f = result(run(a, b), 'cross-identity-distinct').findings
      expect(f.map((x) => x.subject)).toEqual([`VM ${VM0}`])
      expect(f[0]!.message).toMatch(/a cloned VM MAC/)
    })

    it('namespaces of one machine (same machine-id, their own interfaces): info only', () => {
      const [a, b] = healthyPair()
      b.host.machineId = 'machine-0'
      const f = result(run(a, b), 'cross-identity-distinct').findings
      expect(f.map((x) => x.severity)).toEqual(['info'])
    })

    it('two distinct hosts: quiet', () => {
      const [a, b] = healthyPair()
      expect(result(run(a, b), 'cross-identity-distinct').status).toBe('pass')
    })
  })
})
