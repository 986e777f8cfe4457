/**
 * fix --host X --apply | --confirm | --rollback: a host that cannot be reached is the error, exit 3,
 * saying nothing was changed on X, in human and --json modes; flags a remote change cannot honour
 * are refused before any connection. (The change itself over a real sshd: test/engines/ssh-fix.test.ts.)
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
  // An ssh that leaves a mark and fails as ssh does when nothing listens.
  writeFileSync(join(tmp, 'ssh'), `#!/bin/sh\ntouch '${marker}'\necho 'ssh: connect to host 192.0.2.1 port 22: Connection refused' >&2\nexit 255\n`)
  chmodSync(join(tmp, 'ssh'), 0o755)
})
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

async function cli(args: string[]) {
  rmSync(marker, {force: true})
  const r = await execa(process.execPath, [BIN, ...args], {
    reject: false, stdin: 'ignore',
    env: {NO_COLOR: '', NODE_ENV: 'production', DPDK_DOCTOR_PATH: tmp, DPDK_DOCTOR_SSH_CONTROL_DIR: join(tmp, 'control')},
  })
  return {code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr)}
}

describe('fix --host X with a change', () => {
  it('--apply to an unreachable host: exit 3, its status, nothing changed', async () => {
    const r = await cli(['fix', '--host', 'dd-remote', '--apply', '--yes'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('dd-remote: unreachable (ssh: connect to host 192.0.2.1 port 22: Connection refused); nothing was changed on dd-remote')
    expect(r.stdout).toBe('')
    expect(existsSync(marker)).toBe(true)
  })

  it('--json: the error document, code E_HOST, exit 3; --confirm and --rollback the same', async () => {
    for (const args of [['--apply', '--yes'], ['--confirm', '20261121-060000-a1b2c3'], ['--rollback']]) {
      const r = await cli(['fix', '--host', 'dd-remote', ...args, '--json'])
      expect(r.code).toBe(3)
      const doc = JSON.parse(r.stdout) as {error: {code: string; exit: number; message: string}}
      expect(doc.error.code).toBe('E_HOST')
      expect(doc.error.exit).toBe(3)
      expect(doc.error.message).toMatch(/nothing was changed on dd-remote$/)
    }
  })

  it('--persist with --host is refused before any connection', async () => {
    const r = await cli(['fix', '--host', 'dd-remote', '--apply', '--yes', '--persist'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('fix --host dd-remote does not take --persist')
    expect(existsSync(marker)).toBe(false)
  })
})
