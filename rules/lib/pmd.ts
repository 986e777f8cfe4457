/** PMD thread helpers shared by the PMD/CPU rules. */
import type {HostState} from '../../src/model/host-state.js'
import {parseCpuMask} from './cpus.js'
import {otherConfig} from './ovs-config.js'

/** How findings name a PMD thread: "pmd core 2". */
export function pmdLabel(pmd: {coreId: number | null}): string {
  return `pmd core ${pmd.coreId ?? '?'}`
}

export type PmdCores =
  | {cores: number[]; from: 'pmd-cpu-mask' | 'pmd threads'; mask: string | null}
  | {cores: null; reason: string}

/**
 * The cores PMDs run on: other_config:pmd-cpu-mask when set; else the cores of the PMD threads
 * (OVS picks one core per NUMA node when the mask is unset).
 */
export function pmdCores(state: HostState): PmdCores {
  const mask = otherConfig(state, 'pmd-cpu-mask')
  if (mask !== null) {
    const cores = parseCpuMask(mask)
    return cores === null ? {cores: null, reason: `pmd-cpu-mask "${mask}" is not a hex mask`} : {cores, from: 'pmd-cpu-mask', mask}
  }
  const threadCores = state.pmds.map((p) => p.coreId).filter((c): c is number => c !== null)
  if (threadCores.length === 0) return {cores: null, reason: 'pmd-cpu-mask is unset and no PMD thread cores were read'}
  return {cores: [...new Set(threadCores)].sort((a, b) => a - b), from: 'pmd threads', mask: null}
}
