/**
 * Two-host collection wall time vs the slower host alone (issue 14 target <= 1.3x): captureHosts
 * over real ssh to a real sshd (test/engines/sshd.ts, two ports of one server in a namespace of our
 * own = two hosts for ssh), a fresh control dir per run so each run logs in as a CLI run would.
 * The remote has no running OVS: the OVS tools answer at once with an error, so this measures the
 * transport and the remote commands, not OVSDB. Runnable alone: `npx tsx test/bench/two-hosts.ts`.
 */
import fs from 'node:fs'
import path from 'node:path'
import {HostRunner} from '../../src/exec/runner.js'
import type {RunRequest} from '../../src/exec/runner.js'
import {captureHosts} from '../../src/remote/hosts.js'
import {makeSshServer} from '../engines/sshd.js'
import {median, round, spread} from './stats.js'
import type {Spread} from './stats.js'

export interface TwoHostsBench {
  mode: string
  aloneMs: Record<string, Spread>
  bothMs: Spread
  ratio: number
  targetRatio: number
  pass: boolean
}

export async function benchTwoHosts(opts: {runs?: number; duringMs?: number | null} = {}): Promise<TwoHostsBench | {skipped: string}> {
  if (process.getuid?.() !== 0 || !fs.existsSync('/usr/sbin/sshd')) return {skipped: 'needs root and /usr/sbin/sshd'}
  const runs = opts.runs ?? 5
  const server = await makeSshServer({ports: [2223]})
  try {
    await server.start()
    const host = new HostRunner()
    const local = {run: (r: RunRequest) => host.run({...r, argv: server.inNs(r.argv)})}
    const once = async (hosts: string[]) => {
      const controlDir = fs.mkdtempSync(path.join(server.dir, 'control-'))
      const started = performance.now()
      const c = await captureHosts({
        hosts,
        ssh: {configFile: server.config, options: [], acceptNewHostKeys: false, controlDir},
        hostOvsRundirs: {},
        ovsRundir: null,
        netns: null,
        load: null,
        loadHost: null,
        duringMs: opts.duringMs ?? null,
        intervalMs: 1000,
        loadTimeoutMs: 60_000,
        runner: local,
      })
      const ms = performance.now() - started
      if (c.hosts.some((h) => !h.capture)) throw new Error(`a host was not collected: ${c.hosts.map((h) => `${h.name} ${h.status} ${h.failure?.reason ?? ''}`).join('; ')}`)
      return ms
    }
    await once(['dd-remote', 'dd-remote2']) // warm-up (page cache, sshd's first fork)
    const times: Record<string, number[]> = {'dd-remote': [], 'dd-remote2': [], both: []}
    // Interleaved, so a busy moment of the machine falls on every variant alike.
    for (let i = 0; i < runs; i++) {
      times['dd-remote']!.push(await once(['dd-remote']))
      times['dd-remote2']!.push(await once(['dd-remote2']))
      times.both!.push(await once(['dd-remote', 'dd-remote2']))
    }
    const slower = Math.max(median(times['dd-remote']!), median(times['dd-remote2']!))
    const ratio = round(median(times.both!) / slower, 2)
    return {
      mode: opts.duringMs ? `before + ${opts.duringMs / 1000} s window + final` : 'one snapshot',
      aloneMs: {'dd-remote': spread(times['dd-remote']!.map((t) => round(t, 0))), 'dd-remote2': spread(times['dd-remote2']!.map((t) => round(t, 0)))},
      bothMs: spread(times.both!.map((t) => round(t, 0))),
      ratio,
      targetRatio: 1.3,
      pass: ratio <= 1.3,
    }
  } finally {
    await server.destroy()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const duringMs of [null, 3000]) console.log(JSON.stringify(await benchTwoHosts({duringMs}), null, 2))
}
