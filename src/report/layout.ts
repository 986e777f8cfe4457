/**
 * Text layout for reports that fit the terminal: word wrapping with a hanging indent, and tables
 * of plain aligned columns that shrink their widest column to the width (80 columns included).
 */

/** Visible length: escape sequences of the style take no columns. */
export function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001B\[[0-9;]*m/g, '').length
}

/** Words of text on lines of at most width columns; the first line starts with first, the others with rest. */
export function wrap(text: string, width: number, first = '', rest = first): string[] {
  const lines: string[] = []
  let line = first
  let empty = true
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = empty ? line + word : `${line} ${word}`
    if (!empty && visibleLength(candidate) > width) {
      lines.push(line)
      line = rest + word
    } else line = candidate
    empty = false
  }
  lines.push(line)
  return lines
}

export interface Column {
  head: string
  /** Right-aligned (numbers). */
  right?: boolean
  /** May shrink when the table is still too wide after dropping columns; the others keep their width. */
  flexible?: boolean
  /** Left out when the table is too wide, lowest first (names stay readable rather than cut). */
  drop?: number
}

/** Cut a cell to width columns, keeping its end visible (names differ in their last characters). */
function fitCell(cell: string, width: number): string {
  if (visibleLength(cell) <= width) return cell
  return width <= 1 ? cell.slice(0, width) : `${cell.slice(0, width - 1)}~`
}

/** A table as aligned columns two spaces apart, no borders, at most width columns wide. */
export function columns(allCols: Column[], allRows: string[][], width: number, bold: (s: string) => string = (s) => s): string[] {
  const keep = allCols.map((_, i) => i)
  const naturalOf = (i: number) => Math.max(visibleLength(allCols[i]!.head), ...allRows.map((r) => visibleLength(r[i] ?? '')))
  const tooWide = () => keep.reduce((sum, i) => sum + naturalOf(i) + 2, 0) > width
  const droppable = allCols.map((c, i) => ({i, drop: c.drop})).filter((c) => c.drop !== undefined).sort((a, b) => a.drop! - b.drop!)
  for (const {i} of droppable) {
    if (!tooWide()) break
    keep.splice(keep.indexOf(i), 1)
  }
  const cols = keep.map((i) => allCols[i]!)
  const rows = allRows.map((r) => keep.map((i) => r[i] ?? ''))
  const natural = cols.map((c, i) => Math.max(visibleLength(c.head), ...rows.map((r) => visibleLength(r[i] ?? ''))))
  const gaps = 2 * (cols.length - 1) + 2
  const widths = [...natural]
  let excess = widths.reduce((a, b) => a + b, 0) + gaps - width
  // Shrink the widest flexible column first, down to its header's width.
  while (excess > 0) {
    const candidates = cols.map((c, i) => i).filter((i) => cols[i]!.flexible && widths[i]! > Math.max(6, visibleLength(cols[i]!.head)))
    if (candidates.length === 0) break
    const widest = candidates.reduce((a, b) => (widths[b]! > widths[a]! ? b : a))
    widths[widest]!--
    excess--
  }
  const pad = (s: string, i: number) => {
    const cell = fitCell(s, widths[i]!)
    const fill = ' '.repeat(Math.max(0, widths[i]! - visibleLength(cell)))
    return cols[i]!.right ? fill + cell : cell + fill
  }
  const line = (cells: string[]) => `  ${cells.map((c, i) => pad(c, i)).join('  ')}`.trimEnd()
  return [bold(line(cols.map((c) => c.head))), ...rows.map(line)]
}

/** The width to lay out for: the terminal's, else $COLUMNS, else undefined (the report's default). */
export function outputWidth(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (stream.isTTY && stream.columns) return stream.columns
  const fromEnv = Number(env.COLUMNS)
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : undefined
}
