import {Flags} from '@oclif/core'
import {DoctorCommand} from '../src/base-command.js'
import {diagnoseFrom, diagnoseLive} from '../src/diagnose/service.js'
import type {Diagnosis} from '../src/diagnose/types.js'
import {liveFlags, liveRequest, withInterrupt} from '../src/live-flags.js'
import {renderDiagnosis} from '../src/report/human.js'

export default class Diagnose extends DoctorCommand {
  static override summary = 'Find out whether VM traffic takes the DPDK fast path or bypasses it through the kernel.'

  static override description = `Snapshots the host (addresses, routes, drivers, OVS bridges and ports, PMD threads, FDB), optionally before and during a load such as iperf3, runs the rules and prints a verdict, the findings with their evidence, where the traffic went, and the fix.

Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (not enough data, usage error, timeout).`

  static override examples = [
    '<%= config.bin %> diagnose',
    '<%= config.bin %> diagnose --load "iperf3 -c 10.10.1.20 -t 10 -J"',
    '<%= config.bin %> diagnose --during 10s --save /tmp/host0-bundle',
    '<%= config.bin %> diagnose --from fixtures/bundles/lab-broken-huge-load --json',
    '<%= config.bin %> diagnose --netns lab-host0 --ovs-rundir /tmp/dpdk-doctor-lab/run --load "ip netns exec lab-vm0 iperf3 -c 172.16.0.2 -t 6 -J"',
  ]

  static override flags = {
    from: Flags.string({description: 'Diagnose a saved capture bundle or a sosreport (directory or .tar.xz/.tar.gz) instead of this host.', exclusive: ['load', 'during', 'save', 'netns', 'ovs-rundir']}),
    save: Flags.directory({description: 'Also save the capture bundle to this directory.'}),
    ...liveFlags,
  }

  async run(): Promise<Diagnosis> {
    const {flags} = await this.parse(Diagnose)
    const diagnosis = flags.from
      ? await diagnoseFrom(flags.from)
      : await withInterrupt((signal) =>
          diagnoseLive({...liveRequest(flags), save: flags.save ?? null, signal, progress: this.progress()}).finally(() => this.endProgress()),
        )
    process.exitCode = diagnosis.exitCode
    if (!this.jsonEnabled()) {
      this.log(renderDiagnosis(diagnosis, this.style(flags['no-color']), {verbose: flags.verbose, width: process.stdout.columns ?? 120}))
    }
    return diagnosis
  }
}
