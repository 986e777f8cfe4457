import {Args, Flags} from '@oclif/core'
import {DoctorCommand, jsonFlag} from '../src/base-command.js'
import {usageLines} from '../src/usage.js'
import {DoctorError, EXIT} from '../src/errors.js'
import {parseVmAddresses} from '../src/fix/guest.js'
import {askYes} from '../src/fix/prompt.js'
import {renderApply, renderConfirm, renderPlan, renderRollback} from '../src/fix/render.js'
import {applyFix, confirmChange, makePlan, planExitCode, rollbackChange} from '../src/fix/service.js'
import {assertChangeId} from '../src/fix/state-files.js'
import type {ApplyResult, ConfirmResult, FixPlan, RollbackResult} from '../src/fix/types.js'
import {parseDuration, splitCommand} from '../src/util/argv.js'
import {assertIfname} from '../src/util/names.js'
import {openFixHost, remoteUnsupported} from '../src/fix/remote-fix.js'
import type {FixHost} from '../src/fix/remote-fix.js'
import {hostFlags, sshSettingsOf} from '../src/remote/flags.js'
import type {HostFlagValues} from '../src/remote/flags.js'
import {captureHosts} from '../src/remote/hosts.js'

export default class Fix extends DoctorCommand {
  static override summary = 'Plan the pure-L2 fix, apply it safely, confirm it, or roll it back.'

  static override description = `Without --apply, only plans (read-only): each step's exact command, its undo, its risk and whether it would cut the management path, plus the guest network-config files, the config files that would put the addresses back at boot, and the alternatives.

--apply takes a lock, refuses steps that would cut an SSH session or the default route (unless --force), journals the complete prior state, arms a revert timer that survives the session, runs one step at a time (a failure reverts the others), verifies, and reverts by itself unless confirmed with --confirm <id> within --confirm-timeout.

With --host X, --apply, --confirm and --rollback do the same on X over ssh: the lock, journal, audit log and revert timer (a sh script started with setsid) are on X, the protected set is X's view of this ssh session.

Exit codes: 0 done (or nothing to do), 3 usage/unknown (also: the host could not be judged, so no plan), 10 refused (would cut the management path), 11 stale plan, 12 locked, 13 failed and reverted, 14 revert failed, 15 needs consent (--yes, --allow-irreversible, --force), 16 not confirmed (still bypassing under --load).`

  static override examples = [
    '<%= config.bin %> fix',
    '<%= config.bin %> fix --from fixtures/bundles/lab-broken-huge-load --vm-subnet 10.10.1.0/24',
    '<%= config.bin %> fix --plan-out /tmp/plan.json --guest-config-dir /tmp/guest',
    '<%= config.bin %> fix --apply --plan /tmp/plan.json',
    '<%= config.bin %> fix --apply --yes --netns lab-host0 --confirm-timeout 300s',
    '<%= config.bin %> fix --confirm 20261121-060000-a1b2c3',
    '<%= config.bin %> fix --rollback 20261121-060000-a1b2c3',
    '<%= config.bin %> fix --host lab-host1 --ssh-config lab.ssh --apply --yes',
    '<%= config.bin %> fix --host lab-host1 --ssh-config lab.ssh --confirm 20261121-060000-a1b2c3',
  ]

  static override args = {
    id: Args.string({description: 'Change id for --confirm (required) and --rollback (default: the newest not rolled back).', required: false}),
  }

