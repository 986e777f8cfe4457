/**
 * One dashboard frame's cost in ink, alone: the BROKEN bundle's frame with full sparklines drawn
 * again and again into a 120-column terminal-like sink (the numbers change every frame, as they
 * do each second). A hot loop, so it is a lower bound of a frame at 1 s (cold caches, less
 * optimised code): use it to compare changes to the components, not as the sampler's figure
 * (watch-cpu.ts is).
 *
 *   npx tsx test/bench/watch-frame.ts [--frames 1000] [--columns 120]
 */
import {PassThrough} from 'node:stream'

// Before react loads (no JSX here: its runtime import would be hoisted above this line).
process.env.NODE_ENV = 'production'
const argv = process.argv.slice(2)
const value = (flag: string, fallback: number) => {
  const i = argv.indexOf(flag)
  return i >= 0 ? Number(argv[i + 1]) : fallback
}
const frames = value('--frames', 1000)
const columns = value('--columns', 120)

const {createElement} = await import('react')
const {render} = await import('ink')
const {Dashboard} = await import('../../src/watch/ui/components.js')
const {frameOf, BROKEN} = await import('../watch/helpers.js')
const {SPARK_CELLS} = await import('../../src/watch/store.js')
type Frame = ReturnType<typeof frameOf>

const base = frameOf(BROKEN)
const frameAt = (i: number): Frame => ({
  ...base,
  samples: i,
  elapsedS: i,
  ports: base.ports.map((p, k) => ({...p, rxPps: p.rxPps + i * 7 + k, txMbps: p.txMbps + i, history: Array.from({length: SPARK_CELLS}, (_, j) => ((i + j + k) % 9) * 10)})),
})
const stdout = Object.assign(new PassThrough(), {isTTY: true, columns, rows: 50}) as unknown as NodeJS.WriteStream
;(stdout as unknown as PassThrough).resume()
const stdin = Object.assign(new PassThrough(), {isTTY: false}) as unknown as NodeJS.ReadStream
const element = (i: number) => createElement(Dashboard, {frame: frameAt(i), columns, paused: false, showFix: false, interactive: true})
const instance = render(element(0), {stdout, stdin, patchConsole: false})
const draw = async (from: number, to: number) => {
  for (let i = from; i < to; i++) {
    instance.rerender(element(i))
    await new Promise((r) => setImmediate(r))
  }
}
await draw(1, 100) // warm-up
const cpu0 = process.cpuUsage()
const t0 = performance.now()
await draw(100, 100 + frames)
const cpu = process.cpuUsage(cpu0)
process.stderr.write(`watch frame at ${columns} columns: ${((cpu.user + cpu.system) / 1000 / frames).toFixed(2)} ms CPU a frame (${((performance.now() - t0) / frames).toFixed(2)} ms wall), ${frames} frames\n`)
instance.unmount()
process.exit(0)
