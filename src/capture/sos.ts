/**
 * A sosreport directory read as a capture: its files mapped onto dpdk-doctor's source ids, one
 * sample ("before"), so the model, rules and verdict read it like a bundle (docs/capture-format.md,
 * "Sosreports"). sos names a command's output after the command, mangled as sos's
 * Plugin._mangle_command does: a leading /usr/bin or /sbin dropped, every run of characters other
 * than word characters, "-", "." and "/" turned into "_", "/" into ".". Snap installs prefix the OVS
 * commands with the snap's name ("openstack-hypervisor.ovs-vsctl_-t_5_list_bridge").
 *
 * Files are read through the bundle reader (bundle-reader.ts): nothing is followed out of the tree,
 * only regular files (never a fifo or a device), with the bundle reader's size limits.
 */
import {existsSync, lstatSync, readdirSync, realpathSync, statSync} from 'node:fs'
import {join, sep} from 'node:path'
import {BundleReader} from './bundle-reader.js'
import {SYSCTL_NET_KEYS} from '../collect/sources.js'
import {DoctorError} from '../errors.js'
import {ovsdbListTextToJson} from '../parsers/ovsdb-text.js'
import {CAPTURE_FORMAT, CAPTURE_VERSION} from './types.js'
import type {Capture, SourceResult} from './types.js'

/** Why window rules cannot run on a sosreport. */
export const SOS_WINDOW_REASON = 'a sosreport has one sample: capture a window with `dpdk-doctor capture --load`'

/** sos's file name for a command line (sos/report/plugins/__init__.py _mangle_command). */
export function mangleCommand(command: string): string {
  return command
    .replace(/^\/(usr\/|)(bin|sbin)\//, '')
    .replace(/[^\w\-./]+/g, '_')
    .replace(/\//g, '.')
    .replace(/^[ ._-]+|[ ._-]+$/g, '')
}

/** A sosreport directory: sos_commands/ next to sos's own bookkeeping (version.txt or sos_reports/). */
export function isSosReportDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && existsSync(join(dir, 'sos_commands')) && !existsSync(join(dir, 'capture.json'))
  } catch {
    return false
  }
}

/**
 * Reads files under one root through the bundle reader (regular files inside the root only, no
 * link out, no fifo or device, size limits: docs/capture-format.md), and lists its directories.
 */
class SosTree {
  readonly root: string
  private readonly reader: BundleReader
  constructor(root: string) {
    this.reader = new BundleReader(root)
    this.root = this.reader.root
  }

  /** The real path of rel when it stays inside the root, else null. */
  private inside(rel: string): string | null {
    const path = join(this.root, rel)
    try {
      lstatSync(path)
      const real = realpathSync(path)
      return real === this.root || real.startsWith(this.root + sep) ? real : null
    } catch {
      return null
    }
  }

  /** A regular file's text, or null (missing, refused by the bundle reader). */
  read(rel: string): string | null {
    const r = this.reader.read(rel)
    return r.kind === 'ok' ? r.text : null
  }

  /** Names in a directory inside the root (empty when missing or outside). */
  list(rel: string): string[] {
    const real = this.inside(rel)
    if (real === null) return []
    try {
      return statSync(real).isDirectory() ? readdirSync(real).sort() : []
    } catch {
      return []
    }
  }
}

/** A manifest.json command entry (sos >= 4.0): what ran, its exit code and run time. */
interface ManifestCommand {
  exec: string
  returnCode: number | null
  runTimeS: number | null
}

interface SosMeta {
  version: string | null
  startedAt: string | null
  commands: Map<string, ManifestCommand>
}

