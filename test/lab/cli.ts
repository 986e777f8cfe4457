/**
 * npm run lab -- deps | up | break | fix | guest-config FILE | status | env | down
 *
 * Progress goes to stderr; only `env` (shell exports) and `status` (a summary) write to stdout.
 */
import {applyGuestConfig} from './guest.js'
import {breakHost, deps, down, envExports, fixHost, formatStatus, guestExec, restartGuest, restartVswitchd, status, up} from './lab.js'

const USAGE = `usage: npm run lab -- <verb>

  deps     install the lab's Debian packages (no-op when installed)
  up       build the lab (namespaces, OVS-DPDK, vhost-user VM, iperf3 server); idempotent
  break    BROKEN config: IPs on ovsbr0, VM traffic bypasses DPDK (target 172.16.0.2)
  fix      FIXED config: pure L2, VM traffic goes through dpdk0 (target 10.10.1.20)
  guest-config FILE
           apply a cloud-init network-config v2 file (as \`dpdk-doctor fix --guest-config-dir\` writes) to the VM in lab-vm0
  status   what is up; exit 0 if the lab is up, 1 if not
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
