/**
 * fix --host X --apply is refused (exit 3) until the lock, journal and revert timer run on X:
 * refused before any ssh, so nothing on X is touched, in human and --json modes.
 */
import {chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

const BIN = 'bin/run.js'
const tmp = mkdtempSync(join(tmpdir(), 'dd-fix-host-'))
const marker = join(tmp, 'ssh-was-run')

beforeAll(() => {
  if (!existsSync('dist/commands/fix.js')) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
  // An ssh that leaves a mark: the refusal must come before any connection.
  writeFileSync(join(tmp, 'ssh'), `#!/bin/sh\ntouch '${marker}'\nexit 255\n`)
  chmodSync(join(tmp, 'ssh'), 0o755)
})
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

async function cli(args: string[]) {
  const r = await execa(process.execPath, [BIN, ...args], {reject: false, env: {NO_COLOR: '', NODE_ENV: 'production', PATH: `${tmp}:${process.env.PATH ?? ''}`}, stdin: 'ignore'})
  return {code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr)}
}

describe('fix --host X --apply', () => {
  it('is refused with exit 3 and a message saying nothing changed, without connecting', async () => {
    const r = await cli(['fix', '--host', 'dd-remote', '--apply', '--yes'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('fix --host dd-remote --apply is not supported yet: nothing was changed on dd-remote')
    expect(r.stderr).toContain('revert timer')
    expect(r.stdout).toBe('')
    expect(existsSync(marker)).toBe(false)
  })

  it('--json: the error document, code E_REMOTE_APPLY, exit 3', async () => {
    const r = await cli(['fix', '--host', 'dd-remote', '--apply', '--json'])
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout) as {error: {code: string; exit: number; suggestions: string[]}}
    expect(doc.error.code).toBe('E_REMOTE_APPLY')
    expect(doc.error.exit).toBe(3)
    expect(doc.error.suggestions.join('\n')).toContain('fix --host dd-remote --plan-out')
    expect(existsSync(marker)).toBe(false)
  })
})
