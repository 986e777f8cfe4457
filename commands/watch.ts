import {Flags} from '@oclif/core'
import {DoctorCommand} from '../src/base-command.js'
import {usageLines} from '../src/usage.js'
import {colorWanted} from '../src/report/style.js'
import {parseDuration, splitCommand} from '../src/util/argv.js'
import {tuneJitForSampling} from '../src/watch/jit.js'
import {runPlain, runPlainMulti} from '../src/watch/plain.js'
import {hostFlags, sshSettingsOf} from '../src/remote/flags.js'
import {LOCAL_HOST} from '../src/remote/ssh.js'
import {createMultiWatch, createRemoteWatch, createWatch, defaultSaveDir, finishMultiWatch, finishWatch, multiSummaryJson, multiSummaryLines, summaryJson, summaryLines} from '../src/watch/service.js'
import type {MultiWatchRequest} from '../src/watch/service.js'

export default class Watch extends DoctorCommand {
  static override summary = 'Live dashboard of the datapath: where the packets go, second by second, while a load runs.'

  static override description = `Samples the live counters (dpctl/show -s and PMD stats over ovs-vswitchd's control socket, sysfs statistics) every interval and shows the path verdict (FAST PATH / KERNEL PATH / IDLE, judged like diagnose on the last few samples), per-port packet and bit rates with a 60 s sparkline, the PMD threads' busy share, iperf3's own rate, and the findings as they fire.

Keys: q quit, p pause, s save a capture, f show the fix plan. Not on a terminal (a pipe, CI) it prints one plain line per interval; --json prints one JSON object per line.

On exit it ends the load's process group, prints the window's diagnosis summary and exits with diagnose's code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.`

  static override examples = [
    '<%= config.bin %> watch --load "iperf3 -c 10.10.1.20 -t 30"',
    '<%= config.bin %> watch --netns lab-host0 --ovs-rundir /tmp/dpdk-doctor-lab/run --load "ip netns exec lab-vm0 iperf3 -c 172.16.0.2 -t 30"',
    '<%= config.bin %> watch --from fixtures/bundles/lab-broken-huge-load',
    '<%= config.bin %> watch --during 20s --save /tmp/host0-watch | cat',
    '<%= config.bin %> watch --host lab-host1 --ssh-config /tmp/dpdk-doctor-lab/ssh_config --during 30s --json',
    '<%= config.bin %> watch --host lab-host0 --host lab-host1 --ssh-config /tmp/dpdk-doctor-lab/ssh/config --load "ip netns exec lab-vm0 iperf3 -c 10.10.1.20 -t 30 -b 100M"',
  ]

  static override flags = {
    json: Flags.boolean({description: 'Print one JSON object per line: one per interval, then the summary (docs/json-output.md); an error prints {"error": {...}}.', helpGroup: 'GLOBAL'}),
    load: Flags.string({aliases: ['run'], description: 'Run this load (no shell) while watching, e.g. "iperf3 -c 10.10.1.20 -t 30"; iperf3 gets --forceflush so its rate shows every interval (--run is the old name).'}),
    interval: Flags.string({description: 'Time between samples (stretched when a sample runs late).', default: '1s'}),
    during: Flags.string({aliases: ['duration'], description: 'Watch for this long while you run your own load, e.g. 20s (default: until q, Ctrl-C, or the end of the load; --duration is the old name).'}),
    netns: Flags.string({description: 'Run the kernel-side sources (ip, sysfs) in this network namespace.', env: 'DPDK_DOCTOR_NETNS', exclusive: ['from']}),
    'ovs-rundir': Flags.directory({description: 'OVS run directory with the db.sock and control sockets.', env: 'OVS_RUNDIR', exclusive: ['from']}),
    save: Flags.directory({description: 'Save the window as a capture bundle here on exit (readable by diagnose --from); the s key saves here too.'}),
    from: Flags.directory({description: 'Replay a capture bundle\'s samples instead of watching this host.', exclusive: ['load', 'netns', 'ovs-rundir']}),
    'load-timeout': Flags.string({description: 'End the load command after this long.', default: '3600s'}),
    host: Flags.string({description: 'Watch this host over ssh (an ssh destination or Host alias; `local` for this machine): its counters through one resident ssh; repeatable: two hosts on one dashboard with the wire between them and the cross-host rules; --load still runs here (docs/multi-host.md).', exclusive: ['from'], multiple: true}),
    'ssh-config': hostFlags['ssh-config'],
    'ssh-option': hostFlags['ssh-option'],
    'accept-new-host-keys': hostFlags['accept-new-host-keys'],
  }

  /** One JSON object per line (oclif would pretty-print over several). */
  override logJson(json: unknown): void {
    process.stdout.write(JSON.stringify(json) + '\n')
  }

  static override usage = usageLines('watch', Watch.flags, {mode: 'from'})

