/** `iperf3 -J` output (client side), the load of a load window; the text output of `watch --run` too. */

import {parseIperf3Text} from './iperf3-text.js'
import type {LoadResult, ParseResult} from './types.js'
import {count, fail, guard, isRecord, num, ok, parseJson, str, warningList} from './util.js'

function get(value: unknown, ...path: Array<string | number>): unknown {
  let current = value
  for (const key of path) {
    if (typeof key === 'number') current = Array.isArray(current) ? current[key] : undefined
    else current = isRecord(current) ? current[key] : undefined
  }
  return current
}

export function parseIperf3(text: string): ParseResult<LoadResult> {
  return guard('iperf3', () => {
    if (text.trim() === '') return fail('iperf3: empty output')
    const parsed = parseJson(text)
    if (!parsed.ok) {
      // watch streams iperf3's text lines (3.12 has no --json-stream): read those when it is text.
      if (!text.trimStart().startsWith('{')) {
        const fromText = parseIperf3Text(text)
        if (fromText.ok) return fromText
      }
      return fail(`iperf3: ${parsed.error}`)
    }
    const json = parsed.value
    if (!isRecord(json)) return fail('iperf3: expected a JSON object')
    const warnings = warningList()

    const intervals: LoadResult['intervals'] = []
    const rawIntervals = get(json, 'intervals')
    for (const [i, interval] of (Array.isArray(rawIntervals) ? rawIntervals : []).entries()) {
      const sum = get(interval, 'sum')
      const start = num(get(sum, 'start'))
      const end = num(get(sum, 'end'))
      const bytes = count(get(sum, 'bytes'))
      const bitsPerSecond = count(get(sum, 'bits_per_second'))
      if (start === null || end === null || bytes === null || bitsPerSecond === null) {
        warnings.push(`interval ${i}: incomplete sum, skipped`)
        continue
      }
      intervals.push({start, end, bytes, bitsPerSecond, retransmits: count(get(sum, 'retransmits'))})
    }

    // TCP reports the sender side in end.sum_sent; UDP only has end.sum.
    const endSum = isRecord(get(json, 'end', 'sum_sent')) ? get(json, 'end', 'sum_sent') : get(json, 'end', 'sum')
    let bytes = count(get(endSum, 'bytes'))
    if (bytes === null && intervals.length > 0) {
      bytes = intervals.reduce((total, interval) => total + interval.bytes, 0)
      warnings.push('no end summary; bytes summed from the intervals')
    }
    const error = str(json.error)
    return ok(
      {
        tool: 'iperf3',
        protocol: str(get(json, 'start', 'test_start', 'protocol')),
        target: str(get(json, 'start', 'connecting_to', 'host')),
        localHost: str(get(json, 'start', 'connected', 0, 'local_host')),
        bytes,
        bitsPerSecond: count(get(endSum, 'bits_per_second')),
        retransmits: count(get(endSum, 'retransmits')),
        durationS: num(get(json, 'start', 'test_start', 'duration')),
        reverse: Boolean(get(json, 'start', 'test_start', 'reverse')),
        startedAtSecs: num(get(json, 'start', 'timestamp', 'timesecs')),
        intervals,
        error,
      },
      warnings,
    )
  })
}
