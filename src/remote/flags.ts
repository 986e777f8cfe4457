/** The --host flags shared by diagnose, capture, watch and fix (docs/multi-host.md). */
import {Flags} from '@oclif/core'
import {DoctorError} from '../errors.js'
import {assertHostName, assertSshOption, LOCAL_HOST, privateControlDir} from './ssh.js'
import type {SshSettings} from './ssh.js'
import {liveRequest} from '../live-flags.js'
import type {LiveFlagValues} from '../live-flags.js'
import type {HostsRequest} from './hosts.js'

export const hostFlags = {
  host: Flags.string({description: 'Diagnose this host over ssh (repeatable; an ssh destination or Host alias, `local` for this machine). Two hosts add the cross-host rules.', multiple: true}),
  'ssh-config': Flags.file({description: 'ssh config file for every ssh (-F FILE).', env: 'DPDK_DOCTOR_SSH_CONFIG'}),
  'ssh-option': Flags.string({description: 'An ssh option (-o KEY=VALUE) given before dpdk-doctor\'s own, so it wins (repeatable).', multiple: true}),
  'accept-new-host-keys': Flags.boolean({description: 'Learn the host key of a host never seen (StrictHostKeyChecking=accept-new); a changed key still fails.', default: false}),
  'host-ovs-rundir': Flags.string({description: 'HOST=DIR: the OVS run directory on that host (repeatable).', multiple: true}),
  'load-host': Flags.string({description: 'Run --load on this --host over ssh instead of here.'}),
}

export interface HostFlagValues {
  host?: string[]
  'ssh-config'?: string
  'ssh-option'?: string[]
  'accept-new-host-keys': boolean
  'host-ovs-rundir'?: string[]
  'load-host'?: string
}

export function sshSettingsOf(flags: HostFlagValues): SshSettings {
  return {
    configFile: flags['ssh-config'] ?? null,
    options: (flags['ssh-option'] ?? []).map(assertSshOption),
    acceptNewHostKeys: flags['accept-new-host-keys'],
    controlDir: privateControlDir(),
  }
}

export function hostsOf(flags: HostFlagValues): string[] {
  return (flags.host ?? []).map((h) => (h === LOCAL_HOST ? h : assertHostName(h)))
}

export function hostRundirsOf(flags: HostFlagValues): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of flags['host-ovs-rundir'] ?? []) {
    const i = pair.indexOf('=')
    if (i <= 0 || !pair.slice(i + 1).startsWith('/')) throw new DoctorError('E_USAGE', `--host-ovs-rundir ${JSON.stringify(pair)}: give HOST=/absolute/dir`)
    out[assertHostNameOrLocal(pair.slice(0, i))] = pair.slice(i + 1)
  }
  return out
}

function assertHostNameOrLocal(name: string): string {
  return name === LOCAL_HOST ? name : assertHostName(name)
}

/** The multi-host request the flags describe. */
export function hostsRequestOf(
  flags: HostFlagValues & LiveFlagValues,
  extra: {signal?: AbortSignal; progress?: (line: string) => void; thorough?: boolean},
): HostsRequest {
  const live = liveRequest(flags)
  if (live.load && live.duringMs) throw new DoctorError('E_USAGE', 'give either --load or --during, not both')
  return {
    hosts: hostsOf(flags),
    ssh: sshSettingsOf(flags),
    hostOvsRundirs: hostRundirsOf(flags),
    ovsRundir: live.ovsRundir,
    netns: live.netns,
    load: live.load,
    loadHost: flags['load-host'] ?? null,
    duringMs: live.duringMs,
    intervalMs: live.intervalMs,
    loadTimeoutMs: live.loadTimeoutMs,
    ...extra,
  }
}
