/**
 * Plan mode (SAFETY A1, A2): the plan from the broken lab bundle, and plan mode over every fix
 * action kind running only read-only commands, with a meta-test that fails when a kind has no case.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import {defineRule} from '../../src/engine/types.js'
import type {FixAction, Rule} from '../../src/engine/types.js'
import {ReplayRunner} from '../../src/exec/replay-runner.js'
import type {RunRequest, RunResult, Runner} from '../../src/exec/runner.js'
import {FIX_ACTION_KINDS} from '../../src/fix/planner.js'
import {isReadOnlyArgv, ReadOnlyRunner} from '../../src/fix/read-only.js'
import {makePlan} from '../../src/fix/service.js'
import type {FixPlan} from '../../src/fix/types.js'
import {tempDir} from './helpers.js'

const BUNDLE = 'fixtures/bundles/lab-broken-huge-load'
const noGuest = {vmSubnet: null, vmAddresses: {}, guestConfigDir: null}
const base = {netns: null, ovsRundir: null, guest: noGuest, onlyDevices: [], setupScript: null, configRoot: '/nonexistent', planOut: null}

describe('the plan from the broken lab bundle', () => {
  it('is one `ip addr del` per ovsbr0 address, never flush, each with its exact inverse', async () => {
    const {plan} = await makePlan({...base, from: BUNDLE})
    const ovsbr0 = plan.steps.filter((s) => s.target.kind === 'address' && s.target.dev === 'ovsbr0')
    expect(ovsbr0.map((s) => s.argv)).toEqual([
      ['ip', '-n', 'lab-host0', 'addr', 'del', '10.10.1.1/24', 'dev', 'ovsbr0'],
      ['ip', '-n', 'lab-host0', 'addr', 'del', '192.168.100.1/24', 'dev', 'ovsbr0'],
    ])
    expect(ovsbr0.map((s) => s.inverseArgv)).toEqual([
      ['ip', '-n', 'lab-host0', 'addr', 'replace', '10.10.1.1/24', 'dev', 'ovsbr0'],
      ['ip', '-n', 'lab-host0', 'addr', 'replace', '192.168.100.1/24', 'dev', 'ovsbr0'],
    ])
    expect(plan.steps.flatMap((s) => [...s.argv, ...(s.inverseArgv ?? [])])).not.toContain('flush')
    // The connected routes that go with each address are listed; nothing is silently lost.
    expect(ovsbr0[0]!.alsoRemoves).toEqual(['10.10.1.0/24 dev ovsbr0 proto kernel src 10.10.1.1'])
    expect(ovsbr0.every((s) => s.reversible && s.why.includes('internal-port-has-ip ovsbr0'))).toBe(true)
    // dpdk-nic-kernel-active: the kernel twin's address and ARP, never an unbind of its driver.
    expect(plan.steps.filter((s) => s.argv.includes('enp65s0f0np0')).map((s) => s.argv.slice(3).join(' '))).toEqual(['addr del 172.16.0.1/24 dev enp65s0f0np0', 'link set dev enp65s0f0np0 arp off'])
    expect(JSON.stringify(plan.steps)).not.toMatch(/devbind|unbind|driver/)
    // From a bundle the SSH sessions are unknown, so every step is `unknown` (apply recomputes it live).
    expect(plan.protected.complete).toBe(false)
    expect(plan.steps.every((s) => s.managementImpact === 'unknown')).toBe(true)
    expect(plan.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(plan.alternatives.map((a) => a.name).join(' ')).toMatch(/OpenFlow.*Linux bridge/)
  })

  it('writes the guest network-config v2 files and saves the plan with host identity and fingerprint', async () => {
    const dir = tempDir('dd-fix-plan-')
    const {plan} = await makePlan({...base, from: BUNDLE, guest: {vmSubnet: '10.10.1.0/24', vmAddresses: {}, guestConfigDir: join(dir, 'guest')}, planOut: join(dir, 'plan.json')})
    expect(plan.guest).toHaveLength(1)
    expect(plan.guest[0]).toMatchObject({port: 'vhost-user1', mac: '02:00:00:00:10:10', address: '10.10.1.10', prefixlen: 24, file: join(dir, 'guest', 'network-config-vhost-user1')})
    const doc = readFileSync(join(dir, 'guest', 'network-config-vhost-user1'), 'utf8')
    expect(doc).toContain('version: 2')
    expect(doc).toContain('macaddress: "02:00:00:00:10:10"')
    expect(doc).toContain('- 10.10.1.10/24')
    expect(doc).not.toMatch(/^\s*(gateway4|gateway6|routes):/m)
    const saved = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as FixPlan
    expect(saved).toMatchObject({schema: 'dpdk-doctor/fix-plan@1', id: plan.id, fingerprint: plan.fingerprint, host: {hostname: 'lab-host0', netns: 'lab-host0'}})
    expect(saved.steps.map((s) => s.argv)).toEqual(plan.steps.map((s) => s.argv))
  })

  it('--vm-address wins, and without --vm-subnet several prefixes leave the guest address open', async () => {
    const {plan} = await makePlan({...base, from: BUNDLE, guest: {vmSubnet: null, vmAddresses: {'vhost-user1': '10.10.1.33'}, guestConfigDir: null}})
    expect(plan.guest[0]).toMatchObject({address: '10.10.1.33', prefixlen: 24})
    const {plan: open} = await makePlan({...base, from: BUNDLE})
    expect(open.guest[0]!.address).toBeNull()
    expect(open.guest[0]!.note).toContain('--vm-subnet')
  })

  it('--only-device limits the steps to that interface', async () => {
    const {plan} = await makePlan({...base, from: BUNDLE, onlyDevices: ['ovsbr0']})
    expect(new Set(plan.steps.map((s) => (s.target.kind === 'address' ? s.target.dev : s.target.kind === 'fdb' ? s.target.bridge : '?')))).toEqual(new Set(['ovsbr0']))
  })
})

/** Records every argv and answers from the broken lab capture (plus ss / ip route get). */
class RecordingReplay implements Runner {
  readonly calls: string[][] = []
  private readonly replay: ReplayRunner
  constructor() {
    const capture = readCapture(BUNDLE)
    this.replay = new ReplayRunner([capture.samples[0]!])
  }
  async run(request: RunRequest): Promise<RunResult> {
    this.calls.push(request.argv)
    if (request.argv.includes('ss')) return {argv: request.argv, stdout: '', stderr: '', exitCode: 0, signal: null, timedOut: false, notFound: false, startedAt: '', durationMs: 0, error: null}
    return this.replay.run(request)
  }
}