  static override flags = {
    json: jsonFlag('the plan, or the result of --apply, --confirm or --rollback (schemas dpdk-doctor/fix-*@1)'),
    from: Flags.string({description: 'Plan from a capture bundle or a sosreport (directory or .tar.xz/.tar.gz) instead of this host (plan only).', exclusive: ['apply', 'confirm', 'rollback', 'netns', 'ovs-rundir']}),
    apply: Flags.boolean({description: 'Apply the plan (journaled, guarded, reverted unless confirmed).', exclusive: ['confirm', 'rollback']}),
    plan: Flags.file({description: 'With --apply: apply this saved plan (refused if the host changed since).', dependsOn: ['apply'], exists: true}),
    'plan-out': Flags.file({description: 'Save the plan (with host identity and state fingerprint) to this file.'}),
    confirm: Flags.boolean({description: 'Keep change ID (required): stops its revert timer.', exclusive: ['rollback']}),
    rollback: Flags.boolean({description: 'Roll back change [ID] (default: the newest not rolled back).'}),
    yes: Flags.boolean({char: 'y', description: 'Apply without asking (required when stdin is not a terminal).'}),
    force: Flags.boolean({description: 'Apply even if a step would cut the management path or its impact is unknown (the revert timer stays armed).'}),
    'no-revert-timer': Flags.boolean({description: 'Do not arm the revert timer (only with --force).'}),
    'confirm-timeout': Flags.string({description: 'Roll back after this long unless confirmed (e.g. 120s, 5m).', default: '120s'}),
    'allow-irreversible': Flags.boolean({description: 'Also run steps without a known undo.'}),
    persist: Flags.boolean({description: 'With --apply: also make the persistence edits the plan shows (journaled; rollback restores the files).', dependsOn: ['apply']}),
    'force-unlock': Flags.string({description: 'Take over a stale lock with exactly this lock id (printed in the error).'}),
    load: Flags.string({description: 'Measure this load (no shell) before and after apply, or after the change with --confirm; prints a before/after table.'}),
    'load-after': Flags.string({description: 'With --apply: a different load for the after measurement (e.g. a new target).', dependsOn: ['apply']}),
    'load-timeout': Flags.string({description: 'End the load command after this long.', default: '120s'}),
    interval: Flags.string({description: 'Interval between live counter samples during a load.', default: '1s'}),
    'vm-subnet': Flags.string({description: "The wire's subnet for the VMs' new addresses, e.g. 10.10.1.0/24."}),
    'vm-address': Flags.string({description: 'A VM port\'s new address, PORT=ADDRESS (e.g. vhost-user1=10.10.1.10); repeatable.', multiple: true}),
    'guest-config-dir': Flags.directory({description: 'Write each VM\'s cloud-init network-config v2 file here (network-config-<port>).'}),
    'setup-script': Flags.file({description: 'A setup script of yours that adds the addresses at boot: show the edit.', exists: true}),
    'only-device': Flags.string({description: 'Only plan steps on this interface (repeatable), e.g. ovsbr0.', multiple: true}),
    netns: Flags.string({description: 'Plan and apply in this network namespace (ip -n NS).', env: 'DPDK_DOCTOR_NETNS'}),
    host: Flags.string({description: 'Plan, apply, confirm or roll back on this host over ssh (docs/multi-host.md): the lock, journal, audit log and revert timer live on that host, the timer a sh script started there with setsid; the host needs only sh, ip, setsid (and sudo -n when not root).', exclusive: ['from']}),
    'ssh-config': hostFlags['ssh-config'],
    'ssh-option': hostFlags['ssh-option'],
    'accept-new-host-keys': hostFlags['accept-new-host-keys'],
    'ovs-rundir': Flags.directory({description: 'OVS run directory with the db.sock and control sockets.', env: 'OVS_RUNDIR'}),
  }

