/**
 * The dashboard's components over recorded samples (ink-testing-library): the verdict, the
 * per-port rates, the sparklines, a narrow terminal; and the whole App replaying a bundle, with
 * its keys.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {render} from 'ink-testing-library'
import {afterAll, describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import {analyse} from '../../src/diagnose/analyse.js'
import {sparkline} from '../../src/watch/format.js'
import {createWatch} from '../../src/watch/service.js'
import {App} from '../../src/watch/ui/App.js'
import {Dashboard, ErrorBoundary, LimitLine, PortTable} from '../../src/watch/ui/components.js'
import {BROKEN, FIXED, frameOf, rowOf, waitFor} from './helpers.js'

const tmp = mkdtempSync(join(tmpdir(), 'dd-watch-ui-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

const props = {columns: 100, paused: false, showFix: false, interactive: true}

describe('Dashboard over recorded samples', () => {
  it('broken host: KERNEL PATH, the kernel NIC and the bridge port carry the load, dpdk0 idle', () => {
    const {lastFrame} = render(<Dashboard frame={frameOf(BROKEN)} {...props} />)
    const out = lastFrame()!
    expect(out).toContain('KERNEL PATH')
    expect(out).toContain('Traffic is bypassing DPDK: VM -> ovsbr0 (kernel) -> enp65s0f0np0')
    expect(out).toContain('OVS 3.1.0')
    expect(out).toContain('bridge ovsbr0 (netdev)')
    // rx/tx packet/s, rx/tx Mbit/s over the bundle's interval (8.25 s).
    expect(rowOf(out, 'enp65s0f0np0')).toMatch(/kern-nic\s+14\.3k\s+42\.6k\s+8\.0\s+516\.4/)
    expect(rowOf(out, 'dpdk0')).toMatch(/dpdk\s+0\s+0\s+0\.0\s+0\.0/)
    expect(out).toMatch(/PMD core 1 numa 0: busy 49 %/)
    expect(out).toContain('main thread (kernel side of the bridge): 14.3k pkt/s')
    // Findings as they fired, in the log region.
    expect(out).toMatch(/critical\s+kernel-nic-carries-load enp65s0f0np0/)
  })

  it('fixed host: FAST PATH through dpdk0, the kernel NIC silent', () => {
    const {lastFrame} = render(<Dashboard frame={frameOf(FIXED)} {...props} />)
    const out = lastFrame()!
    expect(out).toContain('FAST PATH')
    expect(out).toContain('DPDK fast path: all load through dpdk0')
    // The testpmd "VM" negotiates no offloads: the missing TSO does not limit it, so no second-layer line.
    expect(out).not.toMatch(/limited by/)
    // dpdk0's dpctl/show -s counters over the 8.71 s interval: rx 272,957 pkt, tx 810,601 pkt.
    expect(rowOf(out, 'dpdk0')).toMatch(/dpdk\s+31\.3k\s+93\.1k\s+16\.6\s+1127\.5/)
    expect(rowOf(out, 'enp65s0f0np0')).toMatch(/kern-nic\s+0\s+0\s+0\.0\s+0\.0/)
    expect(out).not.toMatch(/critical/)
  })

  it('sparklines: one bar per interval, scaled to the port\'s own peak; an idle port stays blank', () => {
    const out = render(<Dashboard frame={frameOf(BROKEN)} {...props} />).lastFrame()!
    expect(rowOf(out, 'enp65s0f0np0').trimEnd().endsWith('█')).toBe(true)
    expect(rowOf(out, 'dpdk0')).not.toMatch(/[▁-█]/)
    // 30 cells of 2 s: the whole minute from 103 columns on; at 100 the header says what fits.
    expect(out).toContain('last 54 s')
    const wide = render(<Dashboard frame={frameOf(BROKEN)} {...props} columns={120} />).lastFrame()!
    expect(wide).toContain('last 60 s')
    expect(rowOf(wide, 'enp65s0f0np0').trimEnd()).toMatch(/ {2}[ ▁-█]{30}$/)
    expect(sparkline([0, 10, 20, 40, 80], 5)).toBe(' ▂▃▅█')
    expect(sparkline([5], 4)).toBe('   █')
    const rows = [{name: 'dpdk0', class: 'dpdk' as const, detail: 'dpdk', rxPps: 1, txPps: 1, rxMbps: 1, txMbps: 1, dropsPerSec: 0, history: [0, 10, 20, 40, 80]}]
    expect(render(<PortTable rows={rows} columns={100} />).lastFrame()).toContain(' ▂▃▅█')
  })

  it('a terminal narrower than 80 columns: no sparkline column, short headings, still the verdict and the rates', () => {
    const out = render(<Dashboard frame={frameOf(BROKEN)} {...props} columns={60} />).lastFrame()!
    expect(out).toContain('KERNEL PATH')
    expect(out).not.toContain('last 60 s')
    expect(out).toContain('rx pps')
    expect(rowOf(out, 'enp65s0f0np0')).toMatch(/516\.4/)
    for (const line of out.split('\n').filter((l) => l.startsWith('port') || l.startsWith('dpdk0'))) expect(line.length).toBeLessThanOrEqual(60)
  })

  it.each([80, 79, 60])('at %i columns no line wraps (header, verdict, column titles) and the kernel NIC keeps its name', (columns) => {
    const out = render(<Dashboard frame={frameOf(BROKEN)} {...props} columns={columns} />).lastFrame()!
    for (const line of out.split('\n')) expect(line.length, line).toBeLessThan(columns)
    const lines = out.split('\n')
    expect(lines.find((l) => l.startsWith('dpdk-doctor watch'))).toMatch(/host lab-host0/)
    expect(lines.find((l) => l.includes('KERNEL PATH'))).toMatch(/Traffic is bypassing DPDK/)
    expect(rowOf(out, 'enp65s0f0np0')).toMatch(/516\.4/)
  })

  it('the fix plan lists the findings\' fix lines', () => {
    const frame = frameOf(BROKEN)
    const out = render(<Dashboard frame={frame} {...props} showFix />).lastFrame()!
    expect(out).toContain('Fix plan')
    expect(frame.fix.length).toBeGreaterThan(0)
    expect(out).toContain('ip addr del')
  })

  it('an error boundary shows a render error instead of crashing', () => {
    const Boom = (): never => {
      throw new Error('bad frame')
    }
    const original = console.error
    console.error = () => {}
    try {
      expect(render(<ErrorBoundary><Boom /></ErrorBoundary>).lastFrame()).toContain('dashboard error: bad frame')
    } finally {
      console.error = original
    }
  })
})

describe('LimitLine', () => {
  it('per-queue rows: under their port only when asked, "…" until two refreshes, "-" for counters a port lacks', () => {
    const rows = frameOf(FIXED).ports
    const queues = [
      {port: 'vhost-user1', queue: 0, rxPps: 2000, txPps: 0, rxMbps: 24.5, txMbps: 0},
      {port: 'vhost-user1', queue: 1, rxPps: 1500, txPps: 12_000, rxMbps: null, txMbps: null},
      {port: 'dpdk0', queue: 0, rxPps: null, txPps: null, rxMbps: null, txMbps: null},
    ]
    const without = render(<PortTable rows={rows} columns={100} />).lastFrame()!
    expect(without).not.toMatch(/^\s+q0/m)
    const out = render(<PortTable rows={rows} columns={100} queues={queues} />).lastFrame()!
    const lines = out.split('\n')
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix))
    // Each queue's row right under its port's row, in order.
    expect(lines[at('vhost-user1') + 1]).toMatch(/^ {2}q0\s+queue\s+2000\s+0\s+24\.5\s+0\.0$/)
    expect(lines[at('vhost-user1') + 2]).toMatch(/^ {2}q1\s+queue\s+1500\s+12\.0k\s+-\s+-$/)
    expect(lines[at('dpdk0') + 1]).toMatch(/^ {2}q0\s+queue\s+…\s+…\s+…\s+…$/)
    expect(lines[at('ovsbr0') + 1]).not.toMatch(/^ {2}q\d/)
    expect(render(<PortTable rows={rows} columns={100} queues={[]} />).lastFrame()).toContain('(no per-queue counters')
  })

  it('names every limit, nothing without limits, and is cut to the terminal with ~', () => {
    expect(render(<LimitLine limits={['guest TSO off (host setting)', '3 of 8 vhost Tx queues unused']} columns={100} />).lastFrame()).toBe(' limited by: guest TSO off (host setting), 3 of 8 vhost Tx queues unused')
    expect(render(<LimitLine limits={[]} columns={100} />).lastFrame()).toBe('')
    const cut = render(<LimitLine limits={['guest TSO off (host setting)', '3 of 8 vhost Tx queues unused']} columns={40} />).lastFrame()!
    expect(cut.length).toBeLessThanOrEqual(39)
    expect(cut.endsWith('~')).toBe(true)
  })
})

describe('App replaying a bundle', () => {
  const app = (bundle: string, saveDir = join(tmp, 'unused')) => {
    const {session, store} = createWatch({from: bundle, netns: null, ovsRundir: null, load: null, loadTimeoutMs: 1000, durationMs: null, save: null})
    return {session, store, view: render(<App session={session} store={store} intervalMs={20} saveDir={() => saveDir} />)}
  }

  it('samples through the hook and shows the verdict as it comes', async () => {
    const {view, session} = app(BROKEN)
    await waitFor(() => expect(view.lastFrame()).toContain('KERNEL PATH'))
    await waitFor(() => expect(session.finished()).toBe(true))
    view.unmount()
  })

  it('keys: f shows the fix plan, p freezes the screen, s saves a capture diagnose can read', async () => {
    const dir = join(tmp, 'saved')
    const {view} = app(FIXED, dir)
    await waitFor(() => expect(view.lastFrame()).toContain('FAST PATH'))
    view.stdin.write('f')
    await waitFor(() => expect(view.lastFrame()).toContain('Fix plan'))
    view.stdin.write('s')
    await waitFor(() => expect(view.lastFrame()).toContain('saved a capture to'))
    expect(analyse(readCapture(dir), {input: {mode: 'bundle', bundle: dir, savedTo: null}}).verdict.kind).toBe('fast-path')
    view.stdin.write('p')
    await waitFor(() => expect(view.lastFrame()).toContain('[paused'))
    view.unmount()
  })

  it('keys: r shows a row per queue with its rates (OVSDB statistics of the two snapshots), r again hides them', async () => {
    const {view, session} = app(FIXED)
    await waitFor(() => expect(session.finished()).toBe(true))
    await waitFor(() => expect(view.lastFrame()).toContain('r queues'))
    expect(view.lastFrame()).not.toMatch(/^ {2}q0 /m)
    view.stdin.write('r')
    await waitFor(() => expect(view.lastFrame()).toContain('r queues (on)'))
    const lines = view.lastFrame()!.split('\n')
    const under = (port: string) => lines[lines.findIndex((l) => l.startsWith(port)) + 1]
    // Over the 8.708 s between the snapshots: vhost q0 rx 269,923 pkt / 408,649,160 bytes, tx 94,976 pkt / 6,288,800 bytes.
    expect(under('vhost-user1')).toMatch(/^ {2}q0\s+queue\s+31\.0k\s+10\.9k\s+375\.4\s+5\.8$/)
    // dpdk0's queue 0 carries the same packets the other way (rx_q0_packets, no "good").
    expect(under('dpdk0')).toMatch(/^ {2}q0\s+queue\s+10\.9k\s+31\.0k\s+5\.8\s+375\.4$/)
    view.stdin.write('r')
    await waitFor(() => expect(view.lastFrame()).not.toMatch(/^ {2}q0 /m))
    view.unmount()
  })
})