/** A rule that suggests exactly one action, so each kind goes through plan mode on its own. */
function ruleFor(action: FixAction): Rule {
  return defineRule({
    meta: {id: `test-${action.kind}`, title: action.kind, severity: 'critical', group: 'kernel-bypass', kind: 'snapshot', rationale: '', inputs: [], thresholds: {}, remediation: '', field: 'T', appliesTo: 'test hosts'},
    check: () => ({findings: [{subject: 'ovsbr0', message: action.kind, evidence: {}, fixes: [action]}]}),
  })
}

// One case per FixAction kind: the action, and what the plan must show for it.
const PLAN_MODE_CASES: Record<(typeof FIX_ACTION_KINDS)[number], {action: FixAction; expect: (plan: FixPlan) => void}> = {
  'remove-address': {
    action: {kind: 'remove-address', ifname: 'ovsbr0', address: '10.10.1.1', prefixlen: 24, family: 'inet'},
    expect: (plan) => expect(plan.steps.map((s) => s.argv.join(' '))).toContain('ip addr del 10.10.1.1/24 dev ovsbr0'),
  },
  'remove-route': {
    action: {kind: 'remove-route', dst: '172.16.0.0/24', dev: 'enp65s0f0np0', table: 'main', gateway: null},
    expect: (plan) => expect(plan.steps.map((s) => s.argv.join(' '))).toContain('ip route del 172.16.0.0/24 dev enp65s0f0np0 proto kernel scope link src 172.16.0.1'),
  },
  'set-arp-off': {
    action: {kind: 'set-arp-off', ifname: 'enp65s0f0np0'},
    expect: (plan) => expect(plan.steps.map((s) => s.argv.join(' '))).toContain('ip link set dev enp65s0f0np0 arp off'),
  },
  'ovs-set': {
    action: {kind: 'ovs-set', table: 'Open_vSwitch', record: '.', column: 'other_config:pmd-auto-lb', value: 'true'},
    expect: (plan) => expect(plan.steps[0]).toMatchObject({kind: 'ovs-set', reversible: true, inverseArgv: ['ovs-vsctl', '-t', '5', 'remove', 'Open_vSwitch', '.', 'other_config', 'pmd-auto-lb']}),
  },
  'guest-readdress': {
    action: {kind: 'guest-readdress', port: 'vhost-user1', subnet: '10.10.1.0/24'},
    expect: (plan) => {
      expect(plan.steps).toEqual([])
      expect(plan.guest.map((g) => g.port)).toEqual(['vhost-user1'])
    },
  },
  manual: {
    action: {kind: 'manual', text: 'do it by hand'},
    expect: (plan) => {
      expect(plan.steps).toEqual([])
      expect(plan.manual).toEqual(['do it by hand'])
    },
  },
}