  async run(): Promise<undefined> {
    const {flags} = await this.parse(Watch)
    const json = this.jsonEnabled()
    const intervalMs = parseDuration(flags.interval)
    const request = {
      from: flags.from ?? null,
      netns: flags.netns ?? null,
      ovsRundir: flags['ovs-rundir'] ?? null,
      load: flags.load ? splitCommand(flags.load) : null,
      loadTimeoutMs: parseDuration(flags['load-timeout']),
      durationMs: flags.during ? parseDuration(flags.during) : null,
      save: flags.save ?? null,
    }
    // Minutes of a few milliseconds' work a second: optimise only what is hot within a sample.
    tuneJitForSampling()
    // The dashboard only for a human at a terminal: never under --json, in a pipe or in CI.
    const dashboard = !json && process.stdout.isTTY === true && !process.env.CI
    const hosts = flags.host ?? []
    if (hosts.length > 1) return this.runMulti({...request, hosts, ssh: sshSettingsOf(flags), intervalMs}, {json, dashboard, noColor: flags['no-color']})
    const remote = hosts[0] && hosts[0] !== LOCAL_HOST ? hosts[0] : null
    const {session, store, notes} = remote ? await createRemoteWatch({...request, host: remote, ssh: sshSettingsOf({...flags, host: [remote]})}) : createWatch(request)
    try {
      if (dashboard) {
        prepareInk(flags['no-color'])
        const {runDashboard} = await import('../src/watch/ui/render.js')
        await runDashboard({session, store, intervalMs, saveDir: () => flags.save ?? defaultSaveDir()})
      } else {
        for (const note of notes) process.stderr.write(`${note}\n`)
        await untilSignal((signal) => runPlain({session, store, intervalMs, json, signal, write: (line) => process.stdout.write(`${line}\n`), warn: (line) => process.stderr.write(`${line}\n`)}))
      }
    } catch (error) {
      // The load, the control socket and the resident reader must not outlive a failed watch.
      session.abortFinal()
      await session.stop().catch(() => undefined)
      throw error
    }

    // Ending: the load's process group goes first, then a final snapshot (a second Ctrl-C skips it).
    if (dashboard && session.live) process.stderr.write('ending the load and taking a final snapshot...\n')
    const capture = await onSignals(() => session.abortFinal(), () => session.stop())
    const result = finishWatch(capture, request)
    process.exitCode = result.diagnosis.exitCode
    if (json) this.logJson(JSON.parse(summaryJson(result)))
    else this.log(summaryLines(result, this.style(flags['no-color'])).join('\n'))
    return undefined
  }

  /** watch --host A --host B: one dashboard (or plain/JSON lines per tick), the two-host diagnose's summary and exit code. */
  private async runMulti(request: MultiWatchRequest, opts: {json: boolean; dashboard: boolean; noColor: boolean}): Promise<undefined> {
    const {watch, notes} = await createMultiWatch(request)
    try {
      if (opts.dashboard) {
        prepareInk(opts.noColor)
        const {runMultiDashboard} = await import('../src/watch/ui/render.js')
        await runMultiDashboard({watch, intervalMs: request.intervalMs, saveDir: () => request.save ?? defaultSaveDir()})
      } else {
        for (const note of notes) process.stderr.write(`${note}\n`)
        await untilSignal((signal) => runPlainMulti({watch, intervalMs: request.intervalMs, json: opts.json, signal, write: (line) => process.stdout.write(`${line}\n`), warn: (line) => process.stderr.write(`${line}\n`)}))
      }
    } catch (error) {
      watch.abortFinal()
      await watch.stop().catch(() => undefined)
      throw error
    }
    if (opts.dashboard) process.stderr.write('ending the load and taking the final snapshots...\n')
    const capture = await onSignals(() => watch.abortFinal(), () => watch.stop())
    const result = finishMultiWatch(capture, request)
    process.exitCode = result.multi.exitCode
    if (opts.json) this.logJson(JSON.parse(multiSummaryJson(result)))
    else this.log(multiSummaryLines(result, this.style(opts.noColor)).join('\n'))
    return undefined
  }
}

/** Before ink is loaded. */
function prepareInk(noColor: boolean): void {
  // React's development build re-checks every render: several times the CPU of the production one.
  process.env.NODE_ENV ??= 'production'
  // ink's colours follow FORCE_COLOR and --no-color, not NO_COLOR or TERM=dumb: say it in its terms.
  if (!colorWanted(process.stdout, noColor)) process.env.FORCE_COLOR = '0'
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** Runs `body` with `onSignal` called on Ctrl-C, SIGTERM or SIGHUP (once each), and no longer after. */
async function onSignals<T>(onSignal: () => void, body: () => Promise<T>): Promise<T> {
  for (const s of SIGNALS) process.once(s, onSignal)
  try {
    return await body()
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal)
  }
}

/** Runs the plain watch until it ends or a signal aborts it. */
function untilSignal(run: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const stop = new AbortController()
  return onSignals(() => stop.abort(), () => run(stop.signal))
}
