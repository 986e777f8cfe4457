import {describe, expect, it} from 'vitest'
import {parseIperf3} from '../../src/parsers/iperf3.js'
import {Iperf3TextReader, parseIperf3Line, parseIperf3Text} from '../../src/parsers/iperf3-text.js'

const SINGLE = `Connecting to host 172.16.0.2, port 5201
[  5] local 172.16.0.1 port 41234 connected to 172.16.0.2 port 5201
[ ID] Interval           Transfer     Bitrate         Retr  Cwnd
[  5]   0.00-1.00   sec   254 MBytes  2.13 Gbits/sec    3   1.52 MBytes
[  5]   1.00-2.00   sec   255 MBytes  2.14 Gbits/sec    0   1.52 MBytes
- - - - - - - - - - - - - - - - - - - - - - - - -
[ ID] Interval           Transfer     Bitrate         Retr
[  5]   0.00-2.00   sec   509 MBytes  2.14 Gbits/sec    3             sender
[  5]   0.00-2.04   sec   508 MBytes  2.09 Gbits/sec                  receiver

iperf Done.
`

const PARALLEL = `Connecting to host 10.10.1.20, port 5201
[  5] local 10.10.1.10 port 40000 connected to 10.10.1.20 port 5201
[  7] local 10.10.1.10 port 40002 connected to 10.10.1.20 port 5201
[ ID] Interval           Transfer     Bitrate         Retr  Cwnd
[  5]   0.00-1.00   sec  50.0 MBytes   419 Mbits/sec    1    300 KBytes
[  7]   0.00-1.00   sec  60.0 MBytes   503 Mbits/sec    2    310 KBytes
[SUM]   0.00-1.00   sec   110 MBytes   922 Mbits/sec    3
`

describe('iperf3 text output', () => {
  it('reads an interval line: bytes in binary units, rate in decimal ones, retransmits', () => {
    const line = parseIperf3Line('[  5]   0.00-1.00   sec   254 MBytes  2.13 Gbits/sec    3   1.52 MBytes')
    expect(line).toEqual({kind: 'interval', interval: {start: 0, end: 1, bytes: 254 * 1024 ** 2, bitsPerSecond: 2.13e9, retransmits: 3, summary: null, sum: false}})
    expect(parseIperf3Line('iperf3: error - unable to connect to server: Connection refused')).toEqual({kind: 'error', message: 'unable to connect to server: Connection refused'})
    expect(parseIperf3Line('iperf Done.')).toBeNull()
  })

  it('streams: lines split across chunks come out once complete; the summary is kept apart', () => {
    const reader = new Iperf3TextReader()
    const half = SINGLE.indexOf('2.13 Gbits')
    expect(reader.push(SINGLE.slice(0, half))).toEqual([])
    const rest = reader.push(SINGLE.slice(half))
    expect(rest.map((iv) => iv.bitsPerSecond)).toEqual([2.13e9, 2.14e9])
    const result = reader.result()
    expect(result).toMatchObject({target: '172.16.0.2', localHost: '172.16.0.1', bitsPerSecond: 2.14e9, retransmits: 3, bytes: 509 * 1024 ** 2})
    expect(result.intervals).toHaveLength(2)
  })

  it('several streams: only the [SUM] lines count', () => {
    const reader = new Iperf3TextReader()
    const out = reader.push(PARALLEL)
    expect(out).toHaveLength(1)
    expect(out[0]).toMatchObject({sum: true, bitsPerSecond: 922e6, retransmits: 3})
  })

  it('parseIperf3 reads the text output a watch bundle saves, and still refuses an error line', () => {
    const parsed = parseIperf3(SINGLE)
    expect(parsed.ok && parsed.value.bitsPerSecond).toBe(2.14e9)
    expect(parseIperf3Text('nothing here').ok).toBe(false)
    expect(parseIperf3('iperf3: error - unable to connect to server').ok).toBe(false)
  })
})