describe('plan mode runs only read-only commands (A1)', () => {
  for (const kind of FIX_ACTION_KINDS) {
    it(`${kind}: every argv plan mode runs is on the allow-list`, async () => {
      const c = PLAN_MODE_CASES[kind]
      const runner = new RecordingReplay()
      const {plan} = await makePlan({...base, from: null, runner, rules: [ruleFor(c.action)], env: {}})
      c.expect(plan)
      expect(runner.calls.length).toBeGreaterThan(10)
      const offList = runner.calls.filter((a) => !isReadOnlyArgv(a))
      expect(offList).toEqual([])
    })
  }

  it('meta: every FixAction kind has a plan-mode case (a new kind without one fails here)', () => {
    expect(Object.keys(PLAN_MODE_CASES).sort()).toEqual([...FIX_ACTION_KINDS].sort())
  })

  it('the allow-list refuses every mutating verb, and plan mode\'s runner refuses to run one', async () => {
    for (const argv of [
      ['ip', 'addr', 'del', '10.10.1.1/24', 'dev', 'ovsbr0'], ['ip', '-n', 'x', 'addr', 'flush', 'dev', 'ovsbr0'], ['ip', 'route', 'replace', 'default', 'via', '1.2.3.4'],
      ['ip', 'link', 'set', 'dev', 'ovsbr0', 'arp', 'off'], ['ovs-vsctl', '-t', '5', 'set', 'Open_vSwitch', '.', 'other_config:x=y'], ['ovs-appctl', '-T', '5', 'dpif-netdev/pmd-stats-clear'],
      ['ethtool', '-K', 'eth0', 'tx', 'off'], ['dpdk-devbind.py', '-b', 'vfio-pci', '0000:41:00.0'], ['ip', 'netns', 'exec', 'x', 'sh', '-c', 'true'], ['ip', '-batch', '/tmp/x'],
    ]) expect(isReadOnlyArgv(argv), argv.join(' ')).toBe(false)
    for (const argv of [['ip', '-j', 'addr', 'show'], ['ip', '-n', 'lab-host0', '-j', 'route', 'show', 'table', 'all'], ['ip', '-j', 'route', 'get', '198.51.100.7', 'from', '192.0.2.10'],
      ['ip', 'netns', 'exec', 'lab-host0', 'ss', '-Htnp', 'state', 'established'], ['ovs-vsctl', '-t', '5', '--format=json', 'list', 'Bridge'], ['ethtool', '-i', 'eth0']]) {
      expect(isReadOnlyArgv(argv), argv.join(' ')).toBe(true)
    }
    const inner = new RecordingReplay()
    await expect(new ReadOnlyRunner(inner).run({argv: ['ip', 'addr', 'flush', 'dev', 'ovsbr0'], timeoutMs: 1000})).rejects.toThrow(/allow-list/)
    expect(inner.calls).toEqual([])
  })
})
