/**
 * OVSDB: `ovs-vsctl --format=json list <Table>` tables, and the text map syntax `{k=v, ...}` printed by
 * `ovs-vsctl get ... statistics|status|options|other_config`.
 */

import type {
  OvsBridge,
  OvsInterfaceRow,
  OvsOpenVswitch,
  OvsPortRow,
  OvsdbAtom,
  OvsdbDatum,
  OvsdbRow,
  ParseResult,
} from './types.js'
import {fail, guard, isRecord, ok, parseJson, warningList} from './util.js'

// ---------------------------------------------------------------- JSON tables

function isAtom(value: unknown): value is OvsdbAtom {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
}

/** A JSON atom: plain string/number/boolean, or ["uuid", u] / ["named-uuid", n]. */
function convertAtom(value: unknown): OvsdbAtom | null {
  if (isAtom(value)) return value
  if (Array.isArray(value) && value.length === 2 && (value[0] === 'uuid' || value[0] === 'named-uuid')) {
    return typeof value[1] === 'string' ? value[1] : null
  }
  return null
}

/** Converts one JSON cell; null when it is not valid OVSDB JSON. */
export function convertDatum(value: unknown): OvsdbDatum | null {
  if (Array.isArray(value) && value.length === 2 && value[0] === 'set') {
    if (!Array.isArray(value[1])) return null
    const atoms: OvsdbAtom[] = []
    for (const element of value[1]) {
      const atom = convertAtom(element)
      if (atom === null) return null
      atoms.push(atom)
    }
    return atoms
  }
  if (Array.isArray(value) && value.length === 2 && value[0] === 'map') {
    if (!Array.isArray(value[1])) return null
    const map: Record<string, OvsdbAtom> = {}
    for (const pair of value[1]) {
      if (!Array.isArray(pair) || pair.length !== 2) return null
      const key = convertAtom(pair[0])
      const val = convertAtom(pair[1])
      if (key === null || val === null) return null
      map[String(key)] = val
    }
    return map
  }
  return convertAtom(value)
}

/** Whether convertDatum would accept a cell, checked without building anything. */
function isDatum(value: unknown): boolean {
  if (Array.isArray(value) && value.length === 2 && value[0] === 'set') {
    return Array.isArray(value[1]) && value[1].every((element) => convertAtom(element) !== null)
  }
  if (Array.isArray(value) && value.length === 2 && value[0] === 'map') {
    return Array.isArray(value[1]) && value[1].every((pair) => Array.isArray(pair) && pair.length === 2 && convertAtom(pair[0]) !== null && convertAtom(pair[1]) !== null)
  }
  return convertAtom(value) !== null
}

/**
 * A table as parsed: its headings and its rows of JSON cells, each checked, not converted (a cell
 * that is not OVSDB JSON is replaced by undefined, with a warning): views convert only what they read.
 */
interface JsonTable {
  headings: string[]
  rows: unknown[][]
}

function readTable(text: string): ParseResult<JsonTable> {
  if (text.trim() === '') return fail('ovsdb: empty output')
  const parsed = parseJson(text)
  if (!parsed.ok) return fail(`ovsdb: ${parsed.error}`)
  const table = parsed.value
  if (!isRecord(table) || !Array.isArray(table.data) || !Array.isArray(table.headings)) {
    return fail('ovsdb: expected {"data": [...], "headings": [...]}')
  }
  const headings = table.headings
  if (!headings.every((h): h is string => typeof h === 'string')) return fail('ovsdb: headings are not strings')
  const warnings = warningList()
  const rows: unknown[][] = []
  for (const [i, data] of table.data.entries()) {
    if (!Array.isArray(data) || data.length !== headings.length) {
      warnings.push(`row ${i}: ${Array.isArray(data) ? data.length : 'no'} cells for ${headings.length} headings, skipped`)
      continue
    }
    for (let column = 0; column < headings.length; column++) {
      if (isDatum(data[column])) continue
      warnings.push(`row ${i}: column ${headings[column]} is not OVSDB JSON, dropped`)
      data[column] = undefined
    }
    rows.push(data)
  }
  return ok({headings, rows}, warnings)
}

export function parseOvsdbTable(text: string): ParseResult<OvsdbRow[]> {
  return guard('ovsdb', () => {
    const table = readTable(text)
    if (!table.ok) return table
    const {headings, rows} = table.value
    const converted = rows.map((data) => {
      const row: OvsdbRow = {}
      headings.forEach((heading, column) => {
        if (data[column] !== undefined) row[heading] = convertDatum(data[column])!
      })
      return row
    })
    return ok(converted, table.warnings)
  })
}

// ---------------------------------------------------------------- typed views

