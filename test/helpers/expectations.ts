/**
 * What the diagnose issue's acceptance requires of the broken lab host under load: these findings,
 * whether read from a bundle or live on the lab.
 */
export const BROKEN_LOAD_FINDINGS = [
  'internal-port-has-ip',
  'kernel-route-via-internal-port',
  'dpdk-port-idle-under-load',
  'kernel-nic-carries-load',
  'internal-port-carries-load',
  'fdb-remote-mac-not-on-dpdk-port',
]

/**
 * The limits the fixed lab host truthfully shows under a TCP load (issue 13): the lab runs OVS 3.1
 * with other_config:userspace-tso-enable unset, so OVS offers its vhost guest no TSO
 * (guest-tso-off-by-host, a warning: exit 1, "DPDK fast path: ..., limited by: guest TSO off (host
 * setting)"). The testpmd "VM" would negotiate no TSO either; the host setting is what is off.
 */
export const FIXED_LOAD_LIMITS = ['guest-tso-off-by-host']
export const FIXED_LOAD_VERDICT = 'DPDK fast path: all load through dpdk0, limited by: guest TSO off (host setting)'
