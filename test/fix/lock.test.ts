/**
 * The fix lock's content is there from the instant the lock exists: a second fix always names the
 * holder (pid, command, lock id), never just "another process". The lock was an exclusive create
 * followed by a write; a lab run caught a second apply reading it empty in between.
 */
import {spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {acquireLock} from '../../src/fix/lock.js'

const dir = mkdtempSync(join(tmpdir(), 'dd-lock-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** A process that tries to take the lock at `startAt` (ms since the epoch), holds it 2.5 s (until every other has tried), and says what happened. */
function contender(lock: string, startAt: number): Promise<string> {
  const code = `
    const {acquireLock} = await import(${JSON.stringify(new URL('../../src/fix/lock.ts', import.meta.url).pathname)})
    while (Date.now() < ${startAt}) {}
    try {
      const held = await acquireLock(${JSON.stringify(lock)}, {command: 'fix --apply'})
      await new Promise((r) => setTimeout(r, 2500))
      held.release()
      process.stdout.write('held')
    } catch (error) {
      process.stdout.write(error.message)
    }`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.once('error', reject)
    child.once('exit', () => resolve(out))
  })
}

describe('the fix lock', () => {
  it('a second taker in this process is refused with the holder named; no file of the taking is left', async () => {
    const lock = join(dir, 'one', 'fix.lock')
    const held = await acquireLock(lock, {command: 'fix --apply', changeId: 'c1'})
    await expect(acquireLock(lock, {command: 'fix --rollback'})).rejects.toThrow(new RegExp(`another dpdk-doctor fix is running: pid ${process.pid} \\(fix --apply c1, .*lock ${held.info.lockId}\\)`))
    expect(readdirSync(join(dir, 'one'))).toEqual(['fix.lock'])
    held.release()
    expect(readdirSync(join(dir, 'one'))).toEqual([])
  })

  it('six processes at the same instant: one holds it, the five others name a pid', async () => {
    const lock = join(dir, 'race', 'fix.lock')
    const startAt = Date.now() + 2000 // after every process has started and loaded the module
    const outcomes = await Promise.all(Array.from({length: 6}, () => contender(lock, startAt)))
    expect(outcomes.filter((o) => o === 'held')).toHaveLength(1)
    for (const refused of outcomes.filter((o) => o !== 'held')) expect(refused).toMatch(/^another dpdk-doctor fix is running: pid \d+ /)
    expect(readdirSync(join(dir, 'race'))).toEqual([])
  }, 15_000)
})
