/** ps-vmm on published VMM command lines (origins in test/helpers/vmm-cmdlines.ts). */
import {describe, expect, it} from 'vitest'
import {parsePsVmm, vmmKindOf} from '../../src/parsers/ps-vmm.js'
import {CH_OVS_DPDK, CH_VIRSHLE, QEMU_OVS_DOC, QEMU_SMALL} from '../helpers/vmm-cmdlines.js'

const parse = (rows: Array<{pid: number; argv: string[]}>) => {
  const r = parsePsVmm(JSON.stringify(rows))
  if (!r.ok) throw new Error(r.error)
  return r.value.processes
}

describe('ps-vmm parser', () => {
  it('cloud-hypervisor: --cpus boot=N, --net num_queues counts RX+TX (16 -> 8 pairs)', () => {
    expect(parse([{pid: 10, argv: CH_OVS_DPDK}])).toEqual([{pid: 10, kind: 'cloud-hypervisor', vcpus: 8, nics: [{socket: '/tmp/vhost-user1', queuePairs: 8, given: 'num_queues=16'}]}])
    expect(parse([{pid: 11, argv: CH_VIRSHLE}])[0]).toMatchObject({vcpus: 1, nics: [{queuePairs: 2}]})
  })

  it('QEMU: -smp N[,topology], -netdev vhost-user queues= (pairs) with the chardev path', () => {
    expect(parse([{pid: 20, argv: QEMU_OVS_DOC}])).toEqual([{pid: 20, kind: 'qemu', vcpus: 2, nics: [{socket: '/usr/local/var/run/openvswitch/dpdkvhostuser0', queuePairs: 2, given: 'queues=2'}]}])
    expect(parse([{pid: 21, argv: QEMU_SMALL}])[0]).toMatchObject({vcpus: 2, nics: [{socket: '/tmp/vhost', queuePairs: 4}]})
    expect(parse([{pid: 22, argv: ['qemu-system-x86_64', '-smp', 'sockets=1,cores=4', '-netdev', 'vhost-user,id=n,chardev=c']}])[0]).toMatchObject({vcpus: 4, nics: [{socket: null, queuePairs: 1}]})
  })

  it('defaults, non-VMM rows and garbage', () => {
    expect(parse([{pid: 30, argv: ['cloud-hypervisor', '--net', 'vhost_user=true,socket=/s']}])[0]).toMatchObject({vcpus: 1, nics: [{queuePairs: 1, given: 'num_queues=2 (default)'}]})
    expect(parse([{pid: 31, argv: ['/bin/sh', '-c', 'qemu-system-x86_64 -smp 2']}])).toEqual([])
    expect(parsePsVmm('not json').ok).toBe(false)
    // pids that JSON allows and no process has (the fuzz test found 1e400 = Infinity): skipped with a warning
    for (const pid of ['-1e400', '1e400', '-3', '0', '2.5']) {
      const r = parsePsVmm(`[{"pid":${pid},"argv":["cloud-hypervisor"]}]`)
      expect(r.ok && r.value.processes, pid).toEqual([])
      expect(r.ok && r.warnings.join(' '), pid).toMatch(/positive integer pid/)
    }
    expect(vmmKindOf('/usr/bin/qemu-system-aarch64')).toBe('qemu')
    expect(vmmKindOf('qemu-system-x86_64; rm -rf /')).toBeNull()
  })
})
