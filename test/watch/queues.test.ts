/**
 * Per-queue rates for watch: the counters in OVSDB Interface:statistics (real rows from the lab's
 * QEMU guest, 2 queue pairs, one PMD: vhost Tx queue 0 unused), rates between refreshes of the
 * statistics (every 5 s, not every tick), and ovsdb-server's socket spoken to directly.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import type {Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {OvsdbClient} from '../../src/exec/ovsdb-client.js'
import {JsonStreamSplitter} from '../../src/exec/unixctl.js'
import {jsonLine} from '../../src/watch/format.js'
import {QueueRates, queueCountersOf, queueReadingOfRows, rowsOfVsctlJson} from '../../src/watch/queues.js'
import type {QueueReading} from '../../src/watch/queues.js'
import {FIXED, frameOf} from './helpers.js'

// `ovs-vsctl --format=json list Interface` of the lab's QEMU guest (issue-13lab's
// lab-fixed-qemu-tso-off bundle): its before and final samples, 12.588 s apart.
const BEFORE = readFileSync('test/watch/data/qemu-interface-before.json', 'utf8')
const FINAL = readFileSync('test/watch/data/qemu-interface-during-11.json', 'utf8')
const T_BEFORE = Date.parse('2026-12-02T14:51:49.152Z')
const T_FINAL = Date.parse('2026-12-02T14:52:01.740Z')
const DT = (T_FINAL - T_BEFORE) / 1000

const tmp = mkdtempSync(join(tmpdir(), 'dd-watch-queues-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

describe('per-queue counters from Interface:statistics', () => {
  it('vhost xstats (rx_qN_good_*) and DPDK NIC counters (rx_qN_*) per queue; the internal port has none', () => {
    const reading = queueReadingOfRows(T_BEFORE, rowsOfVsctlJson(BEFORE))
    expect([...reading.ports.keys()].sort()).toEqual(['dpdk0', 'vhost-user1'])
    const vhost = reading.ports.get('vhost-user1')!
    expect(vhost.class).toBe('vhost')
    expect([...vhost.queues.keys()].sort()).toEqual([0, 1])
    expect(vhost.queues.get(1)).toEqual({rxPackets: 19613, txPackets: 3175, rxBytes: 29601065, txBytes: 207444})
    const nic = reading.ports.get('dpdk0')!
    expect(nic.class).toBe('dpdk')
    expect(nic.queues.get(0)).toEqual({rxPackets: 3269, txPackets: 44443, rxBytes: 212520, txBytes: 67148741})
  })

  it('size buckets, notifications and errors are not packet counters', () => {
    const queues = queueCountersOf({rx_q0_size_64_packets: 9, rx_q0_guest_notifications: 3, rx_q0_errors: 1, tx_q2_good_packets: 5})
    expect([...queues.entries()]).toEqual([[2, {rxPackets: null, txPackets: 5, rxBytes: null, txBytes: null}]])
  })
})

describe('QueueRates', () => {
  it('the lab guest between its two snapshots: both rx queues move, vhost Tx queue 0 carries nothing', () => {
    const rates = new QueueRates()
    rates.add(queueReadingOfRows(T_BEFORE, rowsOfVsctlJson(BEFORE)))
    expect(rates.rows().every((r) => r.rxPps === null && r.txPps === null)).toBe(true)
    rates.add(queueReadingOfRows(T_FINAL, rowsOfVsctlJson(FINAL)))
    const row = (port: string, queue: number) => rates.rows().find((r) => r.port === port && r.queue === queue)!
    expect(rates.rows().map((r) => `${r.port} q${r.queue}`)).toEqual(['dpdk0 q0', 'vhost-user1 q0', 'vhost-user1 q1'])
    expect(row('vhost-user1', 0).rxPps).toBeCloseTo((53897 - 24830) / DT, 6)
    expect(row('vhost-user1', 1).rxPps).toBeCloseTo((48865 - 19613) / DT, 6)
    expect(row('vhost-user1', 0).txPps).toBe(0)
    expect(row('vhost-user1', 1).txPps).toBeCloseTo((8036 - 3175) / DT, 6)
    expect(row('vhost-user1', 1).txMbps).toBeCloseTo(((528298 - 207444) * 8) / DT / 1e6, 6)
    expect(row('dpdk0', 0).txPps).toBeCloseTo((102762 - 44443) / DT, 6)
  })

  const reading = (t: number, rx: number, tx = 0): QueueReading => ({
    t,
    ports: new Map([['vhost-user1', {class: 'vhost', queues: new Map([[0, {rxPackets: rx, txPackets: tx, rxBytes: null, txBytes: null}]])}]]),
  })

  it('ticks every second, statistics refreshed every 5 s: the rate is per refresh, not 0 or five times it', () => {
    const rates = new QueueRates()
    const t0 = 1_000_000
    // 1000 pkt/s, seen as 5000 more at each refresh (t0+5 s, t0+10 s), unchanged in between.
    for (let s = 0; s <= 12; s++) rates.add(reading(t0 + s * 1000, 5000 * Math.floor(s / 5)))
    const q0 = rates.rows()[0]!
    expect(q0.rxPps).toBe(1000)
    expect(q0.txPps).toBe(0)
    expect(q0.rxMbps).toBeNull() // no byte counters on this port
  })

  it('counters that stand still for twice the span between refreshes read 0 (the traffic stopped)', () => {
    const rates = new QueueRates()
    rates.add(reading(0, 0))
    rates.add(reading(5000, 5000))
    rates.add(reading(15000, 5000))
    expect(rates.rows()[0]!.rxPps).toBe(1000)
    rates.add(reading(15001, 5000))
    expect(rates.rows()[0]!.rxPps).toBe(0)
  })

  it('a counter reset (port re-added) counts from zero; a port deleted from OVSDB goes away', () => {
    const rates = new QueueRates()
    rates.add(reading(0, 900_000))
    rates.add(reading(5000, 2500))
    expect(rates.rows()[0]!.rxPps).toBe(500)
    rates.add({t: 6000, ports: new Map()})
    expect(rates.rows()).toEqual([])
  })
})

describe('--json lines', () => {
  it('carry the per-queue rates of a replayed bundle (its two snapshots\' statistics)', () => {
    const line = JSON.parse(jsonLine(frameOf(FIXED), [])) as {queues: {port: string; queue: number; rxPps: number | null; txPps: number | null}[]}
    // lab-fixed-huge-load: vhost-user1 q0 rx 269,923 packets over the 8.708 s between its snapshots.
    expect(line.queues.find((q) => q.port === 'vhost-user1' && q.queue === 0)?.rxPps).toBeCloseTo(269923 / 8.708, 0)
    expect(line.queues.map((q) => q.port).sort()).toEqual(['dpdk0', 'vhost-user1'])
  })
})

describe('OvsdbClient', () => {
  /** A stand-in ovsdb-server: answers transact with the lab's Interface rows, and sends an echo first. */
  async function fakeServer(path: string, reply: (request: {id: number; method: string; params: unknown[]}) => unknown): Promise<{server: Server; echoes: unknown[]}> {
    const echoes: unknown[] = []
    const server = createServer((socket) => {
      socket.write(JSON.stringify({id: 'echo', method: 'echo', params: []}))
      const splitter = new JsonStreamSplitter()
      socket.on('data', (data) => {
        for (const text of splitter.push(data.toString())) {
          const message = JSON.parse(text) as {id: number | string; method?: string; params: unknown[]; result?: unknown}
          if (message.id === 'echo') echoes.push(message.result)
          else socket.write(JSON.stringify(reply(message as {id: number; method: string; params: unknown[]})))
        }
      })
    })
    await new Promise<void>((resolve) => server.listen(path, resolve))
    return {server, echoes}
  }

  it('selects name, type and statistics of every Interface over db.sock and answers the inactivity probe', async () => {
    const path = join(tmp, 'db.sock')
    const table = JSON.parse(FINAL) as {headings: string[]; data: unknown[][]}
    const rows = rowsOfVsctlJson(FINAL).map((r) => ({name: r['name'], type: r['type'], statistics: r['statistics']}))
    const requests: unknown[] = []
    const {server, echoes} = await fakeServer(path, (req) => {
      requests.push(req.params)
      return {id: req.id, result: [{rows}], error: null}
    })
    const client = new OvsdbClient(() => path)
    try {
      const got = await client.select('Interface', ['name', 'type', 'statistics'], {timeoutMs: 5000})
      expect(requests).toEqual([['Open_vSwitch', {op: 'select', table: 'Interface', where: [], columns: ['name', 'type', 'statistics']}]])
      expect(got.length).toBe(table.data.length)
      const reading = queueReadingOfRows(T_FINAL, got)
      expect(reading.ports.get('vhost-user1')!.queues.get(1)!.txPackets).toBe(8036)
      // A second request on the same connection.
      expect((await client.select('Interface', ['name'], {timeoutMs: 5000})).length).toBe(table.data.length)
      expect(echoes).toEqual([[]])
    } finally {
      client.close()
      server.close()
    }
  })

  it('an OVSDB error is an error, and no server is a connect error', async () => {
    const path = join(tmp, 'db-err.sock')
    const {server} = await fakeServer(path, (req) => ({id: req.id, result: [{error: 'unknown table', details: 'No table named Interface'}], error: null}))
    const client = new OvsdbClient(() => path)
    try {
      await expect(client.select('Interface', ['name'], {timeoutMs: 5000})).rejects.toThrow(/unknown table/)
    } finally {
      client.close()
      server.close()
    }
    const none = new OvsdbClient(() => join(tmp, 'absent.sock'))
    await expect(none.select('Interface', ['name'], {timeoutMs: 5000})).rejects.toMatchObject({kind: 'connect'})
  })
})
