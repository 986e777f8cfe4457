/**
 * End-to-end on the two-host lab (issue 14, point 6): host1 broken, host0 fixed. The BUILT CLI in
 * lab-ops (the operator's workstation) runs `fix --host lab-host1 --apply --yes` through the lab's
 * ssh config: planned from host1's snapshot over ssh, applied on host1 with its lock, journal and
 * sh revert timer there; the guest network-config file is applied to VM1 by the lab (as
 * fix.e2e does for host0's VM), then a two-host diagnose under load says host1 FAST PATH. Then
 * confirm over ssh, and a rollback puts host1's addresses back (the lab's modes are reset after).
 */
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {applyGuestConfig} from './guest.js'
import {gateLabTests} from './harness.js'
import {KERNEL_NIC, labRun, vmIperfArgv} from './lab.js'
import {HOST_NAMES, setModes, sshConfigPath, twoHostTarget} from './two-host.js'
import {twoHostE2e} from './two-host-e2e.js'

const e2e = twoHostE2e('two-host fix')
const {say, tmp, setup, teardown} = e2e
const cli = (args: string[]) => e2e.cli(args, {timeoutMs: 170_000})

const addrsOf = async (ns: string, dev: string) =>
  ((JSON.parse((await labRun(['ip', '-n', ns, '-j', 'addr', 'show', 'dev', dev])).stdout) as Array<{addr_info: Array<{local: string; prefixlen: number}>}>)[0]?.addr_info ?? [])
    .map((a) => `${a.local}/${a.prefixlen}`).filter((a) => !a.startsWith('fe80:'))

describe('two hosts: fix --host lab-host1 --apply over ssh makes host1 FAST PATH', () => {
  const gate = gateLabTests()

  beforeAll(async () => {
    if (!gate.ok) return
    await setup()
    await setModes(['fixed', 'broken'])
  }, 300_000)

  afterAll(async () => {
    await teardown(() => setModes(['fixed', 'broken']).catch(() => undefined))
  }, 120_000)

  it('apply on host1 over ssh, the guest step on VM1, then diagnose: lab-host1 FAST PATH; confirm; rollback restores host1', async () => {
    const guestDir = path.join(tmp, 'guest')
    const brokenOvsbr0 = await addrsOf(HOST_NAMES[1], 'ovsbr0')
    const brokenKnic = await addrsOf(HOST_NAMES[1], KERNEL_NIC)
    expect(brokenOvsbr0.length).toBeGreaterThan(0)
    // --only-device ovsbr0: the bypass's steps only. The whole plan also sets pmd-sleep-max=0 (the
    // info finding pmd-sleep-enabled), and two busy-polling PMDs do not fit the lab's two cores.
    const applied = await cli(['fix', '--host', HOST_NAMES[1], '--ssh-config', sshConfigPath(), '--apply', '--yes', '--only-device', 'ovsbr0', '--vm-subnet', '10.10.1.0/24',
      '--vm-address', 'vhost-user1=10.10.1.20', '--guest-config-dir', guestDir, '--confirm-timeout', '900s', '--json'])
    say(`apply: exit ${applied.exitCode} in ${applied.ms} ms`)
    expect(applied.exitCode, applied.stdout.slice(0, 3000) + applied.stderr.slice(-2000)).toBe(0)
    const doc = JSON.parse(applied.stdout) as {host: string; id: string; status: string; journal: string; timer: {armed: boolean; pid: number}; steps: Array<{argv: string[]; status: string}>}
    expect(doc).toMatchObject({host: HOST_NAMES[1], status: 'applied', timer: {armed: true}})
    expect(doc.journal).toBe(`${HOST_NAMES[1]}:/var/lib/dpdk-doctor/journal/${doc.id}.json`)
    say(`applied ${doc.id}: ${doc.steps.map((s) => `${s.argv.join(' ')} (${s.status})`).join('; ')}`)
    expect(await addrsOf(HOST_NAMES[1], 'ovsbr0')).toEqual([])

    const file = path.join(guestDir, 'network-config-vhost-user1')
    expect(fs.existsSync(file)).toBe(true)
    await applyGuestConfig(file, 'lab-vm1')

    const target = twoHostTarget(['fixed', 'fixed'])
    const load = vmIperfArgv(target, 6, '100M').join(' ')
    const diag = await cli(['diagnose', '--host', HOST_NAMES[0], '--host', HOST_NAMES[1], '--ssh-config', sshConfigPath(), '--load', load, '--json'])
    const d = JSON.parse(diag.stdout) as {sides: string[]; exitCode: number; hosts: Array<{name: string; diagnosis: {verdict: {kind: string}} | null}>}
    say(`diagnose after the fix: exit ${diag.exitCode} in ${diag.ms} ms; ${d.sides.join('; ')}`)
    expect(d.sides, diag.stderr.slice(-2000)).toContain(`${HOST_NAMES[1]}: FAST PATH`)
    expect(d.hosts.find((h) => h.name === HOST_NAMES[1])?.diagnosis?.verdict.kind).toBe('fast-path')

    const confirmed = await cli(['fix', '--host', HOST_NAMES[1], '--ssh-config', sshConfigPath(), '--confirm', doc.id, '--json'])
    say(`confirm: exit ${confirmed.exitCode} in ${confirmed.ms} ms`)
    expect(confirmed.exitCode, confirmed.stderr).toBe(0)
    expect(JSON.parse(confirmed.stdout)).toMatchObject({host: HOST_NAMES[1], status: 'confirmed', timerStopped: true})

    const rb = await cli(['fix', '--host', HOST_NAMES[1], '--ssh-config', sshConfigPath(), '--rollback', doc.id])
    say(`rollback: exit ${rb.exitCode} in ${rb.ms} ms`)
    expect(rb.exitCode, rb.stderr).toBe(0)
    expect(rb.stdout).toMatch(new RegExp(`^host ${HOST_NAMES[1]}:\\nrolled back ${doc.id}`))
    expect(await addrsOf(HOST_NAMES[1], 'ovsbr0')).toEqual(brokenOvsbr0)
    expect(await addrsOf(HOST_NAMES[1], KERNEL_NIC)).toEqual(brokenKnic)
  }, 300_000)
})
