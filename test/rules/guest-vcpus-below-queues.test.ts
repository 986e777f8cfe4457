import {describe, expect, it} from 'vitest'
import rule from '../../rules/guest-vcpus-below-queues.js'
import type {HostState} from '../../src/model/host-state.js'
import {parsePsVmm} from '../../src/parsers/ps-vmm.js'
import {makeState, without} from '../helpers/factory.js'
import {expectFires, expectQuiet, expectUnknown} from '../helpers/rule-tester.js'
import {CH_OVS_DPDK, CH_VIRSHLE, QEMU_SMALL} from '../helpers/vmm-cmdlines.js'

function hostWith(argvs: string[][]): HostState {
  const parsed = parsePsVmm(JSON.stringify(argvs.map((argv, i) => ({pid: 100 + i, argv}))))
  if (!parsed.ok) throw new Error(parsed.error)
  const base = makeState()
  return makeState({
    vmms: parsed.value.processes,
    sources: {...base.sources, 'ps-vmm': {status: 'ok', parseError: null, reason: null}},
    ports: base.ports.map((p) => (p.name === 'vhost-user1' ? {...p, options: {'vhost-server-path': '/tmp/vhost-user1'}} : p)),
  })
}

describe('guest-vcpus-below-queues', () => {
  it('cloud-hypervisor boot=1 with num_queues=4 (2 pairs): fires on the port the socket names', () => {
    const r = expectFires(rule, {state: hostWith([CH_VIRSHLE])}, ['vhost-user1'])
    expect(r.findings[0]).toMatchObject({severity: 'warning', limit: 'guest has 1 vCPU for 2 queue pairs'})
    expect(r.findings[0]!.evidence).toMatchObject({vcpus: 1, queuePairs: 2, given: 'num_queues=4', vmm: 'cloud-hypervisor'})
  })

  it('QEMU -smp 2 with queues=4: fires, named by pid when no OVS port has its socket', () => {
    expectFires(rule, {state: hostWith([QEMU_SMALL])}, ['qemu pid 100'])
  })

  it("the seed's VM (8 vCPUs, num_queues=16 = 8 pairs) is quiet; no VMM: not applicable; ps-vmm missing: unknown", () => {
    expectQuiet(rule, {state: hostWith([CH_OVS_DPDK])})
    expectQuiet(rule, {state: hostWith([])}, 'not-applicable')
    expectUnknown(rule, {state: without(hostWith([CH_VIRSHLE]), 'ps-vmm')})
    expectUnknown(rule, {state: makeState()})
  })
})
