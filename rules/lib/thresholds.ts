/** Threshold lookup: the engine merges meta.thresholds with overrides, so a miss is a rule bug. */
export function threshold(thresholds: Record<string, number>, name: string): number {
  const value = thresholds[name]
  if (value === undefined) throw new Error(`threshold "${name}" is not declared in meta.thresholds`)
  return value
}

