/**
 * Capture bundles assembled from the outputs of one real host in fixtures/real/ (a hotsos fake
 * sosreport of an OpenStack compute node). Deterministic: the same inputs give the same files, and
 * test/fixtures/real-bundles.test.ts checks the committed bundle equals this output.
 *
 * Run: npx tsx test/tools/make-real-bundles.ts   (writes fixtures/real/bundles/<name>/)
 *
 * Conversions (each recorded in the bundle's README.md):
 * - `ovs-vsctl list <Table>` text -> the `--format=json` table the ovsdb parser reads (ovsdb-text.ts);
 * - the Port table, which sosreports do not collect, from `ovs-vsctl show` (bridge -> port -> interface,
 *   tags): Port rows get UUIDs made from their names, and each Bridge row's `ports` column is
 *   replaced by those UUIDs (the real ones cannot be matched to names);
 * - other outputs verbatim; sources the sosreport lacks are recorded `skipped` with the reason.
 */
import {createHash} from 'node:crypto'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {writeCapture} from '../../src/capture/bundle.js'
import {CAPTURE_FORMAT, CAPTURE_VERSION} from '../../src/capture/types.js'
import type {Capture, SourceResult} from '../../src/capture/types.js'
import {STATIC_SOURCES} from '../../src/collect/sources.js'
import {stripOrigin, vsctlListToJson, vsctlShowTree} from './ovsdb-text.js'
import type {JsonDatum, JsonTable} from './ovsdb-text.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const REAL = join(ROOT, 'fixtures/real')
export const REAL_BUNDLES_DIR = join(REAL, 'bundles')

const TAKEN_AT = '2021-06-01T00:00:00.000Z' // fixed: the sosreport's own time is not in the inputs

interface Input {
  /** Source id in the bundle. */
  id: string
  /** fixtures/real file it comes from. */
  file: string
  /** The command that printed it on the host (as the sosreport names it). */
  argv: string[]
  /** How the file was turned into the source's output. */
  convert?: 'vsctl-list-json'
}

interface RealBundle {
  name: string
  host: string
  summary: string
  inputs: Input[]
  /** Port table from this `ovs-vsctl show` file. */
  showFile: string
}

const HOTSOS = 'canonical/hotsos tests/unit/fake_data_root/openstack @7d6f1612944345262fecc665ee4de4c0350c9fa9 (Apache-2.0)'