/**
 * Column readers, given a row's JSON cell (undefined when absent or dropped), which each converts
 * once. OVS prints a one-element set as the bare atom and an optional value ("min 0 max 1") as a set
 * of zero or one element, so each reader accepts both shapes.
 */
function toDatum(cell: unknown): OvsdbDatum | undefined {
  return cell === undefined ? undefined : (convertDatum(cell) ?? undefined)
}

function atoms(cell: unknown): OvsdbAtom[] {
  const datum = toDatum(cell)
  if (datum === undefined) return []
  if (Array.isArray(datum)) return datum
  if (isAtom(datum)) return [datum]
  return []
}

function optionalAtom(cell: unknown): OvsdbAtom | null {
  const list = atoms(cell)
  return list.length === 1 ? (list[0] ?? null) : null
}

function optionalString(cell: unknown): string | null {
  const atom = optionalAtom(cell)
  return typeof atom === 'string' ? atom : null
}

function optionalInt(cell: unknown): number | null {
  const atom = optionalAtom(cell)
  return typeof atom === 'number' && Number.isInteger(atom) ? atom : null
}

function stringList(cell: unknown): string[] {
  return atoms(cell).filter((a): a is string => typeof a === 'string')
}

/** A map column with its values as text; the converted map itself when they already are. */
function stringMap(cell: unknown): Record<string, string> {
  const datum = toDatum(cell)
  if (datum === undefined || Array.isArray(datum) || !isRecord(datum)) return {}
  if (Object.values(datum).every((v) => typeof v === 'string')) return datum as Record<string, string>
  return Object.fromEntries(Object.entries(datum).map(([k, v]) => [k, String(v)]))
}

/** A map column's numeric values; the converted map itself when they all are. */
function numberMap(cell: unknown): Record<string, number> {
  const datum = toDatum(cell)
  if (datum === undefined || Array.isArray(datum) || !isRecord(datum)) return {}
  // JSON.parse reads 1e400 as Infinity: only finite numbers are values.
  if (Object.values(datum).every((v) => typeof v === 'number' && Number.isFinite(v))) return datum as Record<string, number>
  const result: Record<string, number> = {}
  for (const [k, v] of Object.entries(datum)) if (typeof v === 'number' && Number.isFinite(v)) result[k] = v
  return result
}

/** A row's cell by heading; with a repeated heading, the last valid one (as a row object would keep). */
type Cell = (heading: string) => unknown

/** Rows of a table mapped to a typed view; rows without a uuid/name are skipped with a warning. */
function typedView<T>(
  text: string,
  table: string,
  needsName: boolean,
  view: (cell: Cell, uuid: string, name: string) => T,
): ParseResult<T[]> {
  const parsed = guard('ovsdb', () => readTable(text))
  if (!parsed.ok) return parsed
  return guard(`ovsdb ${table}`, () => {
    const warnings = [...parsed.warnings]
    const columns = new Map<string, number[]>()
    parsed.value.headings.forEach((heading, column) => columns.set(heading, [...(columns.get(heading) ?? []), column]))
    const result: T[] = []
    for (const [i, data] of parsed.value.rows.entries()) {
      const cell: Cell = (heading) => {
        const of = columns.get(heading) ?? []
        for (let k = of.length - 1; k >= 0; k--) if (data[of[k]!] !== undefined) return data[of[k]!]
        return undefined
      }
      const uuid = optionalString(cell('_uuid'))
      const name = optionalString(cell('name'))
      if (uuid === null || (needsName && name === null)) {
        warnings.push(`${table} row ${i}: no _uuid${needsName ? '/name' : ''}, skipped`)
        continue
      }
      result.push(view(cell, uuid, name ?? ''))
    }
    return ok(result, warnings)
  })
}

export function parseOpenVswitch(text: string): ParseResult<OvsOpenVswitch[]> {
  return typedView(text, 'Open_vSwitch', false, (cell, uuid) => {
    const initialized = optionalAtom(cell('dpdk_initialized'))
    return {
      uuid,
      ovsVersion: optionalString(cell('ovs_version')),
      dpdkVersion: optionalString(cell('dpdk_version')),
      dpdkInitialized: typeof initialized === 'boolean' ? initialized : null,
      dbVersion: optionalString(cell('db_version')),
      otherConfig: stringMap(cell('other_config')),
      externalIds: stringMap(cell('external_ids')),
      bridgeUuids: stringList(cell('bridges')),
      ifaceTypes: stringList(cell('iface_types')),
    }
  })
}

export function parseBridges(text: string): ParseResult<OvsBridge[]> {
  return typedView(text, 'Bridge', true, (cell, uuid, name) => ({
    uuid,
    name,
    datapathType: optionalString(cell('datapath_type')) ?? '',
    portUuids: stringList(cell('ports')),
    protocols: stringList(cell('protocols')),
    otherConfig: stringMap(cell('other_config')),
    externalIds: stringMap(cell('external_ids')),
  }))
}

