/**
 * fix --host X --apply | --confirm ID | --rollback [ID]: the local fix with its site on X. The
 * host is probed first (login, sudo -n, tools); a host that fails is the error, exit 3, before
 * anything is read or changed there.
 */
import {DoctorError, EXIT} from '../errors.js'
import {HostRunner} from '../exec/runner.js'
import type {Runner} from '../exec/runner.js'
import {probeHost} from '../remote/probe.js'
import type {ProbeResult} from '../remote/probe.js'
import type {RemoteRunner, SshSettings} from '../remote/ssh.js'
import {assertHostName} from '../remote/ssh.js'
import {RemoteSite, remoteStatePaths} from './remote-site.js'

export interface FixHost {
  name: string
  runner: RemoteRunner
  probe: ProbeResult
  site: RemoteSite
}

/** Probes X and opens its site; the refusal says nothing was changed. */
export async function openFixHost(name: string, ssh: SshSettings, opts: {local?: Runner; env?: NodeJS.ProcessEnv; signal?: AbortSignal; needTimer?: boolean} = {}): Promise<FixHost> {
  assertHostName(name)
  const env = opts.env ?? process.env
  const paths = remoteStatePaths(env)
  const {probe, runner} = await probeHost(opts.local ?? new HostRunner(), name, ssh, {signal: opts.signal})
  if (probe.failure) {
    throw new DoctorError('E_HOST', `${name}: ${probe.failure.status} (${probe.failure.reason}); nothing was changed on ${name}`, {
      exit: EXIT.UNKNOWN, suggestions: probe.failure.fix ? [probe.failure.fix] : [],
    })
  }
  const site = await RemoteSite.open(runner, name, paths, env)
  if (opts.needTimer && !site.session.setsid) {
    throw new DoctorError('E_HOST', `${name}: setsid is not installed, so no revert timer can outlive the ssh session; nothing was changed on ${name}`, {
      exit: EXIT.UNKNOWN, suggestions: ['Install util-linux on the host, or (knowing nothing will revert a lock-out) pass --no-revert-timer --force.'],
    })
  }
  return {name, runner, probe, site}
}

/** The flags a remote apply cannot honour yet: refused by name before any connection. */
export function remoteUnsupported(flags: {persist?: boolean; load?: string; 'load-after'?: string; 'setup-script'?: string}): string | null {
  if (flags.persist) return '--persist (the config files are on the host: edit them there)'
  if (flags.load || flags['load-after']) return '--load (measure with diagnose --host X --load ...)'
  if (flags['setup-script']) return '--setup-script (the script is on the host)'
  return null
}