  static override usage = usageLines('fix', Fix.flags, {
    lines: [
      {lead: '', flags: ['netns', 'ovs-rundir', 'plan-out', 'vm-subnet', 'vm-address', 'guest-config-dir', 'setup-script', 'only-device']},
      {lead: '--host <value>', flags: ['ssh-config', 'ssh-option', 'accept-new-host-keys', 'ovs-rundir', 'plan-out', 'vm-subnet', 'vm-address', 'guest-config-dir', 'only-device']},
      {lead: '--from <value>', flags: ['plan-out', 'vm-subnet', 'vm-address', 'guest-config-dir', 'setup-script', 'only-device']},
      {lead: '--apply', flags: ['plan', 'yes', 'force', 'no-revert-timer', 'confirm-timeout', 'allow-irreversible', 'persist', 'force-unlock', 'load', 'load-after', 'load-timeout', 'interval', 'netns', 'ovs-rundir', 'plan-out', 'vm-subnet', 'vm-address', 'guest-config-dir', 'setup-script', 'only-device']},
      {lead: '--host <value> --apply', flags: ['ssh-config', 'ssh-option', 'accept-new-host-keys', 'plan', 'yes', 'force', 'no-revert-timer', 'confirm-timeout', 'allow-irreversible', 'force-unlock', 'ovs-rundir', 'plan-out', 'vm-subnet', 'vm-address', 'guest-config-dir', 'only-device']},
      {lead: '--confirm ID', flags: ['host', 'load', 'load-timeout', 'interval']},
      {lead: '--rollback [ID]', flags: ['host', 'force-unlock']},
    ],
  })

  async run(): Promise<FixPlan | ApplyResult | ConfirmResult | RollbackResult> {
    const {args, flags} = await this.parse(Fix)
    const style = this.style(flags['no-color'])
    const print = (text: string) => {
      if (!this.jsonEnabled()) this.log(text)
    }
    const common = {
      netns: flags.netns ?? null,
      ovsRundir: flags['ovs-rundir'] ?? null,
      guest: {vmSubnet: flags['vm-subnet'] ?? null, vmAddresses: parseVmAddresses(flags['vm-address'] ?? []), guestConfigDir: flags['guest-config-dir'] ?? null},
      onlyDevices: (flags['only-device'] ?? []).map((d) => assertIfname(d)),
      setupScript: flags['setup-script'] ?? null,
      configRoot: process.env.DPDK_DOCTOR_CONFIG_ROOT ?? '/',
      planOut: flags['plan-out'] ?? null,
      loadTimeoutMs: parseDuration(flags['load-timeout']),
      intervalMs: parseDuration(flags.interval),
      progress: this.progress(),
    }
    const load = flags.load ? splitCommand(flags.load) : null
    try {
      const remote = flags.host ? await this.openHost(flags) : null
      const site = remote?.site
      const onHost = (text: string) => (remote ? `${style.bold(`host ${remote.name}:`)}\n${text}` : text)
      if (flags.rollback) {
        const result = await rollbackChange({changeId: args.id ? assertChangeId(args.id) : null, by: 'user', forceUnlock: flags['force-unlock'] ?? null, ...(remote ? {runner: remote.runner, site} : {})})
        process.exitCode = result.exitCode
        print(onHost(renderRollback(result, style)))
        return remote ? {...result, host: remote.name} : result
      }
      if (flags.confirm) {
        if (!args.id) throw new DoctorError('E_USAGE', '--confirm needs the change id that apply printed', {suggestions: ['dpdk-doctor fix --confirm ID (apply prints the id; the journals are in /var/lib/dpdk-doctor/journal)']})
        const result = await confirmChange({changeId: assertChangeId(args.id), load, loadTimeoutMs: common.loadTimeoutMs, intervalMs: common.intervalMs, progress: common.progress, ...(remote ? {runner: remote.runner, site} : {})})
        print(onHost(renderConfirm(result, style)))
        return remote ? {...result, host: remote.name} : result
      }
      if (flags.apply && remote) {
        const interactive = Boolean(process.stdin.isTTY) && !this.jsonEnabled()
        // Without --plan: planned from a snapshot of the host taken over ssh, as fix --host plans.
        const capture = flags.plan ? null : await this.hostCapture(remote.name, {...flags, host: [remote.name]})
        const result = await applyFix({
          ...common, from: null, capture, planFile: flags.plan ?? null, load: null, loadAfter: null,
          yes: flags.yes, interactive, force: flags.force, persist: false, noRevertTimer: flags['no-revert-timer'], allowIrreversible: flags['allow-irreversible'],
          confirmTimeoutMs: parseDuration(flags['confirm-timeout']), forceUnlock: flags['force-unlock'] ?? null,
          runner: remote.runner, site, machineId: remote.probe.machineId,
          ask: askYes, showPlan: (plan) => print(renderPlan(plan, style, process.stdout.columns ?? 120)),
        })
        process.exitCode = result.exitCode
        this.endProgress()
        print(onHost(renderApply(result, style)))
        return {...result, host: remote.name}
      }
      if (flags.apply) {
        const interactive = Boolean(process.stdin.isTTY) && !this.jsonEnabled()
        const result = await applyFix({
          ...common, from: null, planFile: flags.plan ?? null, load, loadAfter: flags['load-after'] ? splitCommand(flags['load-after']) : null,
          yes: flags.yes, interactive, force: flags.force, persist: flags.persist, noRevertTimer: flags['no-revert-timer'], allowIrreversible: flags['allow-irreversible'],
          confirmTimeoutMs: parseDuration(flags['confirm-timeout']), forceUnlock: flags['force-unlock'] ?? null,
          ask: askYes, showPlan: (plan) => print(renderPlan(plan, style, process.stdout.columns ?? 120)),
        })
        process.exitCode = result.exitCode
        this.endProgress()
        print(renderApply(result, style))
        return result
      }
      if (args.id) throw new DoctorError('E_USAGE', `unexpected argument ${args.id}: an id goes with --rollback (or --confirm ID)`)
      const capture = flags.host ? await this.hostCapture(flags.host, {...flags, host: [flags.host]}) : null
      const {plan} = await makePlan({...common, from: flags.from ?? null, capture})
      this.endProgress()
      print(renderPlan(plan, style, process.stdout.columns ?? 120))
      process.exitCode = planExitCode(plan)
      return plan
    } finally {
      this.endProgress()
    }
  }

