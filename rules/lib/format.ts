/** Number formatting for finding messages: short, unit-bearing, the way a network engineer reads them. */

/** 0.972 -> "97.2 %", 0.1 -> "10 %"; tiny non-zero shares stay visible as "< 0.1 %". */
export function formatShare(share: number | null): string {
  if (share === null) return 'n/a'
  if (share === 0) return '0 %'
  if (share > 0 && share < 0.001) return '< 0.1 %'
  return `${(share * 100).toFixed(1).replace(/\.0$/, '')} %`
}

/** 1, "route" -> "1 route"; 2 -> "2 routes". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

function scaled(value: number, units: string[], base: number): string {
  let v = value
  let unit = 0
  while (Math.abs(v) >= base && unit < units.length - 1) {
    v /= base
    unit++
  }
  const digits = unit === 0 || Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2
  return `${v.toFixed(digits)} ${units[unit]}`
}

/** 1.12e9 -> "1.12 GB" (SI units, as iperf3 and link speeds use). */
export function formatBytes(bytes: number): string {
  return scaled(bytes, ['B', 'kB', 'MB', 'GB', 'TB'], 1000)
}

/** 2.76e9 -> "2.76 Gbit/s". */
export function formatBitRate(bitsPerSecond: number): string {
  return scaled(bitsPerSecond, ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'], 1000)
}

/** 117614 -> "117,614". */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** Rounds a share for evidence (JSON): 4 significant decimals are plenty. */
export function roundShare(share: number | null): number | null {
  return share === null ? null : Number(share.toPrecision(4))
}

/**
 * "96 % of the VM traffic"; above 100 % the path carried more than the VMs' ports counted (the
 * kernel's own ACKs and ARP, counters read a moment apart), which "100.3 % of" would hide.
 */
export function shareOfVmTraffic(share: number): string {
  return share > 1.0005 ? `all of the VM traffic and more (${formatShare(share)}, with the kernel's own ACKs and ARP, or counters read a moment apart)` : `${formatShare(share)} of the VM traffic`
}
