/**
 * --persist: the persistence edits are made only after a verified change, the files are journaled
 * whole before the first change, a rollback restores them, and a file changed since the plan is
 * refused as stale with nothing run.
 */
import {chmodSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {DoctorError} from '../../src/errors.js'
import {applyPlan} from '../../src/fix/apply.js'
import {findPersistence} from '../../src/fix/persistence.js'
import {rollbackChange} from '../../src/fix/service.js'
import {FIX_EXIT} from '../../src/fix/types.js'
import {brokenHostState, FakeHost} from './fake-host.js'
import {applyCtx, planFor, stateEnv, tempDir} from './helpers.js'

const NETPLAN = 'network:\n  version: 2\n  bridges:\n    ovsbr0:\n      addresses:\n        - 192.168.100.1/24\n        - 10.10.1.1/24\n      openvswitch: {}\n'

function withNetplan() {
  const root = tempDir('dd-fix-persist-')
  mkdirSync(join(root, 'etc/netplan'), {recursive: true})
  const file = join(root, 'etc/netplan/50-ovs.yaml')
  writeFileSync(file, NETPLAN)
  chmodSync(file, 0o640)
  return {root, file}
}

describe('--persist', () => {
  it('edits the config after the verified change; rollback puts the file back byte for byte', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const {root, file} = withNetplan()
    const plan = await planFor(host)
    plan.persistence = findPersistence({root, removals: {ovsbr0: ['192.168.100.1/24', '10.10.1.1/24']}, setupScript: null})
    expect(plan.persistence).toHaveLength(2)
    const env = stateEnv()
    const result = await applyPlan(applyCtx(host, plan, env, {persist: true}))
    expect(result.status).toBe('applied')
    expect(result.persisted).toEqual([`${file}:7`, `${file}:6`])
    expect(readFileSync(file, 'utf8')).toBe('network:\n  version: 2\n  bridges:\n    ovsbr0:\n      addresses:\n      openvswitch: {}\n')
    expect(statSync(file).mode & 0o777).toBe(0o640)
    const rb = await rollbackChange({changeId: result.id, by: 'user', env, runner: host, timer: host.timer()})
    expect(rb.exitCode).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe(NETPLAN)
    expect(statSync(file).mode & 0o777).toBe(0o640)
  })

  it('without --persist the files are left alone', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const {root, file} = withNetplan()
    const plan = await planFor(host)
    plan.persistence = findPersistence({root, removals: {ovsbr0: ['192.168.100.1/24']}, setupScript: null})
    const result = await applyPlan(applyCtx(host, plan, stateEnv()))
    expect(result.persisted).toEqual([])
    expect(readFileSync(file, 'utf8')).toBe(NETPLAN)
  })

  it('a file changed since the plan: refused as stale (exit 11) before anything runs', async () => {
    const host = new FakeHost(brokenHostState(), 'ns1')
    const {root, file} = withNetplan()
    const plan = await planFor(host)
    plan.persistence = findPersistence({root, removals: {ovsbr0: ['192.168.100.1/24']}, setupScript: null})
    writeFileSync(file, '# edited by someone\n' + NETPLAN)
    host.events = []
    const error = await applyPlan(applyCtx(host, plan, stateEnv(), {persist: true})).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DoctorError)
    expect((error as DoctorError).exit).toBe(FIX_EXIT.STALE_PLAN)
    expect(host.mutating).toEqual([])
  })
})
