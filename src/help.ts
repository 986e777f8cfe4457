/**
 * oclif's help with a root page that also lists the global flags (--version, --help) and a few
 * examples: the first screen a new user sees should say how to start.
 */
import {Help} from '@oclif/core'

const ROOT_FLAGS = [
  ['--version', 'Print the version (dpdk-doctor/X.Y.Z platform node-vN).'],
  ['-h, --help', 'Show help; `dpdk-doctor help COMMAND` or `COMMAND --help` for one command.'],
]

const ROOT_EXAMPLES = [
  ['Is the traffic on the DPDK fast path? (snapshot)', 'diagnose'],
  ['Measure under a load', 'diagnose --load "iperf3 -c 10.10.1.20 -t 10 -J"'],
  ['Diagnose a saved bundle', 'diagnose --from fixtures/bundles/lab-broken-huge-load'],
  ['The fix, as a plan (read-only)', 'fix'],
  ['A live dashboard', 'watch --load "iperf3 -c 10.10.1.20 -t 30"'],
]

export default class DoctorHelp extends Help {
  override formatRoot(): string {
    const bin = this.config.bin
    const flags = ROOT_FLAGS.map(([f, d]) => `${f!.padEnd(12)}${d}`).join('\n')
    const examples = ROOT_EXAMPLES.map(([what, cmd]) => `${what}\n  $ ${bin} ${cmd}`).join('\n')
    return `${super.formatRoot()}\n\n${this.section('GLOBAL FLAGS', flags)}\n\n${this.section('EXAMPLES', examples)}`
  }
}
