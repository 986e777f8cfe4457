/**
 * Live collection through real processes: `#!/bin/sh` stubs of ip, ovs-vsctl, ovs-appctl,
 * ovs-ofctl, ethtool and dpdk-devbind.py that sleep the recorded duration of the lab capture's
 * `before` sample and print its recorded output, first on PATH via DPDK_DOCTOR_PATH. No OVS here.
 */
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {SourceRecord} from '../../src/capture/types.js'
import {collectSample} from '../../src/collect/collect.js'
import type {SlowPolicy} from '../../src/collect/collect.js'
import {STATIC_SOURCES} from '../../src/collect/sources.js'
import {HostRunner} from '../../src/exec/runner.js'
import {median, round, spread} from './stats.js'
import type {Spread} from './stats.js'

const LAB = new URL('../../fixtures/bundles/lab-broken-huge-load/before/', import.meta.url).pathname
/** The recorded sample the stubs answer with. */
export const LAB_BEFORE = LAB
/** dpdk-devbind.py is a Python script that scans every PCI device: ~350 ms on real hosts. */
const DEVBIND_MS = 350

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`

/**
 * One `case` arm: match dpdk-doctor's argv for a source (as a shell pattern on "$*"), sleep its
 * recorded duration, print its recorded stdout/stderr, exit with its recorded code.
 */
function arm(pattern: string, id: string, records: Map<string, SourceRecord>, sleepMs?: number): string {
  const r = records.get(id)
  const ms = sleepMs ?? r?.durationMs ?? 10
  const out = join(LAB, `${id}.out`)
  const err = join(LAB, `${id}.err`)
  const code = r ? (r.exitCode ?? 1) : 1
  const body = r
    ? `sleep ${(ms / 1000).toFixed(3)}; cat ${quote(out)}; [ -f ${quote(err)} ] && cat ${quote(err)} >&2; exit ${code}`
    : `sleep ${(ms / 1000).toFixed(3)}; echo "stub: no recording for ${id}" >&2; exit 1`
  return `  ${pattern}) ${body} ;;`
}

function script(name: string, arms: string[], fallback = `echo "stub ${name}: unexpected $*" >&2; exit 1`): string {
  return `#!/bin/sh\n# Bench stub of ${name}: recorded output of the lab capture (test/bench/live-collect.ts).\ncase "$*" in\n${arms.join('\n')}\n  *) ${fallback} ;;\nesac\n`
}

/** Writes the stub directory; returns its path (the caller removes it). */
export function writeStubs(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dpdk-doctor-bench-'))
  const records = new Map((JSON.parse(readFileSync(join(LAB, 'sources.json'), 'utf8')) as SourceRecord[]).map((r) => [r.id, r]))
  const bridges = [...records.keys()].filter((id) => id.startsWith('fdb.')).map((id) => id.slice('fdb.'.length))
  const ethtools = [...records.keys()].filter((id) => id.startsWith('ethtool-i.')).map((id) => id.slice('ethtool-i.'.length))
  const stubs: Record<string, string> = {
    ip: script('ip', [arm("'-j addr show'", 'ip-addr', records), arm("'-j route show table all'", 'ip-route', records), arm("'-j -s -d link show'", 'ip-link', records)]),
    'ovs-vsctl': script('ovs-vsctl', ['Open_vSwitch', 'Bridge', 'Port', 'Interface'].map((t) => arm(`*' list ${t}'`, `ovsdb-${t.toLowerCase()}`, records))),
    'ovs-appctl': script('ovs-appctl', [
      arm("*' dpif/show'", 'dpif-show', records),
      arm("*' dpctl/show -s'", 'dpctl-show', records),
      arm("*' dpif-netdev/pmd-stats-show'", 'pmd-stats', records),
      arm("*' dpif-netdev/pmd-perf-show -nh'", 'pmd-perf', records),
      arm("*' dpif-netdev/pmd-rxq-show'", 'pmd-rxq', records),
      ...bridges.map((b) => arm(`*' fdb/show ${b}'`, `fdb.${b}`, records)),
    ]),
    // No `ofctl show` was recorded: the stub fails it like a missing recording (status error).
    'ovs-ofctl': script('ovs-ofctl', bridges.flatMap((b) => [arm(`*' dump-ports ${b}'`, `ofctl-ports.${b}`, records), arm(`*' show ${b}'`, `ofctl-show.${b}`, records)])),
    // This machine's own NICs (sysfs is read for real) get the recorded enp65s0f0np0 answer.
    ethtool: script('ethtool', ethtools.map((i) => arm(`'-i ${i}'`, `ethtool-i.${i}`, records)), `sleep 0.007; cat ${quote(join(LAB, 'ethtool-i.enp65s0f0np0.out'))}`),
    'dpdk-devbind.py': script('dpdk-devbind.py', [arm("'--status-dev net'", 'devbind', records, DEVBIND_MS)]),
  }
  for (const [name, text] of Object.entries(stubs)) {
    writeFileSync(join(dir, name), text)
    chmodSync(join(dir, name), 0o755)
  }
  // The OVS run directory as ovs-vswitchd leaves it: a management socket per bridge.
  mkdirSync(join(dir, 'run'))
  for (const b of bridges) writeFileSync(join(dir, 'run', `${b}.mgmt`), '')
  return dir
}

