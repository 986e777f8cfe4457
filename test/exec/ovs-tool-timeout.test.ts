import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {HostRunner, statusOf} from '../../src/exec/runner.js'

const dir = mkdtempSync(join(tmpdir(), 'dd-ovs-timeout-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('an OVS tool that hits its own -t/-T timeout', () => {
  it('is a timeout, not an error: ovs-appctl dies of SIGALRM when ovs-vswitchd does not answer', async () => {
    // What ovs-appctl -T 5 does against a SIGSTOPped ovs-vswitchd (seen on the lab): warn, then die of SIGALRM.
    const fake = join(dir, 'ovs-appctl')
    writeFileSync(fake, '#!/bin/sh\necho "2026-11-21T05:54:36Z|00001|fatal_signal|WARN|terminating with signal 14 (Alarm clock)" >&2\nkill -ALRM $$\n')
    chmodSync(fake, 0o755)
    const r = await new HostRunner().run({argv: [fake, '-T', '1', 'dpif/show'], timeoutMs: 5000})
    expect(r.signal).toBe('SIGALRM')
    const s = statusOf(r)
    expect(s.status).toBe('timeout')
    expect(s.reason).toMatch(/own timeout/)
  })

  it('also when a wrapper reports the signal as exit 142', () => {
    const s = statusOf({
      argv: ['ovs-ofctl'], stdout: '', stderr: '|fatal_signal|WARN|terminating with signal 14 (Alarm clock)', exitCode: 142, signal: null,
      timedOut: false, notFound: false, startedAt: '2026-11-21T05:54:36.000Z', durationMs: 5000, error: null,
    })
    expect(s.status).toBe('timeout')
  })
})
