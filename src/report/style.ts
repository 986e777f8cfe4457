/**
 * Colour only when a human is watching: stdout is a TTY, and neither NO_COLOR, TERM=dumb,
 * FORCE_COLOR=0 nor --no-color says otherwise.
 */
export interface Style {
  enabled: boolean
  bold(s: string): string
  dim(s: string): string
  red(s: string): string
  yellow(s: string): string
  green(s: string): string
  cyan(s: string): string
}

export function colorWanted(stream: NodeJS.WriteStream, noColorFlag: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (noColorFlag) return false
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.TERM === 'dumb' || env.FORCE_COLOR === '0') return false
  return Boolean(stream.isTTY)
}

export function makeStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (s: string) => (enabled ? `\u001B[${open}m${s}\u001B[${close}m` : s)
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    green: wrap(32, 39),
    cyan: wrap(36, 39),
  }
}
