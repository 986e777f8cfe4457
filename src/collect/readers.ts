/**
 * In-process readers for /sys and /proc sources. The same self-contained function also runs inside
 * another network namespace as `ip netns exec NS node -e ...`, because /sys/class/net and
 * /proc/sys/net show the namespace of the reading process (ip netns exec remounts /sys for it).
 */
import * as fs from 'node:fs'
import {SYSCTL_NET_KEYS} from './sources.js'

type Fs = typeof fs

/**
 * Self-contained on purpose (no imports, no closures): its source text is passed to `node -e`.
 * kind: 'sysfs-net' | 'sysfs-stats' | 'sysctl-net'; keys: the sysctl keys for sysctl-net.
 */
export function readKernelSource(f: Fs, kind: string, keys: string[]): string {
  const base = '/sys/class/net'
  const read = (p: string): string | null => {
    try {
      return f.readFileSync(p, 'utf8').trim()
    } catch {
      return null
    }
  }
  if (kind === 'ps-vmm') {
    // VMM command lines: only processes whose argv[0] names a VMM binary, argv split on NUL, capped.
    const out: Array<{pid: number; argv: string[]}> = []
    let pids: string[] = []
    try {
      pids = f.readdirSync('/proc').filter((d) => /^\d+$/.test(d))
    } catch {
      pids = []
    }
    for (const pid of pids) {
      let raw: string
      try {
        raw = f.readFileSync('/proc/' + pid + '/cmdline', 'utf8')
      } catch {
        continue
      }
      if (raw.length === 0 || raw.length > 65536) continue
      const argv = raw.split('\u0000')
      if (argv[argv.length - 1] === '') argv.pop()
      const base = (argv[0] || '').split('/').pop() || ''
      if (!/^qemu-system-[a-z0-9_]+$/.test(base) && base !== 'qemu-kvm' && base !== 'cloud-hypervisor') continue
      out.push({pid: Number(pid), argv: argv.slice(0, 512)})
      if (out.length >= 256) break
    }
    return JSON.stringify(out) + '\n'
  }
  if (kind === 'sysctl-net') {
    const lines: string[] = []
    for (const key of keys) {
      const value = read('/proc/sys/' + key.split('.').join('/'))
      if (value !== null) lines.push(key + ' = ' + value)
    }
    return lines.join('\n') + '\n'
  }
  let names: string[] = []
  try {
    names = f.readdirSync(base).sort()
  } catch {
    names = []
  }
  if (kind === 'sysfs-stats') {
    const counters = ['rx_bytes', 'rx_packets', 'rx_errors', 'rx_dropped', 'tx_bytes', 'tx_packets', 'tx_errors', 'tx_dropped']
    const out: Record<string, Record<string, number>> = {}
    for (const name of names) {
      const stats: Record<string, number> = {}
      for (const c of counters) {
        const v = read(base + '/' + name + '/statistics/' + c)
        if (v !== null && /^\d+$/.test(v)) stats[c] = Number(v)
      }
      out[name] = stats
    }
    return JSON.stringify(out) + '\n'
  }
  const devices = names.map((name) => {
    let driver: string | null = null
    let pciAddress: string | null = null
    let numaNode: number | null = null
    try {
      driver = f.realpathSync(base + '/' + name + '/device/driver').split('/').pop() ?? null
    } catch {
      driver = null
    }
    try {
      const dev = f.realpathSync(base + '/' + name + '/device').split('/').pop() ?? ''
      if (/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(dev)) pciAddress = dev
    } catch {
      pciAddress = null
    }
    const numa = read(base + '/' + name + '/device/numa_node')
    if (numa !== null && /^\d+$/.test(numa)) numaNode = Number(numa)
    return {ifname: name, driver, pciAddress, numaNode}
  })
  return JSON.stringify(devices) + '\n'
}

/** argv that runs the reader inside a network namespace. */
export function netnsReaderArgv(netns: string, kind: string): string[] {
  // __name: transpilers with keepNames (tsx, which oclif uses in development) wrap inner functions
  // in that helper; the text alone would throw "__name is not defined" in the other namespace.
  const code = `var __name = (fn) => fn; process.stdout.write((${readKernelSource.toString()})(require('fs'), process.argv[1], ${JSON.stringify(SYSCTL_NET_KEYS)}))`
  return ['ip', 'netns', 'exec', netns, process.execPath, '-e', code, kind]
}

export function readInProcess(kind: string): string {
  return readKernelSource(fs, kind, SYSCTL_NET_KEYS)
}

/**
 * argv of the same reader kept running inside a namespace: each line on its stdin names a reader
 * kind and is answered with that reading as one line (the readers' JSON has no newline inside;
 * sysctl-net's lines are joined by a tab and split again by the caller). watch uses it for the
 * kernel sources without starting a node process in the namespace for each.
 */
export function netnsResidentReaderArgv(netns: string): string[] {
  const code =
    `var __name = (fn) => fn; var read = (${readKernelSource.toString()}); var fs = require('fs'); var keys = ${JSON.stringify(SYSCTL_NET_KEYS)};` +
    `var pending = ''; process.stdin.setEncoding('utf8');` +
    `process.stdin.on('data', function (d) { pending += d; var n; while ((n = pending.indexOf('\\n')) !== -1) { var kind = pending.slice(0, n).trim(); pending = pending.slice(n + 1);` +
    ` process.stdout.write(read(fs, kind, keys).replace(/\\n(?!$)/g, '\\t')) } });` +
    `process.stdin.on('end', function () { process.exit(0) })`
  return ['ip', 'netns', 'exec', netns, process.execPath, '-e', code, 'resident']
}
