/**
 * npm run lab -- deps | up | break | fix | guest-config FILE | status | env | down
 * Two hosts: up --hosts 2 | break|fix host0|host1 | ssh-config | ssh HOST CMD | stop-sshd|start-sshd HOST | env HOST
 *
 * Progress goes to stderr; only `env` (shell exports) and `status` (a summary) write to stdout.
 */
import fs from 'node:fs'
import {applyGuestConfig} from './guest.js'
import {breakHost, deps, down, envExports, fixHost, formatStatus, guestExec, restartGuest, restartVswitchd, status, up} from './lab.js'
import {
  formatTwoHostStatus, hostEnvExports, labSsh, setHostMode, setModes, sshConfigPath, startSshd, stopSshd, twoHostRecorded, upTwoHost, type HostIndex,
} from './two-host.js'

const USAGE = `usage: npm run lab -- <verb>

  deps     install the lab's Debian packages (no-op when installed)
  up       build the lab (namespaces, OVS-DPDK, vhost-user VM, iperf3 server); idempotent
  break    BROKEN config: IPs on ovsbr0, VM traffic bypasses DPDK (target 172.16.0.2)
  fix      FIXED config: pure L2, VM traffic goes through dpdk0 (target 10.10.1.20)
  guest-config FILE
           apply a cloud-init network-config v2 file (as \`dpdk-doctor fix --guest-config-dir\` writes) to the VM in lab-vm0
  status   what is up; exit 0 if the lab is up, 1 if not

two hosts (issue 14):
  up --hosts 2         (or LAB_HOSTS=2 up) lab-host0/lab-vm0 and lab-host1/lab-vm1, two OVS-DPDK hosts with sshd
  break|fix host0|host1  one host's configuration (the other keeps its own); plain break|fix: both
  ssh-config           print the path of the lab's ssh config (Host lab-host0, lab-host1; use from lab-ops)
  ssh lab-hostN CMD... run CMD on a host over real ssh from the lab-ops namespace
  stop-sshd|start-sshd host0|host1
  env host0|host1      shell exports of that host's OVS env
  env      print shell exports: eval "$(npm run -s lab -- env)"
  down     stop everything the lab started and remove its namespaces; idempotent
  guest ARGV...
           LAB_VM=qemu: run ARGV in the guest (e.g. ethtool -k eth0); prints its output, exits with its status
  restart-guest      LAB_VM=qemu: restart QEMU (the guest negotiates its features with OVS again)
  restart-vswitchd   restart ovs-vswitchd on the same database (e.g. after userspace-tso-enable)

env: DPDK_DOCTOR_LAB_DIR (default /tmp/dpdk-doctor-lab), LAB_MEM=nohuge, LAB_HUGEPAGES (160), LAB_PMD_MAXSLEEP (1000),
     LAB_VM=qemu (a real guest kernel in QEMU instead of testpmd), LAB_QEMU_QUEUES (2), LAB_QEMU_ACCEL=tcg|kvm,
     LAB_CACHE_DIR (/var/cache/dpdk-doctor-lab: the guest kernel)
`

async function main(argv: string[]): Promise<number> {
  const verb = argv[0]
  if (verb === 'guest-config' && argv.length === 2) {
    const done = await applyGuestConfig(argv[1]!)
    process.stderr.write(`[lab] VM ${done.ifname}: ${done.addresses.join(', ') || 'no address'}${done.routes.map((r) => `; ${r.to} via ${r.via}`).join('')}\n`)
    return 0
  }
  if (verb === 'guest' && argv.length >= 2) {
    const r = await guestExec(argv.slice(1), {timeoutMs: 120_000})
    process.stdout.write(r.output)
    return r.exitCode
  }
  const twoHost = await twoHostMain(argv)
  if (twoHost !== null) return twoHost
  if (argv.length !== 1) {
    process.stderr.write(USAGE)
    return 2
  }
  switch (verb) {
    case 'deps':
      await deps()
      return 0
    case 'up':
      await up()
      return 0
    case 'break':
      await breakHost()
      return 0
    case 'fix':
      await fixHost()
      return 0
    case 'status': {
      const s = await status()
      process.stdout.write(formatStatus(s) + '\n')
      return s.up ? 0 : 1
    }
    case 'env':
      process.stdout.write(envExports())
      return 0
    case 'down':
      await down()
      return 0
    case 'restart-guest':
      await restartGuest()
      return 0
    case 'restart-vswitchd':
      await restartVswitchd()
      return 0
    default:
      process.stderr.write(`unknown verb: ${verb}\n\n${USAGE}`)
      return 2
  }
}

const hostArg = (arg: string | undefined): HostIndex | null => (arg === 'host0' || arg === 'lab-host0' ? 0 : arg === 'host1' || arg === 'lab-host1' ? 1 : null)

/** The two-host verbs; null when argv is a single-host verb. */
async function twoHostMain(argv: string[]): Promise<number | null> {
  const [verb, arg, ...rest] = argv
  const twoHostUp = (verb === 'up' && arg === '--hosts' && rest[0] === '2' && rest.length === 1) || (verb === 'up' && argv.length === 1 && process.env.LAB_HOSTS === '2')
  if (twoHostUp) {
    await upTwoHost()
    return 0
  }
  if (verb === 'up' && arg === '--hosts' && rest[0] === '1' && rest.length === 1) {
    await up()
    return 0
  }
  if ((verb === 'break' || verb === 'fix') && argv.length === 2) {
    const i = hostArg(arg)
    if (i === null) return null
    await setHostMode(i, verb === 'break' ? 'broken' : 'fixed')
    return 0
  }
  if ((verb === 'break' || verb === 'fix') && argv.length === 1 && twoHostRecorded()) {
    await setModes(verb === 'break' ? ['broken', 'broken'] : ['fixed', 'fixed'])
    return 0
  }
  if (verb === 'ssh-config' && argv.length === 1) {
    process.stdout.write(`${sshConfigPath()}\n`)
    return fs.existsSync(sshConfigPath()) ? 0 : 1
  }
  if ((verb === 'stop-sshd' || verb === 'start-sshd') && argv.length === 2 && hostArg(arg) !== null) {
    await (verb === 'stop-sshd' ? stopSshd(hostArg(arg)!) : startSshd(hostArg(arg)!))
    return 0
  }
  if (verb === 'ssh' && argv.length >= 3 && hostArg(arg) !== null) {
    const r = await labSsh(hostArg(arg)!, rest, {timeoutMs: 120_000})
    process.stdout.write(r.stdout ? `${r.stdout}\n` : '')
    process.stderr.write(r.stderr ? `${r.stderr}\n` : '')
    return r.exitCode
  }
  if (verb === 'env' && argv.length === 2 && hostArg(arg) !== null) {
    process.stdout.write(hostEnvExports(hostArg(arg)!))
    return 0
  }
  if (verb === 'status' && argv.length === 1 && twoHostRecorded()) {
    const s = await status()
    process.stdout.write(`${formatStatus(s)}\n${await formatTwoHostStatus()}\n`)
    return s.up ? 0 : 1
  }
  return null
}

// A closed stderr pipe (`... 2>&1 | head`) must not abort a half-built lab.
process.stderr.on('error', () => {})

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`[lab] error: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  },
)
