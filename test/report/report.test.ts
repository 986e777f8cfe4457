/**
 * The default report reads in one screen: the root cause first, <= 40 lines at 100 columns, no raw
 * evidence keys; --verbose shows the evidence for people; nothing is wider than the terminal.
 */
import {describe, expect, it} from 'vitest'
import {diagnoseBundle} from '../../src/diagnose/service.js'
import {renderDiagnosis} from '../../src/report/human.js'
import {makeStyle} from '../../src/report/style.js'

const plain = makeStyle(false)
const BUNDLES = ['lab-broken-huge-load', 'lab-fixed-huge-load', 'mlx5-broken-load']
const report = (name: string, opts: {verbose?: boolean; width?: number} = {}) => renderDiagnosis(diagnoseBundle(`fixtures/bundles/${name}`), plain, {width: 100, ...opts})

describe('the default report', () => {
  it.each(BUNDLES)('%s: at most 40 lines at 100 columns, none wider', (name) => {
    const lines = report(name).split('\n')
    expect(lines.length).toBeLessThanOrEqual(40)
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100)
  })

  it.each(BUNDLES)('%s: no raw evidence (camelCase keys, "?" values, empty "key: ")', (name) => {
    const text = report(name)
    expect(text).not.toMatch(/\b(referenceBytes|byteShare|failShare|hostMacsOnPort|steeringRoutes)\b/)
    expect(text).not.toMatch(/: \?$|: $/m)
    expect(text).not.toContain('Evidence')
  })

  it.each(['lab-broken-huge-load', 'mlx5-broken-load'])('%s: the root cause comes first, its symptoms after, the fix is the plan', (name) => {
    const lines = report(name).split('\n')
    const root = lines.indexOf('Root cause')
    expect(root).toBeGreaterThan(0)
    expect(root).toBeLessThan(5)
    expect(lines[root + 1]).toMatch(/^ {2}CRITICAL ovsbr0 carries .*10\.10\.1\.1\/24|^ {2}CRITICAL ovsbr0 carries 192\.168\.100\.1\/24/)
    const symptoms = lines.findIndex((l) => l.startsWith('What the traffic shows'))
    expect(symptoms).toBeGreaterThan(root)
    expect(lines.slice(symptoms).join('\n')).toMatch(/dpdk0 moved/)
    // The drops on the VM's port are a consequence, not an emergency of their own.
    const follows = lines.findIndex((l) => l.startsWith('What follows from it'))
    expect(follows).toBeGreaterThan(symptoms)
    expect(lines[follows + 1]).toMatch(/vhost-user1 dropped/)
    expect(report(name)).toMatch(/fdb\/flush ovsbr0/)
  })

  it('the lab bundle: commands carry ip -n of the namespace, as `fix` prints them', () => {
    const text = report('lab-broken-huge-load')
    expect(text).toMatch(/ip -n lab-host0 addr del 10\.10\.1\.1\/24 dev ovsbr0/)
    expect(text).not.toMatch(/(^|\s)ip addr del/)
  })

  // Since issue 13 the fixed lab host's fast path has a limit (guest TSO off by the host setting): its
  // Fix section holds that one advice, no ip step and no persistence note.
  it('the fixed bundle: the fast path verdict with its limit, only the TSO advice as the fix, no persistence note', () => {
    const text = report('lab-fixed-huge-load')
    expect(text.split('\n')[0]).toBe('DPDK fast path: all load through dpdk0, limited by: guest TSO off (host setting)')
    expect(text).toMatch(/^Limits of the fast path$/m)
    expect(text).toMatch(/^ {2}- WARNING vhost-user1: guest TSO is off because the host offers none/m)
    expect(text).toMatch(/^Fix/m)
    expect(text).toMatch(/userspace-tso-enable=true/)
    expect(text).not.toMatch(/ip -n /)
    expect(text).not.toMatch(/until reboot/)
  })

  it('shares over 100 % are marked and explained', () => {
    const text = report('lab-broken-huge-load')
    expect(text).toMatch(/106 %\*/)
    expect(text).toMatch(/\* with the kernel's own ACKs and ARP/)
    expect(text).not.toMatch(/100\.3 % of the VM traffic/)
  })

  it.each([80, 60])('fits %i columns and keeps the kernel NIC name whole', (width) => {
    const text = report('mlx5-broken-load', {width})
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(width)
    expect(text).toMatch(/^ {2}enp65s0f0np0 /m)
  })
})

describe('--verbose', () => {
  it('shows the evidence with names and units, and no empty values', () => {
    const text = report('lab-broken-huge-load', {verbose: true})
    expect(text).toContain('Evidence')
    expect(text).toMatch(/reference bytes: 563\.5 MB/)
    expect(text).toMatch(/IPv4 forwarding: yes/)
    expect(text).not.toMatch(/referenceBytes|: \?$|: $/m)
    expect(text).toMatch(/could not decide/)
    // The lab's filtered meminfo no longer warns about MemTotal (issue 10); a garbled bundle's do show.
    expect(text).not.toMatch(/memTotalKb/)
    expect(report('garbled', {verbose: true})).toMatch(/warning: /)
  })
})
