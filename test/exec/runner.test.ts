import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {childEnv, HostRunner, statusOf} from '../../src/exec/runner.js'

const dir = mkdtempSync(join(tmpdir(), 'dd-runner-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function script(name: string, body: string): string {
  const path = join(dir, name)
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return path
}

/** Running or sleeping; a zombie (killed, not yet reaped by PID 1) counts as gone. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) [ZX]/.test(stat)
  } catch {
    return false
  }
}

describe('HostRunner', () => {
  const runner = new HostRunner()

  it('passes hostile names as one literal argument, never through a shell', async () => {
    const marker = join(dir, 'PWNED')
    const hostile = `ovsbr0; touch ${marker} $(touch ${marker}) \`touch ${marker}\``
    const r = await runner.run({argv: ['printf', '%s', hostile], timeoutMs: 5000})
    expect(r.stdout).toBe(hostile)
    expect(existsSync(marker)).toBe(false)
  })

  it('runs children with LC_ALL=C and a fixed system PATH', async () => {
    const r = await runner.run({argv: ['env'], timeoutMs: 5000, env: {OVS_RUNDIR: '/tmp/x'}})
    expect(r.stdout).toMatch(/^LC_ALL=C$/m)
    expect(r.stdout).toMatch(/^OVS_RUNDIR=\/tmp\/x$/m)
    expect(r.stdout).toMatch(/^PATH=\/usr\/local\/sbin:/m)
  })

  it('reports a missing program as not-installed', async () => {
    const r = await runner.run({argv: ['dpdk-doctor-no-such-tool'], timeoutMs: 5000})
    expect(r.notFound).toBe(true)
    expect(statusOf(r).status).toBe('not-installed')
  })

  it('ends the whole process group on the deadline, grandchildren included', async () => {
    const pidFile = join(dir, 'grandchild.pid')
    // The child ignores TERM and leaves a grandchild holding stdout: execa's own timeout would hang here.
    const hang = script('hang.sh', `trap '' TERM\nsleep 60 &\necho $! > ${pidFile}\nwait`)
    const started = Date.now()
    const r = await runner.run({argv: [hang], timeoutMs: 500})
    const elapsed = Date.now() - started
    expect(r.timedOut).toBe(true)
    expect(statusOf(r).status).toBe('timeout')
    expect(elapsed).toBeLessThan(3000)
    const grandchild = Number(readFileSync(pidFile, 'utf8'))
    await new Promise((res) => setTimeout(res, 200))
    expect(alive(grandchild)).toBe(false)
  })

  it('ends the process group when aborted (Ctrl-C)', async () => {
    const abort = new AbortController()
    const run = runner.run({argv: ['sleep', '30'], timeoutMs: 60_000, signal: abort.signal})
    setTimeout(() => abort.abort(), 100)
    const r = await run
    expect(r.error).toBe('aborted')
    expect(r.durationMs).toBeLessThan(5000)
    expect(statusOf(r).status).toBe('skipped')
  })

  it('classifies failures', async () => {
    const denied = script('denied.sh', 'echo "ovs-vsctl: unix:/run/openvswitch/db.sock: database connection failed (Permission denied)" >&2; exit 1')
    expect(statusOf(await runner.run({argv: [denied], timeoutMs: 5000})).status).toBe('permission-denied')
    const failing = script('fail.sh', 'echo "ovs-appctl: cannot read pidfile" >&2; exit 1')
    const s = statusOf(await runner.run({argv: [failing], timeoutMs: 5000}))
    expect(s).toEqual({status: 'error', reason: 'ovs-appctl: cannot read pidfile'})
    expect(statusOf(await runner.run({argv: ['true'], timeoutMs: 5000})).status).toBe('ok')
  })
})

describe('childEnv', () => {
  it('prepends DPDK_DOCTOR_PATH (command stubs) and nothing from the caller PATH', () => {
    const saved = {...process.env}
    process.env.PATH = '/home/user/evil-bin:/usr/bin'
    process.env.DPDK_DOCTOR_PATH = '/opt/stubs'
    try {
      expect(childEnv().PATH?.startsWith('/opt/stubs:/usr/local/sbin')).toBe(true)
      expect(childEnv().PATH).not.toContain('evil-bin')
    } finally {
      process.env = saved
    }
  })
})
