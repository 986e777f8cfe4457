/**
 * `ovs-vsctl list <Table>` in its default text format (what sosreports hold), as OVSDB's text
 * encoding writes it (lib/ovsdb-data.c): one "column : datum" line per column, records separated by
 * a blank line; sets `[a, b]`, maps `{k=v, ...}`, strings bare or double-quoted with JSON escapes.
 * An optional column (min 0, max 1) prints as `[]` when empty and as the bare atom when set.
 *
 * The text is turned into the JSON table `--format=json` prints ({headings, data}) and read by the
 * JSON table parsers, so both forms yield the same typed records.
 */
import {parseBridges, parseInterfaces, parseOpenVswitch, parsePorts} from './ovsdb.js'
import type {OvsBridge, OvsInterfaceRow, OvsOpenVswitch, OvsPortRow, ParseResult} from './types.js'
import {fail, guard} from './util.js'

type JsonAtom = string | number | boolean | ['uuid', string]
type JsonDatum = JsonAtom | ['set', JsonAtom[]] | ['map', Array<[JsonAtom, JsonAtom]>]

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** Leading zeros mean a string (older OVS left "0000000000000001" unquoted). */
const INTEGER = /^-?(0|[1-9][0-9]*)$/
const REAL = /^-?[0-9]+\.[0-9]+([eE][-+]?[0-9]+)?$/
const ESCAPES: Record<string, string> = {'"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t'}

/** Reads one datum's text; throws with where it went wrong (guard turns it into a failure). */
class DatumReader {
  private pos = 0
  constructor(private readonly src: string) {}

  read(): JsonDatum {
    this.blanks()
    let datum: JsonDatum
    if (this.src[this.pos] === '[') datum = ['set', this.list(']', () => this.atom())]
    else if (this.src[this.pos] === '{') {
      datum = ['map', this.list('}', () => {
        const key = this.atom()
        this.blanks()
        if (this.src[this.pos] !== '=') throw new Error(`expected "=" at ${this.pos}`)
        this.pos++
        return [key, this.atom()] as [JsonAtom, JsonAtom]
      })]
    } else datum = this.atom()
    this.blanks()
    if (this.pos < this.src.length) throw new Error(`trailing text at ${this.pos}`)
    return datum
  }

  private blanks(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++
  }

  private list<T>(close: string, item: () => T): T[] {
    this.pos++
    const items: T[] = []
    this.blanks()
    if (this.src[this.pos] === close) {
      this.pos++
      return items
    }
    for (;;) {
      items.push(item())
      this.blanks()
      const ch = this.src[this.pos]
      this.pos++
      if (ch === ',') continue
      if (ch === close) return items
      throw new Error(ch === undefined ? `missing "${close}"` : `unexpected "${ch}" at ${this.pos - 1}`)
    }
  }

  private atom(): JsonAtom {
    this.blanks()
    if (this.src[this.pos] === '"') return this.quoted()
    const start = this.pos
    while (this.pos < this.src.length && !/[\s,=\]}[{]/.test(this.src[this.pos]!)) this.pos++
    const word = this.src.slice(start, this.pos)
    if (word === '') throw new Error(`empty atom at ${start}`)
    if (word === 'true' || word === 'false') return word === 'true'
    if (UUID.test(word)) return ['uuid', word]
    // OVS quotes any string that would read as a number, so a bare number is one.
    if (INTEGER.test(word) || REAL.test(word)) return Number(word)
    return word
  }

  private quoted(): string {
    this.pos++
    let value = ''
    while (this.pos < this.src.length) {
      const ch = this.src[this.pos]!
      if (ch === '"') {
        this.pos++
        return value
      }
      if (ch === '\\') {
        const next = this.src[this.pos + 1]
        if (next === 'u') {
          const hex = this.src.slice(this.pos + 2, this.pos + 6)
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Error(`bad \\u escape at ${this.pos}`)
          value += String.fromCharCode(parseInt(hex, 16))
          this.pos += 6
          continue
        }
        const simple = next === undefined ? undefined : ESCAPES[next]
        if (simple === undefined) throw new Error(`bad escape at ${this.pos}`)
        value += simple
        this.pos += 2
        continue
      }
      value += ch
      this.pos++
    }
    throw new Error('unterminated quoted string')
  }
}

/** One datum in OVSDB text encoding, as the JSON `--format=json` would print it. */
export function ovsdbTextDatumToJson(text: string): JsonDatum {
  return new DatumReader(text).read()
}

/**
 * The records of a text listing as the JSON table ({"data", "headings"}); the headings are the first
 * record's columns. A record whose columns differ from the first one's is a failure (ovs-vsctl prints
 * every column of every record).
 */
export function ovsdbListTextToJson(text: string): ParseResult<string> {
  return guard('ovsdb text', () => {
    if (text.trim() === '') return fail('ovsdb text: empty output')
    const records: Array<Array<[string, string]>> = []
    let current: Array<[string, string]> = []
    for (const [n, line] of text.split('\n').entries()) {
      if (line.trim() === '') {
        if (current.length > 0) records.push(current)
        current = []
        continue
      }
      const colon = line.indexOf(':')
      if (colon <= 0) return fail(`ovsdb text: line ${n + 1} is not "column : value"`)
      current.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()])
    }
    if (current.length > 0) records.push(current)
    const headings = records[0]!.map(([column]) => column)
    const data: JsonDatum[][] = []
    for (const [i, record] of records.entries()) {
      const columns = record.map(([column]) => column)
      if (columns.join('\u0000') !== headings.join('\u0000')) return fail(`ovsdb text: record ${i} has other columns than the first`)
      const row: JsonDatum[] = []
      for (const [column, value] of record) {
        try {
          row.push(ovsdbTextDatumToJson(value))
        } catch (error) {
          return fail(`ovsdb text: record ${i} column ${column}: ${(error as Error).message}`)
        }
      }
      data.push(row)
    }
    return {ok: true, value: JSON.stringify({data, headings}), warnings: []}
  })
}

function viaJson<T>(text: string, parse: (json: string) => ParseResult<T>): ParseResult<T> {
  const json = ovsdbListTextToJson(text)
  return json.ok ? parse(json.value) : json
}

export const parseOpenVswitchText = (text: string): ParseResult<OvsOpenVswitch[]> => viaJson(text, parseOpenVswitch)
export const parseBridgesText = (text: string): ParseResult<OvsBridge[]> => viaJson(text, parseBridges)
export const parsePortsText = (text: string): ParseResult<OvsPortRow[]> => viaJson(text, parsePorts)
export const parseInterfacesText = (text: string): ParseResult<OvsInterfaceRow[]> => viaJson(text, parseInterfaces)

/** Whether an OVSDB table output is the text listing (JSON starts with "{"). */
export function isOvsdbListText(text: string): boolean {
  return /^\s*_uuid\s*:/.test(text)
}
