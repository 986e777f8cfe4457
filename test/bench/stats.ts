/** Small statistics for the bench (nearest-rank percentiles: no interpolation between runs). */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1]!
}

export const median = (values: readonly number[]) => percentile(values, 50)

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

export interface Spread {
  median: number
  p90: number
  min: number
  max: number
  n: number
}

export function spread(values: readonly number[]): Spread {
  return {
    median: round(median(values)),
    p90: round(percentile(values, 90)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
    n: values.length,
  }
}
