/**
 * End-to-end: a real sosreport of the lab host (Debian's sosreport package, `sos report --batch -o
 * openvswitch,networking`) diagnosed by the BUILT CLI with `diagnose --from <archive>`.
 *
 * sos runs the OVS tools against the default run directory; the lab's OVS has a private one. The
 * test gives sos a mount namespace of its own (unshare -m, private propagation) in which the lab's
 * run directory is bind-mounted over /run/openvswitch, and runs sos inside lab-host0 (ip netns exec)
 * so the networking plugin sees the host's interfaces. Nothing outside that mount namespace moves.
 */
import {execa} from 'execa'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {SOS_WINDOW_REASON} from '../../src/capture/sos.js'
import type {Diagnosis} from '../../src/diagnose/types.js'
import {privateCli, ROOT} from './built-cli.js'
import {useLab} from './harness.js'
import {labPaths} from './lab.js'

const say = (line: string) => process.stderr.write(`[e2e sos] ${line}\n`)
const BYPASS = ['internal-port-has-ip', 'kernel-route-via-internal-port']
let cliDir = ''

/**
 * `sos report` of the lab host: the archive's path. The script's arguments are passed as
 * positional parameters ($1..$3), never spliced into the script text.
 */
async function sosReportOfLab(netns: string, env: Record<string, string>, outDir: string): Promise<string> {
  const script = 'mkdir -p /run/openvswitch && mount --bind "$1" /run/openvswitch && exec ip netns exec "$2" sos report --batch -o openvswitch,networking,kernel -k networking.namespace_pattern=dd-no-such-ns -z xz --tmp-dir "$3"'
  const r = await execa('unshare', ['-m', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', labPaths().run, netns, outDir], {
    env: {...process.env, ...env},
    reject: false,
    stdin: 'ignore',
    timeout: 300_000,
  })
  if (r.exitCode !== 0) throw new Error(`sos report failed (exit ${r.exitCode}):\n${String(r.stdout).slice(-2000)}\n${String(r.stderr).slice(-2000)}`)
  const archive = fs.readdirSync(outDir).find((n) => /^sosreport-.*\.tar\.xz$/.test(n))
  if (!archive) throw new Error(`sos report wrote no .tar.xz in ${outDir}: ${fs.readdirSync(outDir).join(', ')}`)
  return path.join(outDir, archive)
}

async function diagnoseFrom(archive: string): Promise<{exitCode: number | null; d: Diagnosis; stderr: string}> {
  const r = await execa('node', [path.join(cliDir, 'bin', 'run.js'), 'diagnose', '--from', archive, '--json'], {
    cwd: ROOT,
    env: {...process.env, NO_COLOR: '1', NODE_ENV: 'production'},
    reject: false,
    stdin: 'ignore',
    timeout: 120_000,
  })
  try {
    return {exitCode: r.exitCode ?? null, d: JSON.parse(String(r.stdout)) as Diagnosis, stderr: String(r.stderr)}
  } catch {
    throw new Error(`diagnose --from ${archive} --json printed no JSON (exit ${r.exitCode}):\n${String(r.stdout).slice(0, 2000)}\n${String(r.stderr).slice(0, 2000)}`)
  }
}

describe('diagnose --from a real sosreport of the lab host', () => {
  const lab = useLab('broken')
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-e2e-sos-'))
  let failed = false

  beforeAll(async () => {
    cliDir = await privateCli(say)
  }, 240_000)
  afterAll(() => {
    if (failed) say(`kept ${tmp} (a test failed)`)
    else fs.rmSync(tmp, {recursive: true, force: true})
    if (cliDir) fs.rmSync(cliDir, {recursive: true, force: true})
  })

  it('broken host: internal-port-has-ip and kernel-route-via-internal-port; load rules unknown with the reason', async () => {
    try {
      const out = fs.mkdtempSync(path.join(tmp, 'broken-'))
      const t0 = Date.now()
      const archive = await sosReportOfLab(lab.netns, lab.env(), out)
      say(`sos report (broken) in ${Date.now() - t0} ms: ${archive}`)
      const {exitCode, d, stderr} = await diagnoseFrom(archive)
      const ids = d.findings.map((f) => f.ruleId)
      expect(ids, `${stderr}\nabsent: ${d.input.sosreport?.absent.join('; ')}`).toEqual(expect.arrayContaining(BYPASS))
      expect(d.verdict.kind).toBe('kernel-bypass')
      expect(exitCode).toBe(2)
      expect(d.input.sosreport?.sosVersion).toMatch(/^4\./)
      // Window rules (the load rules) cannot run on one sample: unknown, and they say why.
      const load = d.rules.filter((r) => ['kernel-nic-carries-load', 'internal-port-carries-load', 'dpdk-port-idle-under-load'].includes(r.ruleId))
      expect(load.length).toBeGreaterThan(0)
      for (const r of load) {
        expect(r.status).toBe('unknown')
        expect(r.reason).toBe(SOS_WINDOW_REASON)
      }
      // No sosreport temp tree is left behind.
      expect(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('dpdk-doctor-sos-'))).toEqual([])
    } catch (error) {
      failed = true
      throw error
    }
  }, 420_000)

  it('fixed host: no kernel-bypass finding', async () => {
    try {
      await lab.switchTo('fixed')
      const out = fs.mkdtempSync(path.join(tmp, 'fixed-'))
      const archive = await sosReportOfLab(lab.netns, lab.env(), out)
      const {d} = await diagnoseFrom(archive)
      expect(d.findings.filter((f) => BYPASS.includes(f.ruleId))).toEqual([])
      expect(d.verdict.kind).not.toBe('kernel-bypass')
    } catch (error) {
      failed = true
      throw error
    } finally {
      await lab.switchTo('broken')
    }
  }, 420_000)
})
