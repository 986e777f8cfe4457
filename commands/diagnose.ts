import {Flags} from '@oclif/core'
import {DoctorCommand, jsonFlag} from '../src/base-command.js'
import {usageLines} from '../src/usage.js'
import {diagnoseFrom, diagnoseLive} from '../src/diagnose/service.js'
import type {Diagnosis} from '../src/diagnose/types.js'
import {liveFlags, liveRequest, withInterrupt} from '../src/live-flags.js'
import type {LiveFlagValues} from '../src/live-flags.js'
import {renderDiagnosis} from '../src/report/human.js'
import {outputWidth} from '../src/report/layout.js'
import {renderNagios, renderNagiosError} from '../src/report/nagios.js'
import {NPD_EXIT, npdExitCode, npdLine, renderNpd} from '../src/report/npd.js'
import {renderPrometheus} from '../src/report/prometheus.js'
import {writeTextfileAtomically} from '../src/report/textfile.js'
import {TOOL} from '../src/version.js'
import {DoctorError} from '../src/errors.js'
import {diagnoseHosts, inputsOfCapture, isHostsDir, readBundles, readHosts, saveHosts} from '../src/remote/diagnose.js'
import type {MultiDiagnosis} from '../src/remote/diagnose.js'
import {hostFlags, hostsRequestOf} from '../src/remote/flags.js'
import type {HostFlagValues} from '../src/remote/flags.js'
import {captureHosts} from '../src/remote/hosts.js'
import {renderMulti} from '../src/remote/report.js'

const FORMATS = ['human', 'nagios', 'npd', 'prometheus'] as const
type Format = (typeof FORMATS)[number]

export default class Diagnose extends DoctorCommand {
  static override summary = 'Find out whether VM traffic takes the DPDK fast path or bypasses it through the kernel.'

  static override description = `Snapshots the host (addresses, routes, drivers, OVS bridges and ports, PMD threads, FDB), optionally before and during a load such as iperf3, runs the rules and prints a verdict, the findings in causal order (root cause, what the traffic shows, what follows, other problems, info), where the traffic went, and the fix (the plan that fix shows). --verbose adds the evidence.

Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (not enough data, usage error, timeout); with --format npd: 0 OK, 1 problem, 2 unknown.

For fleets (README "Fleets"): --format nagios is a Nagios/Icinga check, --format npd a node-problem-detector plugin, --prometheus-textfile FILE writes the result for node_exporter's textfile collector.`

  static override examples = [
    '<%= config.bin %> diagnose',
    '<%= config.bin %> diagnose --load "iperf3 -c 10.10.1.20 -t 10 -J"',
    '<%= config.bin %> diagnose --during 10s --save /tmp/host0-bundle',
    '<%= config.bin %> diagnose --from fixtures/bundles/lab-broken-huge-load --json',
    '<%= config.bin %> diagnose --format nagios',
    '<%= config.bin %> diagnose --prometheus-textfile /var/lib/prometheus/node-exporter/dpdk_doctor.prom',
    '<%= config.bin %> diagnose --netns lab-host0 --ovs-rundir /tmp/dpdk-doctor-lab/run --load "ip netns exec lab-vm0 iperf3 -c 172.16.0.2 -t 6 -J"',
  ]

  static override flags = {
    json: jsonFlag('the diagnosis (schema dpdk-doctor/diagnosis@1)'),
    from: Flags.string({description: 'Diagnose a saved capture bundle or a sosreport (directory or .tar.xz/.tar.gz) instead of this host; a --save directory of several hosts (hosts.json), or --from twice for two hosts.', exclusive: ['load', 'during', 'save', 'netns', 'ovs-rundir', 'host'], multiple: true}),
    save: Flags.directory({description: 'Also save the capture bundle to this directory.'}),
    format: Flags.string({
      description: 'Output: human (default), nagios (Nagios/Icinga check result), npd (node-problem-detector plugin), prometheus (text exposition).',
      options: [...FORMATS],
      default: 'human',
      exclusive: ['json'],
    }),
    'prometheus-textfile': Flags.file({description: 'Also write the result as Prometheus metrics to this file, atomically (for node_exporter --collector.textfile.directory; name it *.prom).'}),
    ...liveFlags,
    ...hostFlags,
  }