function readMeta(tree: SosTree): SosMeta {
  const commands = new Map<string, ManifestCommand>()
  let version: string | null = null
  let startedAt: string | null = null
  const manifestText = tree.read('sos_reports/manifest.json')
  if (manifestText !== null) {
    try {
      const m = JSON.parse(manifestText) as Record<string, unknown>
      if (typeof m.version === 'string') version = m.version
      if (typeof m.start_time === 'string') startedAt = m.start_time
      const plugins = (m.components as {report?: {plugins?: Record<string, {commands?: unknown[]}>}} | undefined)?.report?.plugins ?? {}
      for (const plugin of Object.values(plugins)) {
        for (const c of Array.isArray(plugin?.commands) ? plugin.commands : []) {
          const entry = c as {exec?: unknown; filepath?: unknown; return_code?: unknown; run_time?: unknown}
          if (typeof entry.exec !== 'string' || typeof entry.filepath !== 'string') continue
          commands.set(entry.filepath.replace(/^\/+/, ''), {
            exec: entry.exec,
            returnCode: typeof entry.return_code === 'number' ? entry.return_code : null,
            runTimeS: typeof entry.run_time === 'number' ? entry.run_time : null,
          })
        }
      }
    } catch {
      // An unreadable manifest only loses the argv and exit codes; the files are still read.
    }
  }
  const versionTxt = tree.read('version.txt')
  const said = versionTxt === null ? null : /^sos(?:report)?:\s*(\S+)/m.exec(versionTxt)
  if (version === null && said) version = said[1]!
  return {version, startedAt, commands}
}

/** sos writes start_time as Python's str(datetime) ("2026-12-02 12:00:00.123456"), local time. */
function isoTime(text: string | null, fallback: string): string {
  if (text === null) return fallback
  const d = new Date(text.replace(' ', 'T'))
  return Number.isNaN(d.getTime()) ? fallback : d.toISOString()
}

/**
 * A command's output file in a plugin directory: the mangled name, with or without a snap prefix
 * ("<snap>.<name>"), with or without the -t 5 that sos adds to ovs-vsctl on newer versions.
 */
function findCommandFile(tree: SosTree, plugin: string, commands: string[]): string | null {
  const names = tree.list(`sos_commands/${plugin}`)
  for (const command of commands) {
    const mangled = mangleCommand(command)
    if (names.includes(mangled)) return `sos_commands/${plugin}/${mangled}`
    const snap = names.find((n) => n.endsWith(`.${mangled}`) && /^[a-z0-9][a-z0-9-]*$/.test(n.slice(0, -mangled.length - 1)))
    if (snap !== undefined) return `sos_commands/${plugin}/${snap}`
  }
  return null
}

/** How each source is found in a sosreport: the commands sos runs for it, newest spelling first. */
const COMMAND_SOURCES: ReadonlyArray<{id: string; plugin: string; commands: string[]}> = [
  {id: 'ip-addr', plugin: 'networking', commands: ['ip -d address', 'ip address', 'ip addr']},
  {id: 'ip-route', plugin: 'networking', commands: ['ip route show table all', 'ip route']},
  {id: 'ip-link', plugin: 'networking', commands: ['ip -s -d link', 'ip -s link', 'ip link']},
  {id: 'ovsdb-open_vswitch', plugin: 'openvswitch', commands: ['ovs-vsctl -t 5 list Open_vSwitch', 'ovs-vsctl list Open_vSwitch']},
  {id: 'ovsdb-bridge', plugin: 'openvswitch', commands: ['ovs-vsctl -t 5 list bridge', 'ovs-vsctl list bridge']},
  {id: 'ovsdb-interface', plugin: 'openvswitch', commands: ['ovs-vsctl -t 5 list interface', 'ovs-vsctl list interface']},
  {id: 'pmd-stats', plugin: 'openvswitch', commands: ['ovs-appctl dpif-netdev/pmd-stats-show']},
  {id: 'pmd-perf', plugin: 'openvswitch', commands: ['ovs-appctl dpif-netdev/pmd-perf-show']},
  {id: 'pmd-rxq', plugin: 'openvswitch', commands: ['ovs-appctl dpif-netdev/pmd-rxq-show']},
  // sos >= 4.1 runs dpctl/show per datapath (dpctl/dump-dps); the userspace one first.
  {id: 'dpctl-show', plugin: 'openvswitch', commands: ['ovs-appctl dpctl/show -s netdev@ovs-netdev', 'ovs-appctl dpctl/show -s', 'ovs-appctl dpctl/show -s system@ovs-system', 'ovs-dpctl show -s']},
  {id: 'devbind', plugin: 'openvswitch', commands: ['dpdk-devbind.py --status', 'dpdk_nic_bind --status']},
]

/** What a bundle has that a sosreport never holds (no dpif/show in any sos version). */
const NEVER_IN_SOS = ['dpif-show']

interface Found {
  sources: Record<string, SourceResult>
  absent: string[]
  warnings: string[]
}

