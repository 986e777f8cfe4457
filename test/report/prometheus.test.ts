/**
 * The Prometheus textfile: every rule's four state series every run with exactly one set, label
 * values escaped, ratios 0-1 from the diagnosis, and the atomic write. promtool and node_exporter
 * check the same text for real in test/engines/.
 */
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {diagnoseBundle} from '../../src/diagnose/service.js'
import type {Diagnosis} from '../../src/diagnose/types.js'
import {escapeLabelValue, renderPrometheus, RULE_STATES} from '../../src/report/prometheus.js'
import {writeTextfileAtomically} from '../../src/report/textfile.js'

const BUNDLES = readdirSync('fixtures/bundles', {withFileTypes: true}).filter((e) => e.isDirectory()).map((e) => e.name).sort()
const RUN = {finishedAt: new Date('2026-12-01T10:00:00Z'), durationS: 1.25, toolVersion: '9.9.9'}

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** The sample lines of an exposition (a small reader: label values may hold escaped quotes). */
function samples(text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g
    let rest = m[2] ?? ''
    for (let l = re.exec(rest); l; l = re.exec(rest)) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\')
    rest = rest.replace(re, '')
    if (rest !== '') throw new Error(`unparsed labels in ${line}`)
    out.push({name: m[1]!, labels, value: Number(m[3])})
  }
  return out
}