export function parsePorts(text: string): ParseResult<OvsPortRow[]> {
  return typedView(text, 'Port', true, (cell, uuid, name) => ({
    uuid,
    name,
    interfaceUuids: stringList(cell('interfaces')),
    tag: optionalInt(cell('tag')),
    trunks: atoms(cell('trunks')).filter((a): a is number => typeof a === 'number' && Number.isInteger(a)),
    bondMode: optionalString(cell('bond_mode')),
    otherConfig: stringMap(cell('other_config')),
  }))
}

export function parseInterfaces(text: string): ParseResult<OvsInterfaceRow[]> {
  return typedView(text, 'Interface', true, (cell, uuid, name) => ({
    uuid,
    name,
    type: optionalString(cell('type')) ?? '',
    ofport: optionalInt(cell('ofport')),
    error: optionalString(cell('error')),
    adminState: optionalString(cell('admin_state')),
    linkState: optionalString(cell('link_state')),
    linkSpeed: optionalInt(cell('link_speed')),
    linkResets: optionalInt(cell('link_resets')),
    mtu: optionalInt(cell('mtu')),
    mtuRequest: optionalInt(cell('mtu_request')),
    macInUse: optionalString(cell('mac_in_use')),
    options: stringMap(cell('options')),
    status: stringMap(cell('status')),
    statistics: numberMap(cell('statistics')),
    otherConfig: stringMap(cell('other_config')),
    externalIds: stringMap(cell('external_ids')),
  }))
}

// ---------------------------------------------------------------- text maps {k=v, ...}

const SIMPLE_ESCAPES: Record<string, string> = {'"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t'}

/**
 * Tokenizer for OVSDB's text map syntax. Keys and values are bare words or C/JSON-style quoted
 * strings (OVS quotes anything that looks numeric, contains ", " etc., see ovsdb-data.c
 * string_needs_quotes), so commas inside quotes must not split pairs.
 */
export function parseOvsdbMap(text: string): ParseResult<Record<string, string>> {
  return guard('ovsdb map', () => {
    const src = text.trim()
    if (!src.startsWith('{')) return fail('ovsdb map: does not start with "{"')
    const result: Record<string, string> = {}
    let pos = 1

    const skipBlanks = (): void => {
      while (pos < src.length && /\s/.test(src[pos] ?? '')) pos++
    }

    /** Reads a quoted or bare token; returns null (with why) on malformed input. */
    const readToken = (stops: string): {ok: true; value: string} | {ok: false; error: string} => {
      skipBlanks()
      if (src[pos] === '"') {
        pos++
        let value = ''
        while (pos < src.length) {
          const ch = src[pos] ?? ''
          if (ch === '"') {
            pos++
            return {ok: true, value}
          }
          if (ch === '\\') {
            const next = src[pos + 1]
            if (next === undefined) break
            if (next === 'u') {
              const hex = src.slice(pos + 2, pos + 6)
              if (!/^[0-9a-fA-F]{4}$/.test(hex)) return {ok: false, error: `bad \\u escape at ${pos}`}
              value += String.fromCharCode(parseInt(hex, 16))
              pos += 6
              continue
            }
            const simple = SIMPLE_ESCAPES[next]
            if (simple === undefined) return {ok: false, error: `bad escape \\${next} at ${pos}`}
            value += simple
            pos += 2
            continue
          }
          value += ch
          pos++
        }
        return {ok: false, error: 'unterminated quoted string'}
      }
      const start = pos
      while (pos < src.length && !stops.includes(src[pos] ?? '')) pos++
      return {ok: true, value: src.slice(start, pos).trim()}
    }

    skipBlanks()
    if (src[pos] === '}') {
      pos++
    } else {
      for (;;) {
        const key = readToken('=,}')
        if (!key.ok) return fail(`ovsdb map: ${key.error}`)
        skipBlanks()
        if (src[pos] !== '=') return fail(`ovsdb map: expected "=" after key "${key.value}"`)
        pos++
        const value = readToken(',}')
        if (!value.ok) return fail(`ovsdb map: ${value.error}`)
        if (key.value === '') return fail('ovsdb map: empty key')
        result[key.value] = value.value
        skipBlanks()
        if (src[pos] === ',') {
          pos++
          continue
        }
        if (src[pos] === '}') {
          pos++
          break
        }
        return fail(pos >= src.length ? 'ovsdb map: missing closing "}"' : `ovsdb map: unexpected "${src[pos]}" at ${pos}`)
      }
    }
    skipBlanks()
    if (pos < src.length) return fail(`ovsdb map: trailing text after "}"`)
    return ok(result)
  })
}
