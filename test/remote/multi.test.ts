/** The multi-host diagnosis: one exit code, side lines, failed hosts, and --save/--from of several hosts. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import {combinedExit, diagnoseHosts, inputsOfCapture, readBundles, readHosts, saveHosts} from '../../src/remote/diagnose.js'
import type {HostsCapture} from '../../src/remote/hosts.js'
import {renderMulti} from '../../src/remote/report.js'

const plain = {bold: (s: string) => s, dim: (s: string) => s, red: (s: string) => s, yellow: (s: string) => s, green: (s: string) => s, cyan: (s: string) => s, enabled: false}

function hosts(...specs: Array<[string, string | null]>): HostsCapture {
  return {
    hosts: specs.map(([name, bundle]) => ({
      name,
      status: bundle ? ('ok' as const) : ('unreachable' as const),
      failure: bundle ? null : {status: 'unreachable' as const, reason: 'ssh: connect to host 10.0.0.2 port 22: Connection refused', fix: null},
      probe: null,
      capture: bundle ? readCapture(`fixtures/bundles/${bundle}`) : null,
    })),
    load: null,
    ticks: [],
  }
}

describe('multi-host diagnosis', () => {
  it('broken host1, fixed host0: one line per side, CRITICAL, the cross-host findings', () => {
    const md = diagnoseHosts(inputsOfCapture(hosts(['host0', 'lab-fixed-huge-load'], ['host1', 'lab-broken-huge-load']), null))
    expect(md.sides).toEqual(['host0: FAST PATH', 'host1: KERNEL PATH via ovsbr0 -> enp65s0f0np0'])
    expect(md.exitCode).toBe(2)
    expect(md.cross.findings.some((f) => f.ruleId === 'cross-wire-accounting' && f.subject === 'host1')).toBe(true)
    const text = renderMulti(md, plain as never, {verbose: false, width: 120})
    expect(text.split('\n')[0]).toBe('CRITICAL: host0: FAST PATH; host1: KERNEL PATH via ovsbr0 -> enp65s0f0np0')
    expect(text.indexOf('Cross-host:')).toBeLessThan(text.indexOf('== host0'))
    expect(text.trim().split('\n').at(-1)).toBe('all 2 hosts collected')
  })

  it('host1 unreachable: host0 still judged, cross-host rules unknown, exit 3, the last line names it', () => {
    const md = diagnoseHosts(inputsOfCapture(hosts(['host0', 'lab-fixed-huge-load'], ['host1', null]), null))
    expect(md.hosts[0]!.diagnosis?.verdict.kind).toBe('fast-path')
    expect(md.cross.rules.every((r) => r.status === 'unknown' && /host1 is unreachable/.test(r.reason ?? ''))).toBe(true)
    expect(md.exitCode).toBe(3)
    const last = renderMulti(md, plain as never, {verbose: false}).trim().split('\n').at(-1)
    expect(last).toBe('failed hosts: host1 unreachable (ssh: connect to host 10.0.0.2 port 22: Connection refused)')
  })

  it('host1 unreachable and host0 critical: CRITICAL wins (exit 2)', () => {
    const md = diagnoseHosts(inputsOfCapture(hosts(['host0', 'lab-broken-huge-load'], ['host1', null]), null))
    expect(md.exitCode).toBe(2)
  })

  it('exit codes: warning beats ok, unknown beats warning', () => {
    const entry = (exitCode: number | null, status: 'ok' | 'timeout' = 'ok') => ({name: 'h', status, reason: null, fix: null, clock: null, diagnosis: exitCode === null ? null : ({exitCode} as never)})
    expect(combinedExit([entry(0), entry(0)], [])).toBe(0)
    expect(combinedExit([entry(0), entry(1)], [])).toBe(1)
    expect(combinedExit([entry(0), entry(0)], [{severity: 'warning'} as never])).toBe(1)
    expect(combinedExit([entry(1), entry(null, 'timeout')], [])).toBe(3)
    expect(combinedExit([entry(3), entry(0)], [{severity: 'critical'} as never])).toBe(2)
  })

  it('--save DIR then --from DIR gives the same findings for both hosts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-multi-'))
    try {
      const c = hosts(['host0', 'lab-fixed-huge-load'], ['host1', 'lab-broken-huge-load'], ['host2', null])
      saveHosts(path.join(dir, 'save'), c)
      expect(fs.readdirSync(path.join(dir, 'save')).sort()).toEqual(['host0', 'host1', 'hosts.json'])
      const live = diagnoseHosts(inputsOfCapture(c, null))
      const replay = diagnoseHosts(await readHosts(path.join(dir, 'save')))
      const findings = (md: typeof live) => md.hosts.map((h) => h.diagnosis?.findings ?? null)
      expect(findings(replay)).toEqual(findings(live))
      expect(replay.cross).toEqual(live.cross)
      expect(replay.failed).toEqual(live.failed)
      expect(replay.exitCode).toBe(live.exitCode)
    } finally {
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })

  it('hosts.json naming a directory outside DIR is refused', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-multi-'))
    try {
      saveHosts(path.join(dir, 'save'), hosts(['host0', 'lab-fixed-huge-load']))
      fs.rmSync(path.join(dir, 'save', 'host0'), {recursive: true})
      fs.symlinkSync(path.resolve('fixtures/bundles/lab-fixed-huge-load'), path.join(dir, 'save', 'host0'))
      await expect(readHosts(path.join(dir, 'save'))).rejects.toThrow(/leads outside/)
    } finally {
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })

  it('two --from bundles: named by their hostname, a repeat made distinct', async () => {
    const inputs = await readBundles(['fixtures/bundles/lab-fixed-huge-load', 'fixtures/bundles/lab-broken-huge-load'])
    expect(inputs.map((i) => i.name)).toEqual(['lab-host0', 'lab-host0#1'])
  })
})