function commandResult(id: string, file: string, text: string, meta: SosMeta, takenAt: string): SourceResult {
  const ran = meta.commands.get(file)
  const exitCode = ran?.returnCode ?? 0
  return {
    id,
    argv: (ran?.exec ?? file.split('/').pop()!).split(' '),
    path: file,
    // sos keeps a failed command's message as its output: not a source to parse.
    status: exitCode === 0 ? 'ok' : 'error',
    exitCode,
    durationMs: Math.round((ran?.runTimeS ?? 0) * 1000),
    startedAt: takenAt,
    ...(exitCode === 0 ? {} : {reason: `sos recorded exit code ${exitCode}`}),
    stdout: exitCode === 0 ? text : '',
    stderr: exitCode === 0 ? '' : text,
  }
}

function fileResult(id: string, path: string, text: string, takenAt: string): SourceResult {
  return {id, path, status: 'ok', exitCode: null, durationMs: 0, startedAt: takenAt, stdout: text, stderr: ''}
}

/** sysctl-net in the reader's "key = value" form, from proc/sys copies or `sysctl -a`. */
function sysctlNet(tree: SosTree): {text: string; path: string} | null {
  const lines: string[] = []
  for (const key of SYSCTL_NET_KEYS) {
    const value = tree.read(`proc/sys/${key.split('.').join('/')}`)
    if (value !== null) lines.push(`${key} = ${value.trim()}`)
  }
  if (lines.length > 0) return {text: lines.join('\n') + '\n', path: 'proc/sys/net'}
  const all = tree.read('sos_commands/kernel/sysctl_-a')
  if (all === null) return null
  const wanted = new Set(SYSCTL_NET_KEYS)
  const picked = all.split('\n').filter((l) => wanted.has(l.split('=')[0]!.trim()))
  return picked.length > 0 ? {text: picked.map((l) => l.trim()).join('\n') + '\n', path: 'sos_commands/kernel/sysctl_-a'} : null
}

/** sysfs-stats in the reader's JSON form, from the sys/class/net/<if>/statistics copies (lifetime counters). */
function sysfsStats(tree: SosTree): string | null {
  const counters = ['rx_bytes', 'rx_packets', 'rx_errors', 'rx_dropped', 'tx_bytes', 'tx_packets', 'tx_errors', 'tx_dropped']
  const out: Record<string, Record<string, number>> = {}
  for (const name of tree.list('sys/class/net')) {
    const stats: Record<string, number> = {}
    for (const c of counters) {
      const v = tree.read(`sys/class/net/${name}/statistics/${c}`)?.trim()
      if (v !== undefined && /^\d+$/.test(v)) stats[c] = Number(v)
    }
    if (Object.keys(stats).length > 0) out[name] = stats
  }
  return Object.keys(out).length > 0 ? JSON.stringify(out) + '\n' : null
}

/** A quoted or bare name as `ovs-vsctl show` prints it. */
function showName(text: string): string {
  const t = text.trim()
  return t.startsWith('"') ? (JSON.parse(t) as string) : t
}

/**
 * The Port table, which sos does not list, derived from `ovs-vsctl show` (bridge -> port ->
 * interface names, tag) and the Bridge and Interface lists (their uuids), as the JSON
 * `ovs-vsctl --format=json list Port` would print it. Show names ports, not their uuids: each
 * bridge's port uuids are given to its shown ports in order, so a bridge's ports and each port's
 * interfaces are right while the uuid of a given port is not the real one (nothing reads it).
 */
