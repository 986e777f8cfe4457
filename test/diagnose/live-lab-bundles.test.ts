/**
 * The bundles `npm run fixtures:lab` captured with dpdk-doctor itself from the real lab (OVS 3.1 +
 * DPDK 22.11 in network namespaces). Runs without the lab: readCapture + analyse on the committed
 * bundles. Keep in step with EXPECTED in test/lab/refresh-fixtures.ts.
 */
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import {analyse} from '../../src/diagnose/analyse.js'
import type {Diagnosis} from '../../src/diagnose/types.js'
import {BYPASS_RULES} from '../../src/diagnose/verdict.js'

const diagnose = (name: string): Diagnosis => {
  const dir = `fixtures/bundles/${name}`
  return analyse(readCapture(dir), {input: {mode: 'bundle', bundle: dir, savedTo: null}})
}
const ids = (d: Diagnosis) => d.findings.map((f) => f.ruleId)
const bypass = (d: Diagnosis) => d.findings.filter((f) => BYPASS_RULES.includes(f.ruleId)).map((f) => f.ruleId)
/** Warnings the lab raises on any host: its PMD core is not isolated (FIELD D5), its PMD may sleep (pmd-maxsleep=1000). */
const LAB_TUNING = ['pmd-cores-not-isolated', 'pmd-sleep-enabled']
const notTuning = (d: Diagnosis) => d.findings.filter((f) => f.severity !== 'info' && !LAB_TUNING.includes(f.ruleId)).map((f) => `${f.ruleId}/${f.severity}`)

describe('live-lab bundles (captured by dpdk-doctor from the lab)', () => {
  it('live-lab-broken-load: exit 2, kernel bypass through ovsbr0 and the kernel NIC, dpdk0 idle', () => {
    const d = diagnose('live-lab-broken-load')
    expect(d.exitCode).toBe(2)
    expect(d.verdict.kind).toBe('kernel-bypass')
    expect(d.verdict.text).toBe('Traffic is bypassing DPDK: VM -> ovsbr0 (kernel) -> enp65s0f0np0')
    expect(ids(d)).toEqual(expect.arrayContaining([
      'internal-port-has-ip', 'kernel-route-via-internal-port', 'dpdk-port-idle-under-load',
      'kernel-nic-carries-load', 'internal-port-carries-load', 'fdb-remote-mac-not-on-dpdk-port',
    ]))
    expect(d.attribution!.byClass['kernel-nic'].packetShare!).toBeGreaterThanOrEqual(0.9)
    expect(d.attribution!.byClass.dpdk.packetShare ?? 0).toBeLessThan(0.01)
    expect(d.host.netns).toBe('lab-host0')
  })

  it('live-lab-broken-idle: exit 2 from the static rules, load rules undecided', () => {
    const d = diagnose('live-lab-broken-idle')
    expect(d.exitCode).toBe(2)
    expect(d.verdict.kind).toBe('kernel-bypass')
    expect(ids(d)).toEqual(expect.arrayContaining(['internal-port-has-ip', 'kernel-route-via-internal-port']))
    expect(d.rules.find((r) => r.ruleId === 'kernel-nic-carries-load')?.status).not.toBe('pass')
  })

  // The lab's tuning (PMD sleep, no isolcpus) is reported as info: the fixed host is OK.
  it('live-lab-fixed-load: fast path, dpdk0 carried the load, exit 0', () => {
    const d = diagnose('live-lab-fixed-load')
    expect(d.verdict.kind).toBe('fast-path')
    expect(d.attribution!.byClass.dpdk.packetShare!).toBeGreaterThanOrEqual(0.9)
    expect(d.attribution!.byClass['kernel-nic'].packetShare ?? 0).toBeLessThan(0.01)
    expect(bypass(d)).toEqual([])
    expect(notTuning(d)).toEqual([])
    expect(d.exitCode).toBe(0)
  })

  it('live-lab-fixed-idle: no bypass finding, exit 0', () => {
    const d = diagnose('live-lab-fixed-idle')
    expect(bypass(d)).toEqual([])
    expect(notTuning(d)).toEqual([])
    expect(d.exitCode).toBe(0)
  })
})

