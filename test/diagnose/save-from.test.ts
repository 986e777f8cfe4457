/**
 * diagnose --save on a "live" host and diagnose --from on the saved bundle give the same result.
 * The host is real processes: stub ovs-vsctl, ovs-appctl, ovs-ofctl, ip, ethtool and dpdk-devbind.py
 * executables that print what the lab's broken host printed, run through the real HostRunner.
 * The load command flips the stubs from the before outputs to the during outputs.
 */
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import type {Sample} from '../../src/capture/types.js'
import {bridgeSources, STATIC_SOURCES} from '../../src/collect/sources.js'
import {diagnoseBundle, diagnoseLive} from '../../src/diagnose/service.js'

const recorded = readCapture('fixtures/bundles/lab-broken-huge-load')
const dir = mkdtempSync(join(tmpdir(), 'dd-stubs-'))
const bin = join(dir, 'bin')
const saved = join(dir, 'saved')

function outputs(sample: Sample): Record<string, {stdout: string; stderr: string; exitCode: number | null}> {
  const map: Record<string, {stdout: string; stderr: string; exitCode: number | null}> = {}
  for (const spec of [...STATIC_SOURCES, ...bridgeSources('ovsbr0')]) {
    const r = sample.sources[spec.id]
    if (spec.argv && r) map[spec.argv.join('\u0000')] = {stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode}
  }
  return map
}

beforeAll(() => {
  mkdirSync(bin, {recursive: true})
  writeFileSync(join(dir, 'before.json'), JSON.stringify(outputs(recorded.samples[0]!)))
  writeFileSync(join(dir, 'during.json'), JSON.stringify(outputs(recorded.samples[1]!)))
  writeFileSync(join(dir, 'phase'), 'before')
  const stub = `#!${process.execPath}
const fs = require('fs'), path = require('path')
const dir = ${JSON.stringify(dir)}
const phase = fs.readFileSync(path.join(dir, 'phase'), 'utf8').trim()
const map = JSON.parse(fs.readFileSync(path.join(dir, phase + '.json'), 'utf8'))
const hit = map[[path.basename(process.argv[1]), ...process.argv.slice(2)].join('\\u0000')]
if (!hit) { process.stderr.write('stub: no recorded output\\n'); process.exit(1) }
process.stdout.write(hit.stdout); process.stderr.write(hit.stderr); process.exitCode = hit.exitCode ?? 1
`
  for (const tool of ['ovs-vsctl', 'ovs-appctl', 'ovs-ofctl', 'ip', 'ethtool', 'dpdk-devbind.py']) {
    writeFileSync(join(bin, tool), stub)
    chmodSync(join(bin, tool), 0o755)
  }
  // The load: switches the host to its during outputs, runs 1.5 s, prints the recorded iperf3 JSON.
  writeFileSync(join(bin, 'fake-iperf3'), `#!${process.execPath}
require('fs').writeFileSync(${JSON.stringify(join(dir, 'phase'))}, 'during')
setTimeout(() => process.stdout.write(${JSON.stringify(recorded.loadOutput)}), 1500)
`)
  chmodSync(join(bin, 'fake-iperf3'), 0o755)
  process.env.DPDK_DOCTOR_PATH = bin
})

afterAll(() => {
  delete process.env.DPDK_DOCTOR_PATH
  rmSync(dir, {recursive: true, force: true})
})

describe('diagnose --save, then --from', () => {
  it('gives the same verdict and findings', async () => {
    const live = await diagnoseLive({
      netns: null, ovsRundir: null, load: ['fake-iperf3', '-c', '172.16.0.2', '-t', '1', '-J'], duringMs: null,
      intervalMs: 400, loadTimeoutMs: 20_000, save: saved,
    })
    expect(live.exitCode).toBe(2)
    expect(live.verdict.kind).toBe('kernel-bypass')
    expect(live.window!.samples).toBeGreaterThanOrEqual(3) // before, live samples during the load, the final one
    // Live samples hold only counters; joined to the ports through the before snapshot, they give rates.
    expect(live.attribution!.paths.find((p) => p.name === 'vhost-user1')!.bytesPerSec).not.toBeNull()
    expect(live.attribution!.paths.find((p) => p.name === 'dpdk0')!.packetsPerSec).not.toBeNull()
    const fromBundle = diagnoseBundle(saved)
    const key = (d: typeof live) => d.findings.map((f) => `${f.ruleId}|${f.subject}|${f.severity}`)
    expect(key(fromBundle)).toEqual(key(live))
    expect(fromBundle.verdict).toEqual(live.verdict)
    expect(fromBundle.exitCode).toBe(live.exitCode)
    // /proc and /sys are read in-process (this machine's), the commands come from the stubs.
    expect(key(live)).toEqual(expect.arrayContaining(['dpdk-port-idle-under-load|dpdk0|critical', 'kernel-nic-carries-load|enp65s0f0np0|critical']))
    expect(live.findings.some((f) => f.ruleId === 'internal-port-has-ip' && f.subject === 'ovsbr0')).toBe(true)
    const saved2 = readCapture(saved)
    expect(saved2.manifest.load?.argv[0]).toBe('fake-iperf3')
    expect(saved2.samples.map((s) => s.name)[0]).toBe('before')
    expect(saved2.samples.at(-1)!.name).toMatch(/^during/)
  }, 30_000)
})
