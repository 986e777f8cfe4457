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
