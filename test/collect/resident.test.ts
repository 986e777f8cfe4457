/**
 * The resident netns reader: the real reader program (run here in the test's own namespace, the
 * `ip netns exec NS` prefix dropped), one process for many readings; answers kept in order when a
 * request is abandoned; a reader that hangs or dies is replaced.
 */
import {PassThrough} from 'node:stream'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {readInProcess} from '../../src/collect/readers.js'
import {ResidentNetnsReader} from '../../src/collect/resident.js'
import {HostRunner} from '../../src/exec/runner.js'
import type {RunRequest, RunResult, Runner} from '../../src/exec/runner.js'

/** Runs argv without its `ip netns exec NS` prefix, counting starts. */
class OwnNamespaceRunner implements Runner {
  starts = 0
  private readonly host = new HostRunner()
  run(request: RunRequest): Promise<RunResult> {
    this.starts++
    const argv = request.argv[0] === 'ip' && request.argv[1] === 'netns' ? request.argv.slice(4) : request.argv
    return this.host.run({...request, argv})
  }
}

/** A scripted resident: answers the n-th request with {"n":n} after `delayMs` (never, when null). */
class ScriptedRunner implements Runner {
  starts = 0
  constructor(private readonly delayMs: number | null) {}
  run(request: RunRequest): Promise<RunResult> {
    this.starts++
    let n = 0
    const stdin = request.stdin as PassThrough
    stdin.setEncoding('utf8')
    stdin.on('data', (chunk: string) => {
      for (const c of chunk) {
        if (c !== '\n') continue
        const answer = `{"n":${++n}}\n`
        if (this.delayMs !== null) setTimeout(() => request.onStdout?.(answer), this.delayMs)
      }
    })
    return new Promise((resolve) => {
      const base = {argv: request.argv, stdout: '', stderr: '', signal: null, timedOut: false, notFound: false, startedAt: '', durationMs: 0}
      request.signal?.addEventListener('abort', () => resolve({...base, exitCode: null, error: 'aborted'}), {once: true})
      stdin.once('end', () => resolve({...base, exitCode: 0, error: null}))
    })
  }
}

const dir = mkdtempSync(join(tmpdir(), 'dd-resident-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))
let files = 0
/** A stand-in for /run/netns/NAME: its inode is the namespace's identity. */
function nsFile(): string {
  const file = join(dir, `ns-${files++}`)
  writeFileSync(file, '')
  return file
}

describe('ResidentNetnsReader', () => {
  it('one reader process answers every reading: sysfs-stats, sysfs-net and sysctl-net, as the one-shot reader reads them', async () => {
    const runner = new OwnNamespaceRunner()
    const reader = new ResidentNetnsReader(runner, 'lab-host0', nsFile())
    try {
      for (let i = 0; i < 3; i++) {
        const r = await reader.read('sysfs-stats', {timeoutMs: 10_000})
        expect(r).toMatchObject({id: 'sysfs-stats', status: 'ok', exitCode: 0, via: 'resident'})
        // Recorded under the one-shot reader's argv (the same program), in the namespace asked for.
        expect(r.argv!.slice(0, 4)).toEqual(['ip', 'netns', 'exec', 'lab-host0'])
        const stats = JSON.parse(r.stdout) as Record<string, Record<string, number>>
        expect(stats['lo']).toHaveProperty('rx_packets')
      }
      // The other kinds from the same process, byte for byte what the reader gives in-process
      // (sysctl-net has several lines: they travel as one and are split again).
      expect((await reader.read('sysctl-net', {timeoutMs: 10_000})).stdout).toBe(readInProcess('sysctl-net'))
      expect((await reader.read('sysctl-net', {timeoutMs: 10_000})).stdout.split('\n').length).toBeGreaterThan(2)
      expect((await reader.read('sysfs-net', {timeoutMs: 10_000})).stdout).toBe(readInProcess('sysfs-net'))
      expect(runner.starts).toBe(1)
    } finally {
      reader.close()
    }
  })

  it('an abandoned request keeps its place: its late answer is not the next one', async () => {
    const runner = new ScriptedRunner(30)
    const reader = new ResidentNetnsReader(runner, 'ns', nsFile())
    const abort = new AbortController()
    const first = reader.read('sysfs-stats', {timeoutMs: 1000, signal: abort.signal})
    abort.abort()
    expect(await first).toMatchObject({status: 'skipped', reason: 'interrupted'})
    expect((await reader.read('sysfs-stats', {timeoutMs: 1000})).stdout).toBe('{"n":2}\n')
    expect(runner.starts).toBe(1)
    reader.close()
  })

  it('a reader that does not answer times out and is replaced by a fresh one', async () => {
    const runner = new ScriptedRunner(null)
    const reader = new ResidentNetnsReader(runner, 'ns', nsFile())
    expect(await reader.read('sysfs-stats', {timeoutMs: 50})).toMatchObject({status: 'timeout', stdout: ''})
    await reader.read('sysfs-stats', {timeoutMs: 50})
    expect(runner.starts).toBe(2)
    reader.close()
  })

  it('a reader that cannot start reports why', async () => {
    const runner: Runner = {
      run: async (request) => ({argv: request.argv, stdout: '', stderr: 'Cannot open network namespace "nope": No such file or directory\n', exitCode: 1, signal: null, timedOut: false, notFound: false, startedAt: '', durationMs: 1, error: null}),
    }
    const reader = new ResidentNetnsReader(runner, 'nope', nsFile())
    const r = await reader.read('sysfs-stats', {timeoutMs: 1000})
    expect(r.status).toBe('error')
    expect(r.reason).toContain('Cannot open network namespace "nope"')
  })

  it('a namespace made again under the same name gets a new reader; a namespace gone is an error', async () => {
    const runner = new ScriptedRunner(1)
    const ns = nsFile()
    const reader = new ResidentNetnsReader(runner, 'ns', ns)
    expect((await reader.read('sysfs-stats', {timeoutMs: 1000})).status).toBe('ok')
    expect((await reader.read('sysfs-stats', {timeoutMs: 1000})).status).toBe('ok')
    expect(runner.starts).toBe(1)
    // Deleted and made again: another inode, another namespace.
    rmSync(ns)
    writeFileSync(join(dir, 'keep-inode-busy'), '')
    writeFileSync(ns, '')
    expect((await reader.read('sysfs-stats', {timeoutMs: 1000})).stdout).toBe('{"n":1}\n')
    expect(runner.starts).toBe(2)
    rmSync(ns)
    expect(await reader.read('sysfs-stats', {timeoutMs: 1000})).toMatchObject({status: 'error', reason: 'network namespace ns is gone'})
    reader.close()
  })
})
