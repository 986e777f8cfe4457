import {defineRule} from '../src/engine/types.js'
import {dpdkInitRequested, otherConfig} from './lib/ovs-config.js'

export default defineRule({
  meta: {
    id: 'dpdk-not-initialized',
    title: 'DPDK requested but not initialised',
    severity: 'critical',
    group: 'port-health',
    kind: 'snapshot',
    rationale:
      'With other_config:dpdk-init=true (or "try") ovs-vswitchd initialises the DPDK EAL at start and reports the ' +
      'result in Open_vSwitch:dpdk_initialized (vswitch.xml, intro/install/dpdk.rst). When it is false no dpdk or ' +
      'vhost-user port can work; with "try" OVS keeps running without them (FIELD B2).',
    inputs: ['ovsdb-open_vswitch'],
    thresholds: {},
    remediation:
      'Read ovs-vswitchd.log for the EAL error: usually no hugepages, a bad dpdk-extra/dpdk-socket-mem or missing ' +
      'vfio/mlx5 modules; fix it and restart ovs-vswitchd.',
    field: 'B2',
    appliesTo: 'Hosts where other_config:dpdk-init is requested (true or try).',
  },
  check({state}) {
    const requested = dpdkInitRequested(state)
    if (requested === null) return {unknown: 'other_config:dpdk-init could not be read'}
    if (!requested) return {notApplicable: 'dpdk-init is not requested'}
    if (state.ovs.dpdkInitialized === null) return {unknown: 'Open_vSwitch:dpdk_initialized is absent (OVS built without DPDK?)'}
    if (state.ovs.dpdkInitialized) return {findings: []}
    const dpdkInit = otherConfig(state, 'dpdk-init')
    return {
      findings: [
        {
          subject: 'host',
          message: `DPDK is not initialised although dpdk-init=${dpdkInit ?? 'true'}: dpdk_initialized is false`,
          evidence: {
            dpdkInit,
            dpdkInitialized: false,
            dpdkVersion: state.versions.dpdk,
            dpdkExtra: otherConfig(state, 'dpdk-extra'),
            dpdkSocketMem: otherConfig(state, 'dpdk-socket-mem'),
          },
          fixes: [{kind: 'manual', text: 'Read the EAL errors in ovs-vswitchd.log (hugepages, dpdk-extra, driver modules), fix them and restart ovs-vswitchd.'}],
        },
      ],
    }
  },
})