/** vhost-user1's `status` and `statistics` maps from a sample's `ovs-vsctl list Interface` JSON. */
function vhostRow(bundle: string, sample: string): {status: Record<string, string>; statistics: Record<string, number>} {
  const j = JSON.parse(readFileSync(`fixtures/bundles/${bundle}/${sample}/ovsdb-interface.out`, 'utf8')) as {headings: string[]; data: unknown[][]}
  const col = (name: string) => j.headings.indexOf(name)
  const row = j.data.find((r) => r[col('name')] === 'vhost-user1')!
  const map = <T>(cell: unknown) => Object.fromEntries((cell as ['map', Array<[string, T]>])[1]) as Record<string, T>
  return {status: map<string>(row[col('status')]), statistics: map<number>(row[col('statistics')])}
}

// The QEMU guest's bundle (LAB_VM=qemu: a Debian kernel's virtio-net, 2 queue pairs, one PMD, no userspace TSO).
describe('lab-fixed-qemu-tso-off (a real guest kernel behind vhost-user1)', () => {
  const bundle = 'lab-fixed-qemu-tso-off'
  const last = () => readCapture(`fixtures/bundles/${bundle}`).samples.at(-1)!.name

  it('fast path: dpdk0 carried the guest\'s load, no bypass finding', () => {
    const d = diagnose(bundle)
    expect(d.verdict.kind).toBe('fast-path')
    expect(d.attribution!.byClass.dpdk.packetShare!).toBeGreaterThanOrEqual(0.9)
    expect(bypass(d)).toEqual([])
    expect(d.host.netns).toBe('lab-host0')
  })

  it('the second layer of the verdict: limited by guest TSO (host setting) and 1 of 2 vhost Tx queues unused, WARNING', () => {
    const d = diagnose(bundle)
    expect(ids(d)).toEqual(expect.arrayContaining(['guest-tso-off-by-host', 'vhost-txq-unused']))
    expect(ids(d)).not.toContain('guest-queues-disabled')
    expect(d.verdict.text).toMatch(/^DPDK fast path.*, limited by: guest TSO off \(host setting\), 1 of 2 vhost Tx queues unused$/)
    expect(d.limitedBy.map((l) => l.ruleId)).toEqual(['guest-tso-off-by-host', 'vhost-txq-unused'])
    expect(d.exitCode).toBe(1)
  })

  it('the host offered the guest no TSO: features lack VIRTIO_NET_F_HOST_TSO4/6 (bits 11, 12); 2 queue pairs = 4 vrings', () => {
    const {status} = vhostRow(bundle, last())
    const features = BigInt(status.features!)
    expect(features & (1n << 11n)).toBe(0n)
    expect(features & (1n << 12n)).toBe(0n)
    // mergeable rx buffers and the control queue: a kernel driver negotiated, not virtio-user
    expect(features & (1n << 15n)).not.toBe(0n)
    expect(features & (1n << 22n)).not.toBe(0n)
    expect(status.num_of_vrings).toBe('4')
    expect(status.status).toBe('connected')
  })

  it('guest transmit spread over both queues, host transmit to the guest on one queue only (one PMD, tx-steering thread)', () => {
    const {statistics: s} = vhostRow(bundle, last())
    expect(s.rx_q0_good_packets!).toBeGreaterThan(1000)
    expect(s.rx_q1_good_packets!).toBeGreaterThan(1000)
    const tx = [s.tx_q0_good_packets!, s.tx_q1_good_packets!]
    expect(Math.max(...tx)).toBeGreaterThan(1000)
    expect(Math.min(...tx)).toBe(0)
  })
})
