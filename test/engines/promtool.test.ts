/**
 * The real promtool (Debian's prometheus package): `check metrics` on the textfile of every fixture
 * bundle, `check rules` and `test rules` on docs/fleets/, and the alert rules evaluated over series
 * made from the broken and fixed bundles' own textfiles (so that a renamed metric or label breaks
 * the alerts here, not in production).
 */
import {execa} from 'execa'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {diagnoseBundle} from '../../src/diagnose/service.js'
import {renderPrometheus} from '../../src/report/prometheus.js'
import {writeTextfileAtomically} from '../../src/report/textfile.js'
import {bundle, gateEngines, ROOT} from './engines.js'

const BUNDLES = readdirSync(path.join(ROOT, 'fixtures', 'bundles'), {withFileTypes: true}).filter((e) => e.isDirectory()).map((e) => e.name).sort()
const RULES_DIR = path.join(ROOT, 'docs', 'fleets')
const tmp = mkdtempSync(path.join(tmpdir(), 'dd-promtool-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

const promtool = (args: string[], input?: string) => execa('promtool', args, {reject: false, input, cwd: tmp, all: true})

function textfileOf(name: string, finishedAt = new Date()): string {
  const file = path.join(tmp, `${name}.prom`)
  writeTextfileAtomically(file, renderPrometheus(diagnoseBundle(bundle(name)), {finishedAt, durationS: 0.5, toolVersion: '0.0.0-test'}))
  return readFileSync(file, 'utf8')
}

describe('promtool', () => {
  gateEngines(['promtool'])

  it('check metrics passes on the textfile of every fixture bundle', async () => {
    const failures: string[] = []
    await Promise.all(BUNDLES.map(async (name) => {
      const r = await promtool(['check', 'metrics'], textfileOf(name))
      if (r.exitCode !== 0 || r.all !== '') failures.push(`${name}: exit ${r.exitCode}: ${r.all}`)
    }))
    expect(failures).toEqual([])
  })

  it('check metrics does complain about what breaks the conventions (so the check above can fail)', async () => {
    const r = await promtool(['check', 'metrics'], '# HELP dpdk_doctor_runs runs\n# TYPE dpdk_doctor_runs counter\ndpdk_doctor_runs 1\n')
    expect(r.exitCode).not.toBe(0)
    expect(r.all).toMatch(/counter metrics should have "_total" suffix/)
  })

  it('check rules and test rules pass on docs/fleets', async () => {
    const check = await promtool(['check', 'rules', path.join(RULES_DIR, 'dpdk-doctor.rules.yml')])
    expect(check.all).toMatch(/SUCCESS: 6 rules found/)
    expect(check.exitCode).toBe(0)
    const test = await execa('promtool', ['test', 'rules', 'dpdk-doctor.rules.test.yml'], {reject: false, cwd: RULES_DIR, all: true})
    expect(test.all).toMatch(/SUCCESS/)
    expect(test.exitCode).toBe(0)
  })

  it('the alerts fire for the broken bundle\'s series and not for the fixed one\'s', async () => {
    // Each bundle's textfile as scraped from one host every minute for an hour.
    const hosts = {host0: 'lab-broken-huge-load', host1: 'lab-fixed-huge-load'}
    const series: string[] = []
    const failing: Array<{rule: string; subject: string; severity: string}> = []
    for (const [instance, name] of Object.entries(hosts)) {
      for (const line of textfileOf(name, new Date(0)).split('\n')) {
        if (line === '' || line.startsWith('#')) continue
        const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line)!
        const labels = `instance="${instance}",job="node"${m[2] ? `,${m[2]}` : ''}`
        series.push(`      - series: '${m[1]}{${labels}}'\n        values: '${m[3] === 'NaN' ? '_' : m[3]}x60'`)
        const state = /rule="([^"]+)",subject="([^"]+)",severity="(critical|warning)",state="fail"/.exec(m[2] ?? '')
        if (m[1] === 'dpdk_doctor_rule_state' && state && m[3] === '1') failing.push({rule: state[1]!, subject: state[2]!, severity: state[3]!})
      }
    }
    expect(failing.map((f) => f.rule)).toContain('internal-port-has-ip')
    const expFailing = failing.map((f) =>
      `          - exp_labels: {instance: host0, job: node, rule: ${JSON.stringify(f.rule)}, subject: ${JSON.stringify(f.subject)}, severity: ${f.severity}, state: fail}\n` +
      `            exp_annotations:\n              summary: "dpdk-doctor rule ${f.rule} fails for ${f.subject} on host0"\n` +
      `              description: "\`dpdk-doctor rules explain ${f.rule}\` says why it matters."`).join('\n')
    const bypassDescription = "dpdk-doctor's verdict is kernel-bypass: VM traffic goes through the kernel, not the DPDK port. Run `dpdk-doctor diagnose` on the host for the findings and `dpdk-doctor fix` for the fix."
    const testFile = `rule_files:
  - ${path.join(RULES_DIR, 'dpdk-doctor.rules.yml')}
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
${series.join('\n')}
    alert_rule_test:
      - eval_time: 30m
        alertname: DpdkDoctorKernelBypass
        exp_alerts:
          - exp_labels: {severity: critical, instance: host0, job: node, kind: kernel-bypass}
            exp_annotations:
              summary: "VM traffic bypasses DPDK on host0"
              description: "${bypassDescription}"
      - eval_time: 30m
        alertname: DpdkDoctorRuleFailing
        exp_alerts:
${expFailing}
      - eval_time: 59m
        alertname: DpdkDoctorCannotJudge
        exp_alerts: []
      - eval_time: 59m
        alertname: DpdkDoctorPmdSaturated
        exp_alerts: []
`
    writeFileSync(path.join(tmp, 'fixtures.test.yml'), testFile)
    const r = await promtool(['test', 'rules', 'fixtures.test.yml'])
    expect(r.all).toMatch(/SUCCESS/)
    expect(r.exitCode).toBe(0)
  })
})
