/**
 * Converters for third-party OVS outputs (fixtures/real/): `ovs-vsctl list <Table>` text to the
 * `ovs-vsctl --format=json list <Table>` shape the ovsdb parser reads, and `ovs-vsctl show` to the
 * bridge -> port -> interface tree (sosreports collect no `list Port`). Test tooling only: dpdk-doctor
 * itself always collects JSON.
 */

export type JsonAtom = string | number | boolean | ['uuid', string]
export type JsonDatum = JsonAtom | ['set', JsonAtom[]] | ['map', Array<[JsonAtom, JsonAtom]>]
export interface JsonTable {
  data: JsonDatum[][]
  headings: string[]
}

/** The first line of a fixtures/real file, when it is the `# origin:` header. */
export const ORIGIN_HEADER = /^# origin: [^\n]*\n/

/** The output of a fixtures/real file: its text without the one `# origin:` header line. */
export function stripOrigin(text: string): string {
  return text.replace(ORIGIN_HEADER, '')
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** A bare or quoted atom as ovs-vsctl prints it: "quoted" string, integer, real, boolean, UUID, bare string. */
function atomOf(token: string, quoted: boolean): JsonAtom {
  if (quoted) return token
  if (/^-?\d+$/.test(token)) return Number(token)
  if (/^-?\d+\.\d+$/.test(token)) return Number(token)
  if (token === 'true' || token === 'false') return token === 'true'
  if (UUID.test(token)) return ['uuid', token]
  return token
}

/** Reads one atom at text[i]: a JSON-style quoted string, or a bare token up to a delimiter. */
function readAtom(text: string, i: number, stops: string): {atom: JsonAtom; next: number} {
  while (text[i] === ' ') i++
  if (text[i] === '"') {
    let j = i + 1
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
    return {atom: atomOf(JSON.parse(text.slice(i, j + 1)) as string, true), next: j + 1}
  }
  let j = i
  while (j < text.length && !stops.includes(text[j]!)) j++
  return {atom: atomOf(text.slice(i, j).trim(), false), next: j}
}

/** One column value of `ovs-vsctl list`: `[a, b]` set, `{k=v, ...}` map, or a single atom. */
export function datumOf(value: string): JsonDatum {
  const v = value.trim()
  if (v.startsWith('[')) {
    const atoms: JsonAtom[] = []
    let i = 1
    while (i < v.length && v[i] !== ']') {
      const {atom, next} = readAtom(v, i, ',]')
      atoms.push(atom)
      i = next
      while (v[i] === ',' || v[i] === ' ') i++
    }
    return ['set', atoms]
  }
  if (v.startsWith('{')) {
    const pairs: Array<[JsonAtom, JsonAtom]> = []
    let i = 1
    while (i < v.length && v[i] !== '}') {
      const key = readAtom(v, i, '=,}')
      i = key.next + 1 // the "="
      const val = readAtom(v, i, ',}')
      pairs.push([key.atom, val.atom])
      i = val.next
      while (v[i] === ',' || v[i] === ' ') i++
    }
    return ['map', pairs]
  }
  return readAtom(v, 0, '').atom
}

/** `ovs-vsctl list <Table>` text (records separated by blank lines) -> the --format=json table. */
export function vsctlListToJson(text: string): JsonTable {
  const records = text.split(/\n\s*\n/).map((block) => block.split('\n').filter((l) => l.trim() !== ''))
  const rows = records.filter((r) => r.length > 0).map((lines) => lines.map((line) => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon).trim(), datumOf(line.slice(colon + 1))] as const
  }))
  const headings = rows[0]?.map(([h]) => h) ?? []
  for (const row of rows) {
    if (row.map(([h]) => h).join() !== headings.join()) throw new Error('ovs-vsctl list: records with different columns')
  }
  return {data: rows.map((row) => row.map(([, d]) => d)), headings}
}

export interface ShowPort {
  name: string
  tag: number | null
  interfaces: string[]
}
export interface ShowBridge {
  name: string
  datapathType: string | null
  ports: ShowPort[]
}

/** `ovs-vsctl show` -> bridges with their ports (in printed order), each port's tag and interfaces. */
export function vsctlShowTree(text: string): {bridges: ShowBridge[]; ovsVersion: string | null} {
  const bridges: ShowBridge[] = []
  let ovsVersion: string | null = null
  let bridge: ShowBridge | null = null
  let port: ShowPort | null = null
  for (const line of text.split('\n')) {
    const m = /^( *)(\S.*)$/.exec(line)
    if (!m) continue
    const depth = m[1]!.length
    const body = m[2]!
    const version = /^ovs_version: "(.*)"$/.exec(body)
    if (depth === 4 && version) ovsVersion = version[1]!
    else if (depth === 4 && body.startsWith('Bridge ')) bridges.push((bridge = {name: unquote(body.slice(7)), datapathType: null, ports: []}))
    else if (depth === 8 && bridge && body.startsWith('datapath_type: ')) bridge.datapathType = body.slice(15)
    else if (depth === 8 && bridge && body.startsWith('Port ')) bridge.ports.push((port = {name: unquote(body.slice(5)), tag: null, interfaces: []}))
    else if (depth === 12 && port && body.startsWith('tag: ')) port.tag = Number(body.slice(5))
    else if (depth === 12 && port && body.startsWith('Interface ')) port.interfaces.push(unquote(body.slice(10)))
  }
  return {bridges, ovsVersion}
}

function unquote(s: string): string {
  return s.startsWith('"') ? (JSON.parse(s) as string) : s
}
