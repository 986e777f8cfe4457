/**
 * The resident remote reader's queue, run through this machine's sh (the remote script is plain
 * POSIX sh; ssh only carries it): a request that times out fails alone, the ones queued behind it
 * are answered by a new reader.
 */
import {describe, expect, it} from 'vitest'
import {HostRunner} from '../../src/exec/runner.js'
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
})