  /**
   * fix --host X --apply/--confirm/--rollback: X probed and its site opened (a plan alone needs
   * neither); flags a remote change cannot honour are refused before any connection.
   */
  private async openHost(flags: Omit<HostFlagValues, 'host'> & {host?: string; apply: boolean; 'no-revert-timer': boolean; confirm: boolean; rollback: boolean; persist: boolean; load?: string; 'load-after'?: string; 'setup-script'?: string}): Promise<FixHost | null> {
    if (!flags.host || !(flags.apply || flags.confirm || flags.rollback)) return null
    const unsupported = remoteUnsupported(flags)
    if (unsupported) throw new DoctorError('E_USAGE', `fix --host ${flags.host} does not take ${unsupported}; nothing was changed`)
    return openFixHost(flags.host, sshSettingsOf({...flags, host: [flags.host]}), {needTimer: flags.apply && !flags['no-revert-timer']})
  }

  /** fix --host X: the host's capture over ssh (one snapshot); a host that failed is the error. */
  private async hostCapture(name: string, flags: HostFlagValues & {'ovs-rundir'?: string; netns?: string}) {
    const c = await captureHosts({
      hosts: [name], ssh: sshSettingsOf(flags), hostOvsRundirs: {}, ovsRundir: flags['ovs-rundir'] ?? null, netns: flags.netns ?? null,
      load: null, loadHost: null, duringMs: null, intervalMs: 1000, loadTimeoutMs: 60_000, progress: this.progress(),
    })
    const h = c.hosts[0]!
    if (!h.capture || h.status !== 'ok') throw new DoctorError('E_HOST', `${name}: ${h.status}${h.failure ? ` (${h.failure.reason})` : ''}`, {suggestions: h.failure?.fix ? [h.failure.fix] : []})
    return h.capture
  }
}