export const REAL_BUNDLES: RealBundle[] = [
  {
    name: 'hotsos-ovs2.13-kernel',
    host: 'compute4.mylab.home',
    summary:
      'OpenStack (charm-neutron-openvswitch) compute node, Ubuntu 20.04, OVS 2.13.3 built without DPDK (dpdk_version none, ' +
      'dpdk_initialized false), four `system` (kernel datapath) bridges, VXLAN tunnels, one VM tap port. From ' + HOTSOS + '.',
    showFile: 'ovs-vsctl-show/hotsos-ovs2.13-show.txt',
    inputs: [
      {id: 'ovsdb-open_vswitch', file: 'ovs-vsctl-list/hotsos-ovs2.13-open_vswitch.txt', argv: ['ovs-vsctl', '-t', '5', 'list', 'Open_vSwitch'], convert: 'vsctl-list-json'},
      {id: 'ovsdb-bridge', file: 'ovs-vsctl-list/hotsos-ovs2.13-bridge.txt', argv: ['ovs-vsctl', '-t', '5', 'list', 'bridge'], convert: 'vsctl-list-json'},
      {id: 'ovsdb-interface', file: 'ovs-vsctl-list/hotsos-ovs2.13-interface.txt', argv: ['ovs-vsctl', '-t', '5', 'list', 'interface'], convert: 'vsctl-list-json'},
      {id: 'dpctl-show', file: 'dpctl-show/hotsos-ovs2.13-system.txt', argv: ['ovs-appctl', 'dpctl/show', '-s', 'system@ovs-system']},
      {id: 'fdb.br-data', file: 'fdb/hotsos-ovs2.13-br-data.txt', argv: ['ovs-appctl', 'fdb/show', 'br-data']},
      {id: 'fdb.br-int', file: 'fdb/hotsos-ovs2.13-br-int.txt', argv: ['ovs-appctl', 'fdb/show', 'br-int']},
      {id: 'fdb.br-tun', file: 'fdb/hotsos-ovs2.13-br-tun-empty.txt', argv: ['ovs-appctl', 'fdb/show', 'br-tun']},
      {id: 'ofctl-show.br-data', file: 'ofctl-show/hotsos-ovs2.13-of13-br-data.txt', argv: ['ovs-ofctl', '-O', 'OpenFlow13', 'show', 'br-data']},
      {id: 'ofctl-show.br-int', file: 'ofctl-show/hotsos-ovs2.13-of13-br-int.txt', argv: ['ovs-ofctl', '-O', 'OpenFlow13', 'show', 'br-int']},
      {id: 'ofctl-show.br-tun', file: 'ofctl-show/hotsos-ovs2.13-of13-br-tun.txt', argv: ['ovs-ofctl', '-O', 'OpenFlow13', 'show', 'br-tun']},
      {id: 'ofctl-ports.br-data', file: 'ofctl-ports/hotsos-ovs2.13-br-data.txt', argv: ['ovs-ofctl', 'dump-ports', 'br-data']},
      {id: 'ofctl-ports.br-int', file: 'ofctl-ports/hotsos-ovs2.13-br-int.txt', argv: ['ovs-ofctl', 'dump-ports', 'br-int']},
      {id: 'ethtool-i.ens3', file: 'ethtool-i/hotsos-ens3.txt', argv: ['ethtool', '-i', 'ens3']},
      {id: 'ethtool-i.ens5', file: 'ethtool-i/hotsos-ens5.txt', argv: ['ethtool', '-i', 'ens5']},
      {id: 'ethtool-i.ens8', file: 'ethtool-i/hotsos-ens8.txt', argv: ['ethtool', '-i', 'ens8']},
    ],
  },
]

const readReal = (file: string): string => stripOrigin(readFileSync(join(REAL, file), 'utf8'))
const originOf = (file: string): string => /^# origin: (.*)$/m.exec(readFileSync(join(REAL, file), 'utf8'))?.[1] ?? '?'

