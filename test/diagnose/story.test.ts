/** The story: causal order of the findings, and which explains which (also in --json). */
import {describe, expect, it} from 'vitest'
import {diagnoseBundle} from '../../src/diagnose/service.js'
import {buildStory} from '../../src/diagnose/story.js'
import type {Finding} from '../../src/engine/types.js'

const finding = (ruleId: string, subject: string, severity: Finding['severity'] = 'critical'): Finding => ({ruleId, subject, severity, message: `${ruleId} on ${subject}`, evidence: {}, fixes: []})

describe('buildStory', () => {
  it('root cause, symptoms, consequences, unrelated, info, whatever the input order', () => {
    const findings = [
      finding('hugepages-low', 'host', 'info'),
      finding('tx-failure-drops', 'vhost-user1'),
      finding('mtu-mismatch', 'dpdk0', 'warning'),
      finding('kernel-nic-carries-load', 'eth1'),
      finding('kernel-route-via-internal-port', 'br0'),
      finding('internal-port-has-ip', 'br0'),
    ]
    const attribution = {reference: 'vhost', referenceBytes: 1, referencePackets: 1, byClass: {} as never, paths: [{name: 'vhost-user1', class: 'vhost'}]} as never
    const story = buildStory(findings, attribution)
    expect(story.entries.map((e) => [e.ruleId, e.role])).toEqual([
      ['internal-port-has-ip', 'root-cause'],
      ['kernel-route-via-internal-port', 'root-cause'],
      ['kernel-nic-carries-load', 'symptom'],
      ['tx-failure-drops', 'consequence'],
      ['mtu-mismatch', 'unrelated'],
      ['hugepages-low', 'info'],
    ])
    const root = {ruleId: 'internal-port-has-ip', subject: 'br0'}
    expect(story.entries[1]!.explainedBy).toEqual(root)
    expect(story.entries[2]!.explainedBy).toEqual(root)
    expect(story.entries[3]!.explainedBy).toEqual(root)
    expect(story.entries[4]!.explainedBy).toBeNull()
  })

  it('drops on a VM port are unrelated when the kernel did not carry the traffic', () => {
    const story = buildStory([finding('tx-failure-drops', 'vhost-user1')], null)
    expect(story.entries[0]!.role).toBe('unrelated')
  })

  it('the JSON of the lab bundle keeps every finding and carries the story', () => {
    const d = diagnoseBundle('fixtures/bundles/lab-broken-huge-load')
    expect(d.story.entries).toHaveLength(d.findings.length)
    expect(d.story.entries[0]).toMatchObject({ruleId: 'internal-port-has-ip', role: 'root-cause', explainedBy: null})
    const txDrops = d.story.entries.find((e) => e.ruleId === 'tx-failure-drops')!
    expect(txDrops.role).toBe('consequence')
    expect(txDrops.explainedBy).toEqual({ruleId: 'internal-port-has-ip', subject: 'ovsbr0'})
  })

  it('the fix of the document is the plan: same steps in the same order as `fix`', async () => {
    const {makePlan} = await import('../../src/fix/service.js')
    const {plan} = await makePlan({from: 'fixtures/bundles/lab-broken-huge-load', netns: null, ovsRundir: null, guest: {vmSubnet: null, vmAddresses: {}, guestConfigDir: null}, onlyDevices: [], setupScript: null, configRoot: '/nonexistent', planOut: null})
    const d = diagnoseBundle('fixtures/bundles/lab-broken-huge-load')
    expect(d.fixPlan.steps.map((s) => s.command)).toEqual(plan.steps.map((s) => s.argv.join(' ')))
    expect(d.fixPlan.steps.map((s) => s.id)).toEqual(plan.steps.map((s) => s.id))
  })
})