export function derivePortTable(show: string, bridgesJson: string, interfacesJson: string): string | null {
  type Table = {headings: string[]; data: unknown[][]}
  let bridges: Table
  let interfaces: Table
  try {
    bridges = JSON.parse(bridgesJson) as Table
    interfaces = JSON.parse(interfacesJson) as Table
  } catch {
    return null
  }
  const col = (t: Table, name: string) => t.headings.indexOf(name)
  const uuidOf = (cell: unknown) => (Array.isArray(cell) && cell[0] === 'uuid' ? (cell[1] as string) : null)
  const setOf = (cell: unknown): string[] =>
    Array.isArray(cell) && cell[0] === 'set' ? (cell[1] as unknown[]).map(uuidOf).filter((u): u is string => u !== null) : uuidOf(cell) ? [uuidOf(cell)!] : []
  const ifaceUuid = new Map(interfaces.data.map((row) => [row[col(interfaces, 'name')] as string, uuidOf(row[col(interfaces, '_uuid')])]))
  const bridgePorts = new Map(bridges.data.map((row) => [row[col(bridges, 'name')] as string, setOf(row[col(bridges, 'ports')])]))

  const shown = new Map<string, Array<{name: string; tag: number | null; interfaces: string[]}>>()
  let bridge: string | null = null
  let port: {name: string; tag: number | null; interfaces: string[]} | null = null
  for (const line of show.split('\n')) {
    const m = /^(\s*)(Bridge|Port|Interface|tag:)\s+(.*)$/.exec(line)
    if (!m) continue
    if (m[2] === 'Bridge') {
      bridge = showName(m[3]!)
      shown.set(bridge, [])
      port = null
    } else if (m[2] === 'Port' && bridge !== null) {
      port = {name: showName(m[3]!), tag: null, interfaces: []}
      shown.get(bridge)!.push(port)
    } else if (m[2] === 'tag:' && port !== null && /^\d+$/.test(m[3]!.trim())) port.tag = Number(m[3]!.trim())
    else if (m[2] === 'Interface' && port !== null) port.interfaces.push(showName(m[3]!))
  }
  const data: unknown[][] = []
  for (const [name, ports] of shown) {
    const uuids = bridgePorts.get(name) ?? []
    if (uuids.length !== ports.length) continue
    ports.forEach((p, i) => {
      const ifaces = p.interfaces.map((n) => ifaceUuid.get(n)).filter((u): u is string => typeof u === 'string')
      data.push([['uuid', uuids[i]], ['set', ifaces.map((u) => ['uuid', u])], p.name, p.tag ?? ['set', []]])
    })
  }
  return data.length > 0 ? JSON.stringify({data, headings: ['_uuid', 'interfaces', 'name', 'tag']}) + '\n' : null
}

function collectSources(tree: SosTree, meta: SosMeta, takenAt: string): Found {
  const sources: Record<string, SourceResult> = {}
  const absent: string[] = []
  const warnings: string[] = []
  for (const spec of COMMAND_SOURCES) {
    const file = findCommandFile(tree, spec.plugin, spec.commands)
    const text = file === null ? null : tree.read(file)
    if (file === null || text === null) {
      absent.push(`${spec.id}: sos_commands/${spec.plugin}/${mangleCommand(spec.commands[0]!)}`)
      continue
    }
    sources[spec.id] = commandResult(spec.id, file, text, meta, takenAt)
  }
  // Per-bridge and per-device sources, by the names sos put in the file names.
  for (const name of tree.list('sos_commands/openvswitch')) {
    const unsnapped = name.replace(/^[a-z0-9][a-z0-9-]*\.(?=ovs-)/, '')
    const per: Array<[RegExp, string]> = [
      [/^ovs-appctl_fdb\.show_(.+)$/, 'fdb'],
      [/^ovs-ofctl_show_(.+)$/, 'ofctl-show'],
      [/^ovs-ofctl_dump-ports_(.+)$/, 'ofctl-ports'],
    ]
    for (const [pattern, base] of per) {
      const m = pattern.exec(unsnapped)
      const id = m ? `${base}.${m[1]}` : null
      if (id === null || !/^[A-Za-z0-9_.-]+$/.test(m![1]!)) continue
      const file = `sos_commands/openvswitch/${name}`
      const text = tree.read(file)
      if (text !== null) sources[id] = commandResult(id, file, text, meta, takenAt)
    }
  }
  for (const name of tree.list('sos_commands/networking')) {
    const m = /^ethtool_-i_([A-Za-z0-9_.-]+)$/.exec(name)
    if (!m) continue
    const file = `sos_commands/networking/${name}`
    const text = tree.read(file)
    if (text !== null) sources[`ethtool-i.${m[1]}`] = commandResult(`ethtool-i.${m[1]}`, file, text, meta, takenAt)
  }
  for (const [id, path] of [['meminfo', 'proc/meminfo'], ['cmdline', 'proc/cmdline']] as const) {
    const text = tree.read(path)
    if (text === null) absent.push(`${id}: ${path}`)
    else sources[id] = fileResult(id, path, text, takenAt)
  }
  const sysctl = sysctlNet(tree)
  if (sysctl === null) absent.push('sysctl-net: proc/sys/net/ipv4/ip_forward or sos_commands/kernel/sysctl_-a')
  else sources['sysctl-net'] = fileResult('sysctl-net', sysctl.path, sysctl.text, takenAt)
  const stats = sysfsStats(tree)
  if (stats === null) absent.push('sysfs-stats: sys/class/net/*/statistics')
  else sources['sysfs-stats'] = fileResult('sysfs-stats', 'sys/class/net', stats, takenAt)

  const port = derivedPorts(tree, sources, takenAt)
  if (port === null) absent.push('ovsdb-port: sos_commands/openvswitch/ovs-vsctl_-t_5_show (to derive the Port table)')
  else sources['ovsdb-port'] = port
  for (const id of NEVER_IN_SOS) absent.push(`${id}: not collected by sos`)
  return {sources, absent, warnings}
}