/** A stable UUID made from a name (the Port rows the sosreport lacks). */
function nameUuid(name: string): string {
  const h = createHash('sha256').update(`port:${name}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`
}

function column(table: JsonTable, name: string): number {
  const i = table.headings.indexOf(name)
  if (i < 0) throw new Error(`no column ${name}`)
  return i
}

/** The Port table from `ovs-vsctl show`, and the Bridge table's ports column pointed at it. */
function portsFromShow(showText: string, bridges: JsonTable, interfaces: JsonTable): JsonTable {
  const tree = vsctlShowTree(showText)
  const ifaceUuid = new Map(interfaces.data.map((row) => [row[column(interfaces, 'name')], (row[column(interfaces, '_uuid')] as ['uuid', string])[1]]))
  const data: JsonDatum[][] = []
  for (const bridge of tree.bridges) {
    const row = bridges.data.find((r) => r[column(bridges, 'name')] === bridge.name)
    if (!row) throw new Error(`bridge ${bridge.name} of ovs-vsctl show is not in list bridge`)
    row[column(bridges, 'ports')] = ['set', bridge.ports.map((p) => ['uuid', nameUuid(p.name)])]
    for (const port of bridge.ports) {
      const ifaces = port.interfaces.map((name): ['uuid', string] => {
        const uuid = ifaceUuid.get(name)
        if (uuid === undefined) throw new Error(`interface ${name} of ovs-vsctl show is not in list interface`)
        return ['uuid', uuid]
      })
      data.push([['uuid', nameUuid(port.name)], ['set', ifaces], port.name, ['map', []], port.tag ?? ['set', []], ['set', []], ['set', []]])
    }
  }
  return {data, headings: ['_uuid', 'interfaces', 'name', 'other_config', 'tag', 'trunks', 'bond_mode']}
}

const tableText = (t: JsonTable): string => JSON.stringify(t) + '\n'

function ok(id: string, argv: string[], stdout: string): SourceResult {
  return {id, argv, status: 'ok', exitCode: 0, durationMs: 0, startedAt: TAKEN_AT, stdout, stderr: ''}
}

/** The capture (manifest + one `before` sample) and its README, for one real bundle. */
export function buildRealBundle(spec: RealBundle): {capture: Capture; readme: string} {
  const sources: Record<string, SourceResult> = {}
  const tables: Record<string, JsonTable> = {}
  for (const input of spec.inputs) {
    const text = readReal(input.file)
    if (input.convert === 'vsctl-list-json') tables[input.id] = vsctlListToJson(text)
    else sources[input.id] = ok(input.id, input.argv, text)
  }
  const bridges = tables['ovsdb-bridge']!
  const ports = portsFromShow(readReal(spec.showFile), bridges, tables['ovsdb-interface']!)
  for (const input of spec.inputs.filter((i) => i.convert)) sources[input.id] = ok(input.id, input.argv, tableText(tables[input.id]!))
  sources['ovsdb-port'] = ok('ovsdb-port', ['ovs-vsctl', '-t', '5', 'show'], tableText(ports))
  for (const wanted of STATIC_SOURCES) {
    if (sources[wanted.id]) continue
    const record = wanted.argv ? {argv: wanted.argv} : {path: wanted.path!}
    sources[wanted.id] = {id: wanted.id, ...record, status: 'skipped', reason: 'not in the sosreport this bundle was assembled from', exitCode: null, durationMs: 0, startedAt: TAKEN_AT, stdout: '', stderr: ''}
  }
  const capture: Capture = {
    manifest: {
      format: CAPTURE_FORMAT,
      version: CAPTURE_VERSION,
      host: {hostname: spec.host, machineId: null, kernel: null, netns: null, ovsRundir: null},
      tool: {name: 'make-real-bundles', version: '1'},
      createdAt: TAKEN_AT,
      samples: [{name: 'before', takenAt: TAKEN_AT}],
      load: null,
    },
    samples: [{name: 'before', takenAt: TAKEN_AT, sources}],
    loadOutput: null,
  }
  const rows = spec.inputs.map((i) => `| \`${i.id}\` | \`${i.file}\` | ${i.convert ? 'text -> JSON table' : 'verbatim'} | ${originOf(i.file)} |`)
  const readme = [
    `# ${spec.name}`,
    '',
    spec.summary,
    '',
    'Assembled by `test/tools/make-real-bundles.ts` from the files of `fixtures/real/` (do not edit by hand;',
    'test/fixtures/real-bundles.test.ts checks this bundle equals the generator\'s output).',
    '',
    '| source | from | conversion | origin |',
    '|---|---|---|---|',
    ...rows,
    `| \`ovsdb-port\` | \`${spec.showFile}\` | Port rows built from \`ovs-vsctl show\` (sosreports collect no \`list Port\`); UUIDs made from the port names, and the Bridge rows' \`ports\` column replaced by them | ${originOf(spec.showFile)} |`,
    '',
    'Sources the sosreport does not hold are recorded `skipped` (ip, sysctl, sysfs, /proc, PMD commands, dpif/show, devbind).',
    'Timestamps are fixed (the sosreport\'s time is not in the inputs); `argv` is the command the sosreport ran.',
    '',
  ].join('\n')
  return {capture, readme}
}

/** Writes every real bundle (replacing the previous files). */
export function writeRealBundles(root = REAL_BUNDLES_DIR): string[] {
  return REAL_BUNDLES.map((spec) => {
    const dir = join(root, spec.name)
    rmSync(dir, {recursive: true, force: true})
    const {capture, readme} = buildRealBundle(spec)
    writeCapture(dir, capture)
    writeFileSync(join(dir, 'README.md'), readme)
    return dir
  })
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const dir of writeRealBundles()) console.log(`wrote ${dir}`)
}
