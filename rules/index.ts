/**
 * The rule registry: every rule in rules/, listed once, sorted by id.
 * test/rules/registry.test.ts fails if a rule file is missing here, unsorted, untested or undocumented.
 */
import type {Rule} from '../src/engine/types.js'
import crossNumaPolling from './cross-numa-polling.js'
import datapathLookupsLost from './datapath-lookups-lost.js'
import dpdkLinkDown from './dpdk-link-down.js'
import dpdkNicDriverBinding from './dpdk-nic-driver-binding.js'
import dpdkNicKernelActive from './dpdk-nic-kernel-active.js'
import dpdkNotInitialized from './dpdk-not-initialized.js'
import dpdkPortIdleUnderLoad from './dpdk-port-idle-under-load.js'
import dpdkRxMissed from './dpdk-rx-missed.js'
import fdbRemoteMacNotOnDpdkPort from './fdb-remote-mac-not-on-dpdk-port.js'
import guestQueuesDisabled from './guest-queues-disabled.js'
import guestTsoOffByHost from './guest-tso-off-by-host.js'
import guestVcpusBelowQueues from './guest-vcpus-below-queues.js'
import hugepagesLow from './hugepages-low.js'
import interfaceAttachError from './interface-attach-error.js'
import internalPortCarriesLoad from './internal-port-carries-load.js'
import internalPortHasIp from './internal-port-has-ip.js'
import iperfTargetIsHostAddress from './iperf-target-is-host-address.js'
import kernelNicCarriesLoad from './kernel-nic-carries-load.js'
import kernelPortOnNetdevBridge from './kernel-port-on-netdev-bridge.js'
import kernelRouteViaInternalPort from './kernel-route-via-internal-port.js'
import mixedDatapathPatchPorts from './mixed-datapath-patch-ports.js'
import mtuMismatch from './mtu-mismatch.js'
import optionHasNoEffect from './option-has-no-effect.js'
import pmdCoresNotIsolated from './pmd-cores-not-isolated.js'
import pmdCpuMask from './pmd-cpu-mask.js'
import pmdCycleCeiling from './pmd-cycle-ceiling.js'
import pmdIdleUnderLoad from './pmd-idle-under-load.js'
import pmdSaturated from './pmd-saturated.js'
import pmdSleepEnabled from './pmd-sleep-enabled.js'
import portDropsUnderLoad from './port-drops-under-load.js'
import qosDrops from './qos-drops.js'
import rxqImbalance from './rxq-imbalance.js'
import sameHostVmTest from './same-host-vm-test.js'
import txFailureDrops from './tx-failure-drops.js'
import upcallRateHigh from './upcall-rate-high.js'
import vhostMultiqueueSinglePmd from './vhost-multiqueue-single-pmd.js'
import vhostTxRetries from './vhost-tx-retries.js'
import vhostTxqUnused from './vhost-txq-unused.js'
import vhostUserDisconnected from './vhost-user-disconnected.js'

export const RULES: readonly Rule[] = [
  crossNumaPolling,
  datapathLookupsLost,
  dpdkLinkDown,
  dpdkNicDriverBinding,
  dpdkNicKernelActive,
  dpdkNotInitialized,
  dpdkPortIdleUnderLoad,
  dpdkRxMissed,
  fdbRemoteMacNotOnDpdkPort,
  guestQueuesDisabled,
  guestTsoOffByHost,
  guestVcpusBelowQueues,
  hugepagesLow,
  interfaceAttachError,
  internalPortCarriesLoad,
  internalPortHasIp,
  iperfTargetIsHostAddress,
  kernelNicCarriesLoad,
  kernelPortOnNetdevBridge,
  kernelRouteViaInternalPort,
  mixedDatapathPatchPorts,
  mtuMismatch,
  optionHasNoEffect,
  pmdCoresNotIsolated,
  pmdCpuMask,
  pmdCycleCeiling,
  pmdIdleUnderLoad,
  pmdSaturated,
  pmdSleepEnabled,
  portDropsUnderLoad,
  qosDrops,
  rxqImbalance,
  sameHostVmTest,
  txFailureDrops,
  upcallRateHigh,
  vhostMultiqueueSinglePmd,
  vhostTxRetries,
  vhostTxqUnused,
  vhostUserDisconnected,
]

export function findRule(id: string): Rule | undefined {
  return RULES.find((r) => r.meta.id === id)
}