const key = (s: Sample) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`

describe.each(BUNDLES)('textfile of %s', (name) => {
  const d = diagnoseBundle(`fixtures/bundles/${name}`)
  const all = samples(renderPrometheus(d, RUN))
  const of = (metric: string) => all.filter((s) => s.name === metric)

  it('has no duplicate series, and every name carries the dpdk_doctor_ prefix', () => {
    expect(new Set(all.map(key)).size).toBe(all.length)
    for (const s of all) expect(s.name).toMatch(/^dpdk_doctor_/)
  })

  it('has every rule in all four states, exactly one of them 1, matching the diagnosis', () => {
    const states = of('dpdk_doctor_rule_state')
    for (const r of d.rules) {
      const mine = states.filter((s) => s.labels.rule === r.ruleId)
      const subjects = [...new Set(mine.map((s) => s.labels.subject))]
      expect(subjects.length, r.ruleId).toBeGreaterThan(0)
      for (const subject of subjects) {
        const set = mine.filter((s) => s.labels.subject === subject)
        expect(set.map((s) => s.labels.state).sort()).toEqual(RULE_STATES.map((x) => x.label).sort())
        const on = set.filter((s) => s.value === 1)
        expect(on).toHaveLength(1)
        expect(on[0]!.labels.state).toBe(RULE_STATES.find((x) => x.status === r.status)!.label)
        // The finding's severity where the rule found something for this subject (worst first), else the rule's own.
        const found = d.findings.filter((f) => f.ruleId === r.ruleId && f.subject === subject).map((f) => f.severity)
        expect(on[0]!.labels.severity).toBe((['critical', 'warning', 'info'] as const).find((l) => found.includes(l)) ?? r.severity)
      }
      if (r.status === 'fail') expect(subjects.sort()).toEqual([...new Set(d.findings.filter((f) => f.ruleId === r.ruleId).map((f) => f.subject))].sort())
    }
    expect(new Set(states.map((s) => s.labels.rule)).size).toBe(d.rules.length)
  })

  it('has the verdict, the status, the exit code, the run time and the versions', () => {
    expect(of('dpdk_doctor_verdict').filter((s) => s.value === 1).map((s) => s.labels.kind)).toEqual([d.verdict.kind])
    expect(of('dpdk_doctor_status').filter((s) => s.value === 1).map((s) => s.labels.status)).toEqual([d.status])
    expect(of('dpdk_doctor_exit_code')[0]!.value).toBe(d.exitCode)
    expect(of('dpdk_doctor_last_run_timestamp_seconds')[0]!.value).toBe(RUN.finishedAt.getTime() / 1000)
    expect(of('dpdk_doctor_run_duration_seconds')[0]!.value).toBe(1.25)
    const info = of('dpdk_doctor_info')[0]!
    expect(info.labels).toMatchObject({version: '9.9.9', ovs_version: d.versions.ovs ?? '', dpdk_version: d.versions.dpdk ?? ''})
  })

  it('has the traffic shares as ratios of the attribution and PMD busy as a ratio', () => {
    const shares = of('dpdk_doctor_traffic_byte_share_ratio')
    if (!d.attribution) expect(shares).toHaveLength(0)
    for (const s of shares) {
      const want = d.attribution!.byClass[s.labels.class as keyof NonNullable<Diagnosis['attribution']>['byClass']].byteShare
      if (want === null) expect(s.value).toBeNaN()
      else expect(s.value).toBeCloseTo(want, 9)
    }
    const busy = of('dpdk_doctor_pmd_busy_ratio')
    expect(busy).toHaveLength(d.pmds?.length ?? 0)
    for (const [i, p] of (d.pmds ?? []).entries()) {
      if (p.busyPct === null) expect(busy[i]!.value).toBeNaN()
      else expect(busy[i]!.value).toBeCloseTo(p.busyPct / 100, 9)
      expect(busy[i]!.value <= 1 || Number.isNaN(busy[i]!.value)).toBe(true)
    }
  })
})

describe('label values', () => {
  it('escapes backslash, double quote and newline', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd')
  })
  it('survives a hostile subject and host name', () => {
    const d = diagnoseBundle('fixtures/bundles/lab-broken-huge-load')
    const odd: Diagnosis = {
      ...d,
      host: {...d.host, hostname: 'host "0"\\x\nnext'},
      findings: d.findings.map((f) => (f.ruleId === 'internal-port-has-ip' ? {...f, subject: 'br"0\n'} : f)),
    }
    const text = renderPrometheus(odd, RUN)
    const all = samples(text)
    expect(all.find((s) => s.name === 'dpdk_doctor_info')!.labels.hostname).toBe('host "0"\\x\nnext')
    expect(all.find((s) => s.labels.rule === 'internal-port-has-ip' && s.labels.state === 'fail')!.labels.subject).toBe('br"0\n')
    // One line per sample: nothing raw broke a line.
    expect(text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toHaveLength(all.length)
  })
})

describe('writeTextfileAtomically', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-textfile-'))
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  it('replaces the file by a rename (a new inode), readable by others, leaving no temp file', () => {
    const file = join(dir, 'dpdk_doctor.prom')
    writeFileSync(file, 'old\n')
    const before = statSync(file).ino
    writeTextfileAtomically(file, 'new\n')
    expect(readFileSync(file, 'utf8')).toBe('new\n')
    expect(statSync(file).ino).not.toBe(before)
    expect(statSync(file).mode & 0o777).toBe(0o644)
    expect(readdirSync(dir)).toEqual(['dpdk_doctor.prom'])
  })

  it('throws and leaves nothing behind when the directory does not exist', () => {
    expect(() => writeTextfileAtomically(join(dir, 'missing', 'x.prom'), 'x')).toThrow()
    expect(readdirSync(dir)).toEqual(['dpdk_doctor.prom'])
  })

  it('leaves nothing behind when the rename fails (the target is a directory)', () => {
    // A non-empty directory cannot be replaced by a file.
    const target = join(dir, 'busy.prom')
    mkdirSync(target)
    writeFileSync(join(target, 'keep'), '')
    expect(() => writeTextfileAtomically(target, 'x')).toThrow()
    expect(readdirSync(dir).sort()).toEqual(['busy.prom', 'dpdk_doctor.prom'])
  })
})

describe('the severity label of a rule whose severity follows what it saw', () => {
  const stateOf = (bundle: string, rule: string) =>
    samples(renderPrometheus(diagnoseBundle(`fixtures/bundles/${bundle}`), RUN)).filter((s) => s.name === 'dpdk_doctor_rule_state' && s.labels.rule === rule && s.labels.state === 'fail')
  it('is the finding\'s: info for the testpmd guest (no alert), warning for the kernel guest', () => {
    expect(stateOf('lab-fixed-huge-load', 'guest-tso-off-by-host')).toEqual([expect.objectContaining({labels: expect.objectContaining({severity: 'info'}), value: 1})])
    expect(stateOf('lab-fixed-qemu-tso-off', 'guest-tso-off-by-host')).toEqual([expect.objectContaining({labels: expect.objectContaining({severity: 'warning'}), value: 1})])
  })
})
