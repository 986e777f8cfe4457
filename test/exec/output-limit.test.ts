/**
 * Live collection has the bundle reader's limits too: a command whose stdout passes the cap is
 * ended (its whole group) and its source is `error` with the reason, never a crash or a partial
 * output parsed as if whole.
 */
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {runSource} from '../../src/collect/collect.js'
import {HostRunner, statusOf, STDOUT_LIMIT} from '../../src/exec/runner.js'
import type {RunRequest, Runner} from '../../src/exec/runner.js'
import {STATIC_SOURCES} from '../../src/collect/sources.js'

const dir = mkdtempSync(join(tmpdir(), 'dd-limit-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** Running or sleeping; a zombie (killed, not yet reaped) counts as gone. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

describe('the stdout cap', () => {
  it('is 64 Mi characters, as the unixctl client caps a reply', () => {
    expect(STDOUT_LIMIT).toBe(64 * 1024 * 1024)
  })

  it('a command writing past the cap is ended with its group and reads as an error, its output dropped', async () => {
    const pidFile = join(dir, 'child.pid')
    const path = join(dir, 'flood')
    // A child that floods stdout forever, and a grandchild that would outlive it.
    writeFileSync(path, `#!/bin/sh\nsleep 60 & echo $! > ${pidFile}\nexec cat /dev/zero\n`)
    chmodSync(path, 0o755)
    const r = await new HostRunner().run({argv: [path], timeoutMs: 10_000, maxStdout: 100_000})
    expect(r.overLimit).toBe(true)
    expect(r.stdout).toBe('')
    expect(statusOf(r)).toEqual({status: 'error', reason: 'stdout over the limit of 100000 characters: the command was ended and its output dropped'})
    const grandchild = Number(readFileSync(pidFile, 'utf8'))
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(alive(grandchild)).toBe(false)
  })

  it('a source over the cap is recorded as error with the reason', async () => {
    const flood: Runner = {
      run: (req: RunRequest) => new HostRunner().run({...req, argv: ['head', '-c', '300000', '/dev/zero'], maxStdout: 1000}),
    }
    const spec = STATIC_SOURCES.find((s) => s.id === 'ip-addr')!
    const result = await runSource(spec, {runner: flood, target: {netns: null, ovsRundir: null}})
    expect(result).toMatchObject({id: 'ip-addr', status: 'error', stdout: '', reason: expect.stringMatching(/stdout over the limit/)})
  })
})
