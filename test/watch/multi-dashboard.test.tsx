/**
 * The two-host dashboard's frame (ink-testing-library), from the two-host lab's recorded bundle
 * (host0 FIXED, host1 BROKEN): the side lines first, the wire between the DPDK ports and the
 * cross-host finding, then each host's section; within 120 columns; a host that stopped
 * answering shows its status in its section while the other's rows stay.
 */
import {EventEmitter} from 'node:events'
import {render as inkRender} from 'ink'
import type {ReactElement} from 'react'
import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import {MultiWatch} from '../../src/watch/multi.js'
import type {MultiFrame} from '../../src/watch/multi.js'
import {MultiDashboard} from '../../src/watch/ui/multi.js'
import {RecordedSource, rowOf, TWO_HOST} from './helpers.js'

const host0 = readCapture(`${TWO_HOST}/host0`)
const host1 = readCapture(`${TWO_HOST}/host1`)

async function frameAfter(ticks: number, host1FailsFrom = Infinity): Promise<MultiFrame> {
  const watch = new MultiWatch({
    hosts: [
      {name: 'lab-host0', host: host0.manifest.host, source: new RecordedSource(host0.samples), status: 'ok', failure: null, probe: null},
      {name: 'lab-host1', host: host1.manifest.host, source: new RecordedSource(host1.samples, host1FailsFrom), status: 'ok', failure: null, probe: null},
    ],
    runner: {run: () => Promise.reject(new Error('no command runs here'))},
    load: null,
    loadTimeoutMs: 60_000,
    durationMs: null,
    tickBudgetMs: 5000,
  })
  const signal = new AbortController().signal
  for (let i = 0; i < ticks; i++) await watch.sampleOnce(signal)
  return watch.getSnapshot()
}

/** ink-testing-library's terminal is 100 columns: this one is as wide as asked (debug mode writes whole frames). */
function renderAt(columns: number, tree: ReactElement): string {
  const stdout = Object.assign(new EventEmitter(), {columns, rows: 60, isTTY: false, frames: [] as string[], write(frame: string) {
    stdout.frames.push(frame)
    return true
  }})
  const stdin = Object.assign(new EventEmitter(), {isTTY: false, setEncoding() {}, setRawMode() {}, resume() {}, pause() {}, ref() {}, unref() {}, read: () => null})
  const instance = inkRender(tree, {stdout: stdout as never, stdin: stdin as never, debug: true, exitOnCtrlC: false, patchConsole: false})
  instance.unmount()
  // Under CI=true ink ends with a bare newline at unmount: the frame is the last one with content.
  return stdout.frames.filter((frame) => frame.trim() !== '').at(-1) ?? ''
}

describe('MultiDashboard', () => {
  it('the sides first, then the wire and the cross-host finding, then each host\'s section, in 120 columns', async () => {
    const out = renderAt(120, <MultiDashboard frame={await frameAfter(5)} columns={120} paused={false} interactive />)
    const lines = out.split('\n')
    expect(lines[0]).toMatch(/^dpdk-doctor watch {2}2 hosts {2}\(tick 5, \d+ s\)$/)
    expect(lines[1]!.trim()).toBe('lab-host0: FAST PATH')
    expect(lines[2]!.trim()).toBe('lab-host1: KERNEL PATH via ovsbr0 -> enp65s0f0np0')
    expect(lines[3]).toMatch(/^wire: lab-host0 dpdk0 tx \S+ pkt\/s \S+ Mbit\/s -> lab-host1 dpdk0 rx \S+ pkt\/s \S+ Mbit\/s \(gap \d+\.\d %\)$/)
    expect(lines[4]).toMatch(/^wire: lab-host1 dpdk0 tx /)
    // The rule's message, cut to the terminal (the summary and diagnose have it whole).
    expect(out).toMatch(/^cross: cross-wire-accounting: CRITICAL lab-host0's DPDK port sent \S+ MB but lab-host1's received 0 B: /m)
    const s0 = lines.indexOf('== lab-host0 ==')
    const s1 = lines.indexOf('== lab-host1 ==')
    expect(s0).toBeGreaterThan(4)
    expect(s1).toBeGreaterThan(s0)
    // Each section: its banner, its port rows, its PMD line, its findings.
    const first = lines.slice(s0, s1).join('\n')
    const second = lines.slice(s1).join('\n')
    expect(first).toContain(' FAST PATH ')
    expect(rowOf(first, 'dpdk0')).toMatch(/^dpdk0\s+dpdk\s/)
    expect(first).toMatch(/PMD core \d+ numa \d+: busy/)
    expect(second).toContain(' KERNEL PATH ')
    expect(second).toMatch(/critical\s+\S+/)
    expect(rowOf(second, 'enp65s0f0np0')).toMatch(/kern-nic/)
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(119)
  })

  it('lab-host1 stops answering: its section says so, lab-host0\'s rows stay', async () => {
    const out = render(<MultiDashboard frame={await frameAfter(5, 3)} columns={100} paused={false} interactive={false} />).lastFrame()!
    expect(out).toMatch(/^ lab-host1: UNREACHABLE \(ssh: connect to host 10\.0\.0\.9 port 22: Connection refused\)$/m)
    expect(out).toMatch(/^== lab-host1 \(unreachable since \d+ s\) ==$/m)
    expect(out).toMatch(/^ UNREACHABLE: ssh: connect to host 10\.0\.0\.9 port 22: Connection refused$/m)
    expect(out).toContain('wire: (waiting for an interval on both hosts)')
    expect(out).toMatch(/cross: cross-wire-accounting: unknown \(a side is missing: lab-host1 is unreachable\)/)
    expect(out).toContain('== lab-host0 ==')
    expect(rowOf(out, 'dpdk0')).toMatch(/^dpdk0\s+dpdk\s/)
    expect(out).toContain('Ctrl-C to stop')
  })
})