  static override usage = usageLines('diagnose', Diagnose.flags, {mode: 'from'})

  /** The --format of this run, known even when flag parsing failed (so an error still speaks it). */
  private format(): Format {
    const i = this.argv.findIndex((a) => a === '--format' || a.startsWith('--format='))
    const arg = i < 0 ? undefined : this.argv[i]
    const v = arg === undefined ? undefined : arg.includes('=') ? arg.slice('--format='.length) : this.argv[i + 1]
    return (FORMATS as readonly string[]).includes(v ?? '') ? (v as Format) : 'human'
  }

  async run(): Promise<Diagnosis | MultiDiagnosis> {
    const startedAt = performance.now()
    const {flags} = await this.parse(Diagnose)
    const from = flags.from ?? []
    if (flags.host?.length || from.length > 1 || (from.length === 1 && isHostsDir(from[0]!))) {
      const multi = await this.multiHost(flags, from)
      process.exitCode = multi.exitCode
      if (this.jsonEnabled()) return multi
      this.log(renderMulti(multi, this.style(flags['no-color']), {verbose: flags.verbose, width: outputWidth()}))
      return multi
    }
    const diagnosis = from.length === 1
      ? await diagnoseFrom(from[0]!)
      : await withInterrupt((signal) =>
          diagnoseLive({...liveRequest(flags), save: flags.save ?? null, signal, progress: this.progress()}).finally(() => this.endProgress()),
        )
    process.exitCode = diagnosis.exitCode
    const run = {finishedAt: new Date(), durationS: (performance.now() - startedAt) / 1000, toolVersion: TOOL.version}
    if (flags['prometheus-textfile']) writeTextfileAtomically(flags['prometheus-textfile'], renderPrometheus(diagnosis, run))
    if (this.jsonEnabled()) return diagnosis
    const format = flags.format as Format
    if (format === 'nagios') this.log(renderNagios(diagnosis))
    else if (format === 'npd') {
      this.log(renderNpd(diagnosis))
      process.exitCode = npdExitCode(diagnosis)
    } else if (format === 'prometheus') process.stdout.write(renderPrometheus(diagnosis, run))
    else this.log(renderDiagnosis(diagnosis, this.style(flags['no-color']), {verbose: flags.verbose, width: outputWidth()}))
    return diagnosis
  }

  /** --host (over ssh) or --from of several hosts: each judged, the cross-host rules, one exit code. */
  private async multiHost(flags: LiveFlagValues & HostFlagValues & {format: string; 'prometheus-textfile'?: string; save?: string}, from: string[]): Promise<MultiDiagnosis> {
    if ((flags.format as Format) !== 'human' || flags['prometheus-textfile']) throw new DoctorError('E_USAGE', 'several hosts give the human report or --json only (no --format, no --prometheus-textfile)')
    if (from.length > 0) return diagnoseHosts(from.length === 1 ? await readHosts(from[0]!) : await readBundles(from))
    const capture = await withInterrupt((signal) =>
      captureHosts(hostsRequestOf(flags, {signal, progress: this.progress()})).finally(() => this.endProgress()),
    )
    if (flags.save) saveHosts(flags.save, capture)
    return diagnoseHosts(inputsOfCapture(capture, flags.save ?? null))
  }

  // A check result must be one on stdout even when the run failed: UNKNOWN in each engine's terms.
  protected override async catch(err: Error & {oclif?: {exit?: number}}): Promise<unknown> {
    const format = this.jsonEnabled() ? 'human' : this.format()
    if (format === 'nagios') {
      this.log(renderNagiosError(err.message))
      process.exitCode = 3
      return undefined
    }
    if (format === 'npd') {
      this.log(npdLine(`UNKNOWN: ${err.message}`))
      process.exitCode = NPD_EXIT.UNKNOWN
      return undefined
    }
    return super.catch(err)
  }
}