const SLOW_IDS = new Set(STATIC_SOURCES.filter((s) => s.slow).map((s) => s.id))

interface Run {
  wallMs: number
  slowestRequiredMs: number
  slowestRequiredId: string
  ratio: number
  devbindStatus: string | null
}

async function once(slow: SlowPolicy, stubs: string): Promise<Run> {
  const t = performance.now()
  const {sample} = await collectSample('before', {runner: new HostRunner(), target: {netns: null, ovsRundir: join(stubs, 'run')}, slow})
  const wallMs = performance.now() - t
  // Every non-slow source, per-bridge and per-NIC ones included, as recorded in this same sample.
  const required = Object.values(sample.sources).filter((r) => !SLOW_IDS.has(r.id))
  const slowest = required.reduce((a, b) => (b.durationMs > a.durationMs ? b : a))
  return {wallMs, slowestRequiredMs: slowest.durationMs, slowestRequiredId: slowest.id, ratio: wallMs / slowest.durationMs, devbindStatus: sample.sources.devbind?.status ?? null}
}

export interface LiveCollectResult {
  policy: SlowPolicy
  wallMs: Spread
  slowestRequiredMs: Spread
  slowestRequiredIds: string[]
  /** Median of the per-run ratios wall / slowest required source. */
  ratio: number
  targetRatio: number | null
  pass: boolean | null
  devbindStatuses: string[]
}

export async function benchLiveCollect(runs = 10, warmups = 2): Promise<LiveCollectResult[]> {
  const dir = writeStubs()
  const previous = process.env.DPDK_DOCTOR_PATH
  process.env.DPDK_DOCTOR_PATH = dir
  try {
    const policies: Array<{policy: SlowPolicy; target: number | null}> = [
      {policy: 'grace', target: 1.5},
      {policy: 'wait', target: null},
    ]
    const results = policies.map(() => [] as Run[])
    for (let round = 0; round < warmups + runs; round++) {
      for (const [i, p] of policies.entries()) {
        const r = await once(p.policy, dir)
        if (round >= warmups) results[i]!.push(r)
      }
    }
    return policies.map((p, i) => {
      const rs = results[i]!
      const ratio = round(median(rs.map((r) => r.ratio)), 2)
      return {
        policy: p.policy,
        wallMs: spread(rs.map((r) => r.wallMs)),
        slowestRequiredMs: spread(rs.map((r) => r.slowestRequiredMs)),
        slowestRequiredIds: [...new Set(rs.map((r) => r.slowestRequiredId))],
        ratio,
        targetRatio: p.target,
        pass: p.target === null ? null : ratio <= p.target,
        devbindStatuses: [...new Set(rs.map((r) => r.devbindStatus ?? 'absent'))],
      }
    })
  } finally {
    if (previous === undefined) delete process.env.DPDK_DOCTOR_PATH
    else process.env.DPDK_DOCTOR_PATH = previous
    rmSync(dir, {recursive: true, force: true})
  }
}