function derivedPorts(tree: SosTree, sources: Record<string, SourceResult>, takenAt: string): SourceResult | null {
  const file = findCommandFile(tree, 'openvswitch', ['ovs-vsctl -t 5 show', 'ovs-vsctl show'])
  const show = file === null ? null : tree.read(file)
  const bridge = sources['ovsdb-bridge']
  const iface = sources['ovsdb-interface']
  if (show === null || file === null || bridge?.status !== 'ok' || iface?.status !== 'ok') return null
  // The text lists go through the same conversion the parsers use.
  const toJson = (text: string) => (text.trimStart().startsWith('{') ? {ok: true as const, value: text} : ovsdbListTextToJson(text))
  const b = toJson(bridge.stdout)
  const i = toJson(iface.stdout)
  if (!b.ok || !i.ok) return null
  const table = derivePortTable(show, b.value, i.value)
  if (table === null) return null
  return {
    id: 'ovsdb-port',
    argv: ['ovs-vsctl', '-t', '5', 'show'],
    path: file,
    status: 'ok',
    exitCode: 0,
    durationMs: 0,
    startedAt: takenAt,
    reason: 'derived: sosreports have no Port table; built from ovs-vsctl show with the Bridge and Interface lists',
    stdout: table,
    stderr: '',
  }
}

function firstLine(text: string | null): string | null {
  const line = text?.split('\n')[0]?.trim()
  return line ? line : null
}

/** Reads a sosreport directory as a one-sample capture. */
export function readSosReport(dir: string): Capture {
  let tree: SosTree
  try {
    tree = new SosTree(dir)
  } catch (error) {
    throw new DoctorError('E_BUNDLE', `${dir} is not a readable sosreport: ${(error as Error).message}`)
  }
  const meta = readMeta(tree)
  let fallback: string
  try {
    fallback = statSync(join(tree.root, 'sos_commands')).mtime.toISOString()
  } catch {
    fallback = new Date(0).toISOString()
  }
  const takenAt = isoTime(meta.startedAt, fallback)
  const found = collectSources(tree, meta, takenAt)
  if (!found.sources['ovsdb-bridge'] && !found.sources['ip-addr']) {
    throw new DoctorError('E_BUNDLE', `${dir} looks like a sosreport but holds neither the openvswitch nor the networking plugin's output`, {
      suggestions: ['Make it with `sos report -o openvswitch,networking` (or include those plugins).'],
    })
  }
  const uname = firstLine(tree.read('sos_commands/kernel/uname_-a')) ?? firstLine(tree.read('uname'))
  return {
    manifest: {
      format: CAPTURE_FORMAT,
      version: CAPTURE_VERSION,
      host: {
        hostname: firstLine(tree.read('hostname')) ?? firstLine(tree.read('etc/hostname')),
        machineId: firstLine(tree.read('etc/machine-id')),
        kernel: uname?.split(/\s+/)[2] ?? null,
        netns: null,
        ovsRundir: null,
      },
      tool: {name: 'sos', version: meta.version ?? 'unknown'},
      createdAt: takenAt,
      samples: [{name: 'before', takenAt}],
      load: null,
    },
    samples: [{name: 'before', takenAt, sources: found.sources}],
    loadOutput: null,
    origin: {kind: 'sosreport', sosVersion: meta.version, absent: found.absent, uptime: firstLine(tree.read('sos_commands/host/uptime')) ?? firstLine(tree.read('uptime'))},
  }
}
