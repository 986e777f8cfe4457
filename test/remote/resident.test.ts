/**
 * The resident remote reader's queue, run through this machine's sh (the remote script is plain
 * POSIX sh; ssh only carries it): a request that times out fails alone, the ones queued behind it
 * are answered by a new reader.
 */
import type {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'
import {HostRunner} from '../../src/exec/runner.js'
import type {RunRequest, RunResult} from '../../src/exec/runner.js'
import {RemoteResidentReader} from '../../src/remote/resident.js'
import type {RemoteRunner} from '../../src/remote/ssh.js'

describe('RemoteResidentReader', () => {
  it('a timed-out request fails alone; the requests queued behind it get their answers', async () => {
    const reader = new RemoteResidentReader(new HostRunner() as unknown as RemoteRunner)
    try {
      const slow = reader.source('slow', {argv: ['sleep', '5']}, 300)
      const next = reader.source('next', {argv: ['echo', 'hi']}, 5000)
      const last = reader.source('last', {argv: ['printf', 'x']}, 5000)
      const [a, b, c] = await Promise.all([slow, next, last])
      expect(a).toMatchObject({status: 'timeout'})
      expect(b).toMatchObject({status: 'ok', stdout: 'hi\n'})
      expect(c).toMatchObject({status: 'ok', stdout: 'x'})
      // and the reader goes on serving
      expect(await reader.source('after', {argv: ['echo', 'again']}, 5000)).toMatchObject({status: 'ok', stdout: 'again\n'})
    } finally {
      reader.close()
    }
  })

  it('what a closed reader still writes is never taken for the answer of the reader after it', async () => {
    const frame = (text: string) => Buffer.from(`dd-reading 0 ${Buffer.byteLength(text)} 0\n${text}`)
    let readers = 0
    // The first reader answers nothing until it is ended, then its last bytes arrive late (ssh's
    // buffers); the second answers each request with its own words.
    const runner = {
      run(req: RunRequest): Promise<RunResult> {
        const n = ++readers
        const stdin = req.stdin as PassThrough
        const result = (): RunResult => ({argv: req.argv, stdout: '', stderr: '', exitCode: 0, signal: null, timedOut: false, notFound: false, startedAt: '', durationMs: 0, error: null})
        return new Promise((resolve) => {
          if (n === 1) {
            req.signal?.addEventListener('abort', () => setTimeout(() => {
              req.onStdoutBytes?.(frame('the first reader\'s late answer\n'))
              resolve(result())
            }, 20))
            return
          }
          stdin.on('data', (chunk: Buffer) => {
            for (const line of chunk.toString().split('\n').filter(Boolean)) setTimeout(() => req.onStdoutBytes?.(frame(`answer to ${line}\n`)), 100)
          })
          stdin.on('end', () => resolve(result()))
        })
      },
    }
    const reader = new RemoteResidentReader(runner as unknown as RemoteRunner)
    try {
      const stop = new AbortController()
      const first = reader.source('first', {argv: ['echo', 'one']}, 5000, stop.signal)
      stop.abort()
      expect(await first).toMatchObject({status: 'skipped'})
      expect(await reader.source('second', {argv: ['echo', 'two']}, 5000)).toMatchObject({status: 'ok', stdout: 'answer to echo two\n'})
      expect(readers).toBe(2)
    } finally {
      reader.close()
    }
  })
})
