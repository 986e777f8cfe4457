/**
 * `tsx test/lab/guest-exec.ts ARGV...`: run ARGV in the lab's QEMU guest (LAB_VM=qemu), print its
 * output on stdout and exit with its status. A plain host command, so `diagnose --load` can run a
 * load inside the guest (lab.ts guestIperfArgv).
 */
import {guestExec} from './lab.js'

const argv = process.argv.slice(2)
if (argv.length === 0) {
  process.stderr.write('usage: tsx test/lab/guest-exec.ts ARGV...\n')
  process.exit(2)
}
// iperf3 -t N: allow its run time plus start-up on a slow (TCG) guest
const t = argv.indexOf('-t')
const seconds = t >= 0 ? Number(argv[t + 1]) || 0 : 0
guestExec(argv, {timeoutMs: (seconds + 60) * 1000}).then((r) => {
  process.stdout.write(r.output)
  process.exitCode = r.exitCode
}, (error: unknown) => {
  process.stderr.write(`guest-exec: ${(error as Error).message}\n`)
  process.exitCode = 125
})
