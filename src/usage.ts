/**
 * Usage lines that tell the truth about the flags: flags in one `[a | b]` group exclude each other
 * pairwise, flags side by side can be combined, and a mode flag (`--from`) gets its own line with
 * only the flags that go with it. oclif's own usage groups every flag a flag excludes, so it showed
 * diagnose's live flags as alternatives of each other.
 */

export interface UsageFlag {
  type: 'boolean' | 'option'
  char?: string
  exclusive?: string[]
  required?: boolean
  multiple?: boolean
  hidden?: boolean
}

export interface UsageArg {
  required?: boolean
}

/** The flags a --json command has from the base class and oclif. */
export const GLOBAL_USAGE = '[--json] [--no-color] [--verbose]'
export const GLOBAL_FLAGS = ['json', 'no-color', 'verbose', 'help']

export function excludes(flags: Record<string, UsageFlag>, a: string, b: string): boolean {
  return Boolean(flags[a]?.exclusive?.includes(b) || flags[b]?.exclusive?.includes(a))
}

function token(name: string, flag: UsageFlag): string {
  return `--${name}${flag.type === 'option' ? ' <value>' : ''}${flag.multiple ? '...' : ''}`
}

/** The flags as groups of pairwise exclusive flags, in declaration order. */
export function groups(flags: Record<string, UsageFlag>, names: string[]): string[][] {
  const out: string[][] = []
  const placed = new Set<string>()
  for (const name of names) {
    if (placed.has(name)) continue
    const group = [name]
    placed.add(name)
    for (const other of names) {
      if (placed.has(other) || flags[other]!.required) continue
      if (group.every((g) => excludes(flags, g, other))) {
        group.push(other)
        placed.add(other)
      }
    }
    out.push(group)
  }
  return out
}

function line(flags: Record<string, UsageFlag>, names: string[]): string {
  return groups(flags, names)
    .map((g) => (g.length === 1 && flags[g[0]!]!.required ? token(g[0]!, flags[g[0]!]!) : `[${g.map((n) => token(n, flags[n]!)).join(' | ')}]`))
    .join(' ')
}

/**
 * The usage lines of a command. With mode, the flag that switches the command to another input
 * (--from) gets a line of its own with the flags it allows; the first line holds the others.
 */
export function usageLines(
  id: string,
  flags: Record<string, UsageFlag> = {},
  opts: {args?: Record<string, UsageArg>; mode?: string; extra?: string[]; lines?: Array<{lead: string; flags: string[]}>} = {},
): string[] {
  // Modes the flags' declarations cannot express (fix --apply, --confirm ID): each line lists its flags.
  if (opts.lines) return opts.lines.map((l) => `${id} ${l.lead} ${line(flags, l.flags)} ${GLOBAL_USAGE}`.replace(/\s+/g, ' ').trim())
  const names = Object.keys(flags).filter((n) => !flags[n]!.hidden && !GLOBAL_FLAGS.includes(n))
  const args = Object.entries(opts.args ?? {}).map(([n, a]) => (a.required ? n.toUpperCase() : `[${n.toUpperCase()}]`))
  const head = [id, ...args].join(' ')
  if (!opts.mode) return [`${head} ${line(flags, names)} ${GLOBAL_USAGE}`.replace(/\s+/g, ' ').trim(), ...(opts.extra ?? [])]
  const mode = opts.mode
  const others = names.filter((n) => n !== mode)
  const withMode = others.filter((n) => !excludes(flags, mode, n))
  return [
    `${head} ${line(flags, others)} ${GLOBAL_USAGE}`.replace(/\s+/g, ' ').trim(),
    ...(opts.extra ?? []),
    `${head} ${token(mode, flags[mode]!)} ${line(flags, withMode)} ${GLOBAL_USAGE}`.replace(/\s+/g, ' ').trim(),
  ]
}
