/**
 * Validation of names that reach an argv. The kernel's dev_valid_name() allows 1-15 bytes without
 * '/', ':' or whitespace; we also refuse a leading '-' (it would read as an option) and anything
 * outside a conservative alphabet.
 */
import {DoctorError} from '../errors.js'

const IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/
/** ip netns names are file names under /run/netns. */
const NETNS = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/

/** Also for OVS bridge names: a bridge's internal port is a kernel interface of the same name. */
export function isValidIfname(name: string): boolean {
  return IFNAME.test(name) && name !== '.' && name !== '..'
}

export function assertIfname(name: string, what = 'interface'): string {
  if (!isValidIfname(name)) {
    const why = Buffer.byteLength(name) > 15 ? `longer than 15 bytes (${Buffer.byteLength(name)})` : 'not a valid name'
    throw new DoctorError('E_BAD_NAME', `refusing ${what} name ${JSON.stringify(name)}: ${why}`, {
      suggestions: ['Interface and bridge names are 1-15 characters of letters, digits, "_", "." and "-", not starting with "-".'],
    })
  }
  return name
}

export function assertNetns(name: string): string {
  if (!NETNS.test(name) || name === '.' || name === '..') {
    throw new DoctorError('E_BAD_NAME', `refusing network namespace name ${JSON.stringify(name)}`, {
      suggestions: ['Use the name `ip netns list` shows.'],
    })
  }
  return name
}

/**
 * OVS port and interface names are not kernel names (vhost-user ports are often longer than 15
 * bytes), but the ones dpdk-doctor puts in an argv, a file name or a plan line must still be plain:
 * 1-64 bytes of letters, digits, "_", ".", ":", "@" and "-", not starting with "-" or ".".
 */
const OVS_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,63}$/

export function isValidOvsName(name: string): boolean {
  return OVS_NAME.test(name)
}
