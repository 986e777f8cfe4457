/**
 * --format nagios to the Monitoring Plugins Development Guidelines: the output of every fixture
 * bundle parses with a parser written to the guidelines (test/helpers/nagios-perfdata.ts), the
 * status word matches the exit code, and the thresholds in the perfdata agree with the verdict.
 */
import {readdirSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {diagnoseBundle} from '../../src/diagnose/service.js'
import type {Diagnosis} from '../../src/diagnose/types.js'
import {perfItem, perfLabel, renderNagios, renderNagiosError} from '../../src/report/nagios.js'
import {parsePerfdata, parsePluginOutput, parseRange, rangeAlerts} from '../helpers/nagios-perfdata.js'

const BUNDLES = readdirSync('fixtures/bundles', {withFileTypes: true}).filter((e) => e.isDirectory()).map((e) => e.name).sort()
const STATUS_OF_EXIT = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']

describe('the guidelines parser itself', () => {
  it('reads ranges as the guidelines table does', () => {
    expect(rangeAlerts(parseRange('10')!, 11)).toBe(true)
    expect(rangeAlerts(parseRange('10')!, -1)).toBe(true)
    expect(rangeAlerts(parseRange('10')!, 5)).toBe(false)
    expect(rangeAlerts(parseRange('10:')!, 9)).toBe(true)
    expect(rangeAlerts(parseRange('~:10')!, -100)).toBe(false)
    expect(rangeAlerts(parseRange('10:20')!, 21)).toBe(true)
    expect(rangeAlerts(parseRange('@10:20')!, 15)).toBe(true)
    expect(() => parseRange('20:10')).toThrow()
  })
  it('rejects what the guidelines do not allow', () => {
    expect(() => parsePerfdata('a b=1')).toThrow() // unquoted label with a space: "a" has no '='
    expect(() => parsePerfdata('x=1;2;3;4;5;6')).toThrow()
    expect(() => parsePerfdata('x=1furlongs')).toThrow()
    expect(() => parsePerfdata("'x=1")).toThrow()
    expect(parsePerfdata("'it''s here'=3c;;;0")).toEqual([{label: "it's here", value: 3, uom: 'c', warn: null, crit: null, min: 0, max: null}])
    expect(parsePerfdata('x=U')[0]!.value).toBeNull()
  })
})

describe.each(BUNDLES)('--format nagios of %s', (name) => {
  const d = diagnoseBundle(`fixtures/bundles/${name}`)
  const out = renderNagios(d)
  const parsed = parsePluginOutput(out)

  it('has a status line with the exit code\'s status word and the verdict', () => {
    expect(parsed.statusLine).toBe(`DPDK-DOCTOR ${STATUS_OF_EXIT[d.exitCode]} - ${d.verdict.text.replace(/\|/g, '/')}`)
    expect(d.status).toBe(STATUS_OF_EXIT[d.exitCode])
  })

  it('has perfdata on the status line and in the long output, every label once', () => {
    const labels = parsed.perfdata.map((p) => p.label)
    expect(new Set(labels).size).toBe(labels.length)
    expect(labels).toEqual(expect.arrayContaining(['dpdk_share', 'kernel_nic_share', 'internal_share', 'window', 'rules_fail', 'sources_collected']))
    for (const p of parsed.perfdata) {
      if (p.value !== null && p.min !== null) expect(p.value, p.label).toBeGreaterThanOrEqual(p.min)
    }
    expect(parsed.perfdata.find((p) => p.label === 'rules_fail')!.value).toBe(d.rules.filter((r) => r.status === 'fail').length)
  })

  it('lists every finding in the long output', () => {
    for (const f of d.findings) expect(parsed.longText.some((l) => l.includes(`${f.ruleId} (${f.subject})`)), f.ruleId).toBe(true)
    expect(parsed.longText.at(-1)).toMatch(/^Rules: \d+ fail, \d+ pass, \d+ unknown, \d+ not applicable; sources \d+\/\d+/)
  })

  it('has share thresholds that agree with the verdict', () => {
    const dpdk = parsed.perfdata.find((p) => p.label === 'dpdk_share')!
    const kernel = parsed.perfdata.find((p) => p.label === 'kernel_nic_share')!
    if (!d.attribution) {
      expect(dpdk.value).toBeNull()
      return
    }
    expect(dpdk.value).toBeCloseTo(d.attribution.byClass.dpdk.byteShare!, 4)
    if (d.verdict.kind === 'fast-path') {
      expect(rangeAlerts(dpdk.crit!, dpdk.value!)).toBe(false)
      expect(rangeAlerts(kernel.crit!, kernel.value!)).toBe(false)
    }
    if (d.verdict.kind === 'kernel-bypass' && d.findings.some((f) => f.ruleId === 'dpdk-port-idle-under-load')) {
      expect(rangeAlerts(dpdk.crit!, dpdk.value!)).toBe(true)
    }
  })
})

describe('text that would break the format', () => {
  const d = diagnoseBundle('fixtures/bundles/lab-broken-huge-load')
  it('keeps a | in a verdict or finding out of the perfdata', () => {
    const odd: Diagnosis = {
      ...d,
      verdict: {...d.verdict, text: 'a | b\nc'},
      findings: d.findings.map((f, i) => (i === 0 ? {...f, message: 'x|y=1'} : f)),
    }
    const parsed = parsePluginOutput(renderNagios(odd))
    expect(parsed.statusLine).toBe('DPDK-DOCTOR CRITICAL - a / b c')
    expect(parsed.longText[0]).toContain('x/y=1')
    expect(parsed.perfdata.map((p) => p.label)).toEqual(parsePluginOutput(renderNagios(d)).perfdata.map((p) => p.label))
  })
  it('quotes labels that need it and writes U for an unknown value', () => {
    expect(perfLabel('pmd core 1')).toBe("'pmd core 1'")
    expect(perfLabel("it's")).toBe("'it''s'")
    expect(perfItem({label: 'x', value: null, min: 0, max: 1})).toBe('x=U;;;0;1')
    expect(perfItem({label: 'x', value: 0.5, uom: '%'})).toBe('x=0.5%')
  })
  it('renders an error as UNKNOWN', () => {
    expect(parsePluginOutput(renderNagiosError('bundle | missing')).statusLine).toBe('DPDK-DOCTOR UNKNOWN - bundle / missing')
  })
})
