import {defineRule} from '../src/engine/types.js'
import type {FixAction} from '../src/engine/types.js'
import {hasSource} from '../src/model/host-state.js'
import {formatCpuList, formatCpuMask, parseCpuMask} from './lib/cpus.js'
import {otherConfig} from './lib/ovs-config.js'
import {OVS_PORT_SOURCES} from './lib/sources.js'

export default defineRule({
  meta: {
    id: 'pmd-cpu-mask',
    title: 'PMD CPU mask unset, overlapping or missing a NUMA node',
    severity: 'warning',
    group: 'pmd',
    kind: 'snapshot',
    rationale:
      'Without other_config:pmd-cpu-mask OVS starts one PMD per NUMA node on a core of its choice; a mask that ' +
      'overlaps dpdk-lcore-mask makes PMDs share a core with the main/handler threads; and a NUMA node with a ' +
      'DPDK port but no PMD forces cross-NUMA polling (topics/dpdk/pmd.rst; FIELD D6, §3.8; hotsos, tripleo checks).',
    inputs: ['ovsdb-open_vswitch', ...OVS_PORT_SOURCES],
    thresholds: {},
    remediation:
      'Set pmd-cpu-mask to dedicated (isolated) cores with at least one core on every NUMA node that has a DPDK port, ' +
      'disjoint from dpdk-lcore-mask: `ovs-vsctl set Open_vSwitch . other_config:pmd-cpu-mask=0x...`.',
    field: 'D6',
    appliesTo: 'Userspace-datapath hosts with DPDK or vhost-user ports (they are polled by PMD threads).',
  },
  check({state}) {
    const findings = []
    const pmdMaskText = otherConfig(state, 'pmd-cpu-mask')
    const lcoreMaskText = otherConfig(state, 'dpdk-lcore-mask')
    const pmdMask = pmdMaskText === null ? null : parseCpuMask(pmdMaskText)
    const lcoreMask = lcoreMaskText === null ? null : parseCpuMask(lcoreMaskText)
    if (pmdMaskText !== null && pmdMask === null) return {unknown: `pmd-cpu-mask "${pmdMaskText}" is not a hex mask`}
    if (lcoreMaskText !== null && lcoreMask === null) return {unknown: `dpdk-lcore-mask "${lcoreMaskText}" is not a hex mask`}

    if (pmdMask === null) {
      findings.push({
        severity: 'warning' as const,
        subject: 'pmd-cpu-mask',
        message: 'other_config:pmd-cpu-mask is unset: OVS picks one PMD core per NUMA node itself',
        evidence: {pmdCpuMask: null, pmdThreadCores: state.pmds.map((p) => p.coreId)},
        fixes: [{kind: 'manual' as const, text: 'Choose isolated cores (one or more per NUMA node with a DPDK port) and `ovs-vsctl set Open_vSwitch . other_config:pmd-cpu-mask=0x...`.'}],
      })
    } else if (lcoreMask !== null) {
      const overlap = pmdMask.filter((c) => lcoreMask.includes(c))
      if (overlap.length > 0) {
        const pmdOnly = pmdMask.filter((c) => !overlap.includes(c))
        const fixes: FixAction[] = pmdOnly.length > 0
          ? [{kind: 'ovs-set', table: 'Open_vSwitch', record: '.', column: 'other_config:pmd-cpu-mask', value: formatCpuMask(pmdOnly)}]
          : [{kind: 'manual', text: 'Move dpdk-lcore-mask (or pmd-cpu-mask) to other cores so the two are disjoint.'}]
        findings.push({
          severity: 'warning' as const,
          subject: 'pmd-cpu-mask',
          message: `pmd-cpu-mask ${pmdMaskText} and dpdk-lcore-mask ${lcoreMaskText} share cores ${formatCpuList(overlap)}`,
          evidence: {pmdCpuMask: pmdMaskText, dpdkLcoreMask: lcoreMaskText, pmdCores: formatCpuList(pmdMask), lcoreCores: formatCpuList(lcoreMask), overlap: formatCpuList(overlap)},
          fixes,
        })
      }
    }

    // NUMA coverage needs the PMD threads (pmd-rxq or pmd-stats) and the ports' numa_id.
    const pmdThreadsRead = hasSource(state, 'pmd-rxq') || hasSource(state, 'pmd-stats')
    const dpdkNumas = [...new Set(state.ports.filter((p) => p.class === 'dpdk' && p.numaId !== null).map((p) => p.numaId!))].sort((a, b) => a - b)
    const pmdNumas = [...new Set(state.pmds.map((p) => p.numaId).filter((n): n is number => n !== null))].sort((a, b) => a - b)
    if (pmdThreadsRead && state.pmds.length > 0 && pmdNumas.length > 0) {
      for (const numa of dpdkNumas.filter((n) => !pmdNumas.includes(n))) {
        const ports = state.ports.filter((p) => p.class === 'dpdk' && p.numaId === numa).map((p) => p.name)
        findings.push({
          severity: 'critical' as const,
          subject: `numa ${numa}`,
          message: `NUMA node ${numa} has DPDK ports ${ports.join(', ')} but no PMD thread (PMDs on nodes ${pmdNumas.join(', ')})`,
          evidence: {numa, dpdkPorts: ports, pmdNumaNodes: pmdNumas, pmdCpuMask: pmdMaskText},
          fixes: [{kind: 'manual' as const, text: `Add a core of NUMA node ${numa} to other_config:pmd-cpu-mask (see lscpu -p=NODE,CPU).`}],
        })
      }
    } else if (findings.length === 0 && dpdkNumas.length > 0) {
      return {unknown: 'PMD threads or their NUMA nodes were not read: cannot check that every NUMA node with a DPDK port has a PMD'}
    }
    return {findings}
  },
})
