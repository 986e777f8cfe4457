/**
 * The kernel sources read in-process here (/sys/class/net, /proc/sys/net) read on a remote host
 * with the tools it already has: a fixed POSIX sh function (no interpolated input; the reading's
 * kind is an argument) printing tab-separated lines, turned here into the same text the local
 * reader gives, so the parsers and bundles are the same.
 */
import {SYSCTL_NET_KEYS} from '../collect/sources.js'

export const REMOTE_READER_KINDS = ['sysfs-net', 'sysfs-stats', 'sysctl-net', 'ps-vmm'] as const
export type RemoteReaderKind = (typeof REMOTE_READER_KINDS)[number]

const STAT_COUNTERS = ['rx_bytes', 'rx_packets', 'rx_errors', 'rx_dropped', 'tx_bytes', 'tx_packets', 'tx_errors', 'tx_dropped']

const sysctlPaths = SYSCTL_NET_KEYS.map((key) => {
  if (!/^[a-z0-9_.]+$/.test(key)) throw new Error(`sysctl key ${key}`)
  return `/proc/sys/${key.split('.').join('/')}`
})

// grep -H '' prints path:value for many files in one process (dash's read builtin fails on /proc files).
/** dd_read KIND: one reading; globbing on inside it (the resident loop turns it off). */
export const READER_FUNCTION = `dd_read() {
  set +f
  case $1 in
  sysfs-stats)
    for d in /sys/class/net/*; do [ -e "$d" ] && printf 'I\t%s\n' "\${d##*/}"; done
    grep -s -H '' ${STAT_COUNTERS.map((c) => `/sys/class/net/*/statistics/${c}`).join(' ')} ;;
  sysfs-net)
    for d in /sys/class/net/*; do
      [ -e "$d" ] || continue
      n=\${d##*/}; drv=; dev=; numa=
      if [ -e "$d/device/driver" ]; then drv=$(readlink -f "$d/device/driver"); fi
      if [ -e "$d/device" ]; then dev=$(readlink -f "$d/device"); fi
      if [ -r "$d/device/numa_node" ]; then numa=$(cat "$d/device/numa_node"); fi
      printf 'N\t%s\t%s\t%s\t%s\n' "$n" "\${drv##*/}" "\${dev##*/}" "$numa"
    done ;;
  sysctl-net)
    grep -s -H '' ${sysctlPaths.join(' ')} ;;
  ps-vmm)
    # One grep finds the candidates (argv[0] is the start of cmdline); the exact match is made here, locally.
    for f in $(grep -l -a -s -E '^([^/]*/)*(qemu-system-|qemu-kvm|cloud-hypervisor)' /proc/[0-9]*/cmdline); do
      p=\${f#/proc/}; printf 'P\\t%s\\n' "\${p%/cmdline}"; tr '\\000' '\\n' <"$f"; printf 'E\\n'
    done ;;
  *) echo "dd_read: unknown reading $1" >&2; set -f; return 2 ;;
  esac
  set -f
  return 0
}`

/** The remote argv of one reading (sh is on every host ssh logs into). */
export function remoteReaderArgv(kind: RemoteReaderKind): string[] {
  return ['sh', '-c', `${READER_FUNCTION}\nset -f\ndd_read "$1"`, 'dd-read', kind]
}

/** The remote reading's lines as the local reader's text (readKernelSource's output). */
export function localReaderText(kind: string, remote: string): string {
  const rows = remote.split('\n').filter((l) => l !== '').map((l) => l.split('\t'))
  if (kind === 'sysfs-stats') {
    const out: Record<string, Record<string, number>> = {}
    for (const [tag, name] of rows) if (tag === 'I' && name) out[name] ??= {}
    for (const line of remote.split('\n')) {
      const m = /^\/sys\/class\/net\/([^/]+)\/statistics\/([a-z_]+):(\d+)$/.exec(line)
      if (m && STAT_COUNTERS.includes(m[2]!)) (out[m[1]!] ??= {})[m[2]!] = Number(m[3])
    }
    const sorted = Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]!]))
    return JSON.stringify(sorted) + '\n'
  }
  if (kind === 'sysfs-net') {
    const devices = rows
      .filter((r) => r[0] === 'N' && r[1])
      .map(([, ifname, driver, dev, numa]) => ({
        ifname: ifname!,
        driver: driver || null,
        pciAddress: dev && /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(dev) ? dev : null,
        numaNode: numa && /^\d+$/.test(numa) ? Number(numa) : null,
      }))
      .sort((a, b) => (a.ifname < b.ifname ? -1 : a.ifname > b.ifname ? 1 : 0))
    return JSON.stringify(devices) + '\n'
  }
  if (kind === 'sysctl-net') {
    const lines: string[] = []
    for (const [i, key] of SYSCTL_NET_KEYS.entries()) {
      const prefix = `${sysctlPaths[i]}:`
      const line = remote.split('\n').find((l) => l.startsWith(prefix))
      if (line !== undefined) lines.push(`${key} = ${line.slice(prefix.length).trim()}`)
    }
    return lines.join('\n') + '\n'
  }
  if (kind === 'ps-vmm') return vmmText(remote)
  return remote
}

const VMM_NAME = /^(qemu-system-[a-z0-9_]+|qemu-kvm|cloud-hypervisor)$/

/** ps-vmm's lines (P pid, one argument per line, E) as the local reader's JSON: the same filter and caps. */
function vmmText(remote: string): string {
  const out: Array<{pid: number; argv: string[]}> = []
  let current: {pid: number; argv: string[]} | null = null
  for (const line of remote.split('\n')) {
    const start = /^P\t(\d+)$/.exec(line)
    if (start) {
      current = {pid: Number(start[1]), argv: []}
      continue
    }
    if (current === null) continue
    if (line === 'E') {
      const base = (current.argv[0] ?? '').split('/').pop() ?? ''
      if (VMM_NAME.test(base) && out.length < 256) out.push({pid: current.pid, argv: current.argv.slice(0, 512)})
      current = null
      continue
    }
    current.argv.push(line)
  }
  return JSON.stringify(out) + '\n'
}

/**
 * The resident remote reader: one ssh that stays, reading one request per line on stdin. A
 * request is `@read KIND` or an argv of plain words (checked here before they are sent; split by
 * the remote shell with globbing off, never evaluated). Each answer is a header line
 * `dd-reading EXIT OUTBYTES ERRBYTES`, then that many bytes of stdout and of stderr.
 */
export const RESIDENT_SCRIPT = `${READER_FUNCTION}
set -f
dd_t=$(mktemp -d) || exit 1
trap 'rm -rf "$dd_t"' EXIT
trap 'exit 1' HUP INT TERM PIPE
while IFS= read -r dd_line; do
  IFS=' '
  set -- $dd_line
  IFS=' 	
'
  if [ "$1" = @read ]; then dd_read "$2"; else "$@"; fi >"$dd_t/o" 2>"$dd_t/e" </dev/null
  dd_rc=$?
  printf 'dd-reading %s %s %s\\n' "$dd_rc" $(wc -c <"$dd_t/o") $(wc -c <"$dd_t/e")
  cat "$dd_t/o" "$dd_t/e"
done`

export function residentArgv(): string[] {
  return ['sh', '-c', RESIDENT_SCRIPT, 'dd-resident']
}

/** A word a resident request may hold: no space, newline or shell syntax reaches the remote loop. */
export const RESIDENT_WORD = /^[A-Za-z0-9_.,:/=@%+-]+$/
