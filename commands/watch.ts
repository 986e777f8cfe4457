import {Flags} from '@oclif/core'
import {DoctorCommand} from '../src/base-command.js'
import {usageLines} from '../src/usage.js'
import {colorWanted} from '../src/report/style.js'
import {parseDuration, splitCommand} from '../src/util/argv.js'
import {tuneJitForSampling} from '../src/watch/jit.js'
import {runPlain} from '../src/watch/plain.js'
import {hostFlags, sshSettingsOf} from '../src/remote/flags.js'
import {LOCAL_HOST} from '../src/remote/ssh.js'
import {createRemoteWatch, createWatch, defaultSaveDir, finishWatch, summaryJson, summaryLines} from '../src/watch/service.js'

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
    host: Flags.string({description: 'Watch this host over ssh (an ssh destination or Host alias; `local` for this machine): its counters through one resident ssh; --load still runs here (docs/multi-host.md).', exclusive: ['from']}),
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
    const remote = flags.host && flags.host !== LOCAL_HOST ? flags.host : null
    const {session, store, notes} = remote ? await createRemoteWatch({...request, host: remote, ssh: sshSettingsOf({...flags, host: [remote]})}) : createWatch(request)
    // The dashboard only for a human at a terminal: never under --json, in a pipe or in CI.
    const dashboard = !json && process.stdout.isTTY === true && !process.env.CI
    try {
      if (dashboard) {
        // React's development build re-checks every render: several times the CPU of the production one.
        process.env.NODE_ENV ??= 'production'
        // ink's colours follow FORCE_COLOR and --no-color, not NO_COLOR or TERM=dumb: say it in its terms.
        if (!colorWanted(process.stdout, flags['no-color'])) process.env.FORCE_COLOR = '0'
        const {runDashboard} = await import('../src/watch/ui/render.js')
        await runDashboard({session, store, intervalMs, saveDir: () => flags.save ?? defaultSaveDir()})
      } else {
        for (const note of notes) process.stderr.write(`${note}\n`)
        const stop = new AbortController()
        const onSignal = () => stop.abort()
        process.once('SIGINT', onSignal)
        process.once('SIGTERM', onSignal)
        process.once('SIGHUP', onSignal)
        try {
          await runPlain({session, store, intervalMs, json, signal: stop.signal, write: (line) => process.stdout.write(`${line}\n`), warn: (line) => process.stderr.write(`${line}\n`)})
        } finally {
          process.off('SIGINT', onSignal)
          process.off('SIGTERM', onSignal)
          process.off('SIGHUP', onSignal)
        }
      }
    } catch (error) {
      // The load, the control socket and the resident reader must not outlive a failed watch.
      session.abortFinal()
      await session.stop().catch(() => undefined)
      throw error
    }

    // Ending: the load's process group goes first, then a final snapshot (a second Ctrl-C skips it).
    const hurry = () => session.abortFinal()
    process.once('SIGINT', hurry)
    process.once('SIGTERM', hurry)
    process.once('SIGHUP', hurry)
    let capture
    try {
      if (dashboard && session.live) process.stderr.write('ending the load and taking a final snapshot...\n')
      capture = await session.stop()
    } finally {
      process.off('SIGINT', hurry)
      process.off('SIGTERM', hurry)
      process.off('SIGHUP', hurry)
    }
    const result = finishWatch(capture, request)
    process.exitCode = result.diagnosis.exitCode
    if (json) this.logJson(JSON.parse(summaryJson(result)))
    else this.log(summaryLines(result, this.style(flags['no-color'])).join('\n'))
    return undefined
  }
}
