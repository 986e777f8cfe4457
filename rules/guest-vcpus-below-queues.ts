import {defineRule} from '../src/engine/types.js'
import type {OvsPortState} from '../src/model/host-state.js'

/** The OVS vhost port a VMM socket belongs to: client ports name it in vhost-server-path, server ports in status:socket. */
function portOfSocket(ports: OvsPortState[], socket: string | null): OvsPortState | null {
  if (socket === null) return null
  return ports.find((p) => p.class === 'vhost' && (p.options['vhost-server-path'] === socket || p.status['socket'] === socket)) ?? null
}

export default defineRule({
  meta: {
    id: 'guest-vcpus-below-queues',
    title: 'Guest has fewer vCPUs than queue pairs',
    severity: 'warning',
    group: 'vhost',
    kind: 'snapshot',
    rationale:
      'A Linux virtio-net guest enables min(vCPUs, queue pairs) queues and services each from a vCPU: queues beyond ' +
      'its vCPUs stay disabled or share a CPU, so extra host PMDs and queues buy nothing. Read from the VMM\'s ' +
      'command line (ps-vmm: /proc/<pid>/cmdline of qemu-system-* and cloud-hypervisor): cloud-hypervisor ' +
      '--cpus boot=N and --net ...,num_queues=M, where M counts RX and TX queues (M / 2 pairs); QEMU -smp N ' +
      '(or its topology) and -netdev vhost-user,...,queues=M (pairs) (FIELD E1).',
    inputs: ['ps-vmm'],
    thresholds: {},
    remediation: 'Give the VM at least as many vCPUs as queue pairs (cloud-hypervisor --cpus boot=, QEMU -smp), or fewer queues.',
    field: 'E1',
    appliesTo: 'Hosts whose VMMs (qemu-system-*, cloud-hypervisor) run with vhost-user NICs, read where dpdk-doctor runs.',
  },
  check({state}) {
    const vmms = state.vmms ?? []
    if (vmms.length === 0) return {notApplicable: 'no qemu-system-* or cloud-hypervisor process'}
    const withNics = vmms.filter((v) => v.nics.length > 0)
    if (withNics.length === 0) return {notApplicable: 'no VMM with a vhost-user NIC'}
    const findings = withNics.flatMap((vmm) =>
      vmm.nics
        .filter((nic) => nic.queuePairs > vmm.vcpus)
        .map((nic) => {
          const port = portOfSocket(state.ports, nic.socket)
          const subject = port?.name ?? `${vmm.kind} pid ${vmm.pid}`
          return {
            subject,
            message: `${subject}: its VM (${vmm.kind} pid ${vmm.pid}) has ${vmm.vcpus} vCPU${vmm.vcpus === 1 ? '' : 's'} for ${nic.queuePairs} queue pairs (${nic.given}): at most ${vmm.vcpus} queue pair${vmm.vcpus === 1 ? '' : 's'} can work`,
            evidence: {pid: vmm.pid, vmm: vmm.kind, vcpus: vmm.vcpus, queuePairs: nic.queuePairs, given: nic.given, socket: nic.socket, port: port?.name ?? null},
            limit: `guest has ${vmm.vcpus} vCPU${vmm.vcpus === 1 ? '' : 's'} for ${nic.queuePairs} queue pairs`,
            fixes: [{kind: 'manual' as const, text: `Boot the VM with at least ${nic.queuePairs} vCPUs (${vmm.kind === 'qemu' ? '-smp' : '--cpus boot='}${nic.queuePairs}) or give it ${vmm.vcpus} queue pair${vmm.vcpus === 1 ? '' : 's'}.`}],
          }
        }),
    )
    return {findings}
  },
})
