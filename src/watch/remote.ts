/**
 * watch --host X: the same samples as the live watch, read on X through one resident ssh (the
 * remote resident reader) instead of local commands: a full snapshot first, live counters only
 * between, a full one at the end. The load, when given, still runs on this machine.
 */
import {setMaxListeners} from 'node:events'
import type {HostInfo, Sample} from '../capture/types.js'
import {bridgeProtocolsOf, bridgesOf, collectSample} from '../collect/collect.js'
import type {CollectOptions} from '../collect/collect.js'
import {DoctorError} from '../errors.js'
import {HostRunner} from '../exec/runner.js'
import type {Runner} from '../exec/runner.js'
import {HostSession} from '../remote/hosts.js'
import {assertHostName} from '../remote/ssh.js'
import type {SshSettings} from '../remote/ssh.js'
import {sampleName, WATCH_LIVE_EXTRA, WATCH_LIVE_SKIP} from './sources.js'
import type {SampleSource} from './sources.js'

/** What the source needs of a remote host: how to collect there, and how to let go. */
export interface RemoteSampling {
  collectOptions(signal?: AbortSignal, live?: boolean): CollectOptions
  close(): void
}

export class RemoteSampleSource implements SampleSource {
  readonly live = true
  private index = 0
  private bridges: string[] = []
  private protocols: Record<string, string[]> = {}

  constructor(private readonly host: RemoteSampling) {}

  async next(signal: AbortSignal, opts: {full?: boolean} = {}): Promise<Sample> {
    setMaxListeners(100, signal)
    const name = sampleName(this.index++)
    if (name === 'before' || opts.full) {
      // As the local watch: dpdk-devbind.py is left out of the first snapshot, waited for in a full one.
      const first = name === 'before' && !opts.full
      const {sample} = await collectSample(name, {...this.host.collectOptions(signal), slow: first ? 'background' : 'wait', skip: first ? ['devbind'] : []})
      const bridges = bridgesOf(sample)
      if (bridges.length > 0) {
        this.bridges = bridges
        this.protocols = bridgeProtocolsOf(sample)
      }
      return sample
    }
    // Live counters only, on the one resident session (never OVSDB statistics).
    const {sample} = await collectSample(name, {
      ...this.host.collectOptions(signal, true),
      live: true,
      knownBridges: this.bridges,
      knownProtocols: this.protocols,
      skip: WATCH_LIVE_SKIP,
      extraLive: WATCH_LIVE_EXTRA,
    })
    return sample
  }

  close(): void {
    this.host.close()
  }
}

export interface RemoteWatchTarget {
  host: string
  ssh: SshSettings
  netns: string | null
  ovsRundir: string | null
  /** The local runner ssh runs through (tests give their own). */
  runner?: Runner
  signal?: AbortSignal
}

/** Probes the host over ssh: the session, whatever its status (a multi-host watch shows a failed host). */
export async function openRemoteHost(req: RemoteWatchTarget): Promise<HostSession> {
  const name = assertHostName(req.host)
  const session = new HostSession(name, {netns: req.netns, ovsRundir: req.ovsRundir, remote: true}, req.runner ?? new HostRunner())
  await session.open(req.ssh, req.signal)
  if (session.status !== 'ok') session.close()
  return session
}

/** Probes the host over ssh; a host that failed is the error, with its status and fix. */
export async function openRemoteSource(req: RemoteWatchTarget): Promise<{source: RemoteSampleSource; host: HostInfo}> {
  const session = await openRemoteHost(req)
  const name = session.name
  if (session.status !== 'ok') {
    session.close()
    throw new DoctorError('E_HOST', `${name}: ${session.status}${session.failure ? ` (${session.failure.reason})` : ''}`, {suggestions: session.failure?.fix ? [session.failure.fix] : []})
  }
  return {source: new RemoteSampleSource(session), host: session.hostInfo()}
}
