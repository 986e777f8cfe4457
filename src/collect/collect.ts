/**
 * Collection: run every source concurrently, record each verbatim with its status. One failure
 * never stops the rest; slow optional sources never hold up the others' parsing; templated sources
 * (per bridge, per NIC) start as soon as what they depend on is known.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {baseSourceId} from '../capture/types.js'
import type {Sample, SourceResult} from '../capture/types.js'
import {statusOf} from '../exec/runner.js'
import {UnixctlError} from '../exec/unixctl.js'
import type {UnixctlClient} from '../exec/unixctl.js'
import type {Runner} from '../exec/runner.js'
import {parseBridges} from '../parsers/ovsdb.js'
import {parseSysfsNet} from '../parsers/sysfs.js'
import {isValidIfname} from '../util/names.js'
import {localReaderText, remoteReaderArgv} from '../remote/readers.js'
import {netnsReaderArgv, readInProcess} from './readers.js'
import {bridgeSources, ethtoolSource, isOfctlSource, OVS_TOOL_TIMEOUT_S, STATIC_SOURCES} from './sources.js'
import type {CollectTarget, SourceSpec} from './sources.js'

export interface CollectOptions {
  runner: Runner
  target: CollectTarget
  signal?: AbortSignal
  /** Called when a source finishes (progress display). */
  onSource?: (result: SourceResult) => void
  /** Send ovs-appctl sources' requests on ovs-vswitchd's control socket (watch); ovs-appctl when it cannot connect. */
  unixctl?: UnixctlClient
  /** Sources read another way (watch's resident netns reader), by id. */
  providers?: Readonly<Record<string, (signal?: AbortSignal) => Promise<SourceResult>>>
  /** Runs every source another way (a remote host's resident reader), given the argv it would run. */
  execute?: (spec: SourceSpec, argv: string[] | null, signal?: AbortSignal) => Promise<SourceResult>
}

/** The argv a spec runs with on this target (kernel-side sources inside --netns). */
export function argvFor(spec: SourceSpec, target: CollectTarget): string[] | null {
  if (target.remote && !spec.argv && spec.reader) {
    // No node on the remote: /proc files through cat, /sys and /proc/sys through a fixed sh reader.
    const argv = spec.reader === 'file' ? ['cat', spec.path ?? ''] : remoteReaderArgv(spec.reader)
    return target.netns ? ['ip', 'netns', 'exec', target.netns, ...argv] : argv
  }
  if (spec.argv) {
    if (spec.side !== 'kernel' || !target.netns) return spec.argv
    // ip switches namespace itself (-n); `ip netns exec` would also remount /sys for every call.
    if (spec.argv[0] === 'ip') return ['ip', '-n', target.netns, ...spec.argv.slice(1)]
    return ['ip', 'netns', 'exec', target.netns, ...spec.argv]
  }
  // /proc/<pid> is the same in every network namespace: ps-vmm is read in-process.
  if (spec.reader && spec.reader !== 'file' && spec.side !== 'proc' && target.netns) return netnsReaderArgv(target.netns, spec.reader)
  return null
}

function ovsEnv(target: CollectTarget): Record<string, string> | undefined {
  return target.ovsRundir ? {OVS_RUNDIR: target.ovsRundir} : undefined
}

/**
 * An ovs-appctl source over the control socket, recorded under its ovs-appctl argv with via
 * 'unixctl'; null when the socket cannot be reached (the caller runs ovs-appctl, whose own error
 * then tells why).
 */
async function runOverUnixctl(spec: SourceSpec, request: {method: string; params: string[]}, client: UnixctlClient, signal?: AbortSignal): Promise<SourceResult | null> {
  const started = Date.now()
  const base = {id: spec.id, argv: spec.argv ?? [], via: 'unixctl' as const, startedAt: new Date(started).toISOString()}
  try {
    const reply = await client.call(request.method, request.params, {timeoutMs: OVS_TOOL_TIMEOUT_S * 1000, signal})
    const durationMs = Date.now() - started
    if (reply.error !== null) {
      // As ovs-appctl reports it: the daemon's message on stderr, exit 2.
      const reason = reply.error.trim().split('\n')[0]?.slice(0, 200) || 'error'
      return {...base, status: 'error', exitCode: 2, durationMs, reason, stdout: '', stderr: reply.error.endsWith('\n') ? reply.error : `${reply.error}\n`}
    }
    return {...base, status: 'ok', exitCode: 0, durationMs, stdout: reply.result ?? '', stderr: ''}
  } catch (error) {
    if (!(error instanceof UnixctlError)) throw error
    if (error.kind === 'connect') return null
    const durationMs = Date.now() - started
    const status = error.kind === 'timeout' ? 'timeout' : error.kind === 'aborted' ? 'skipped' : 'error'
    const reason = error.kind === 'timeout' ? `ovs-vswitchd gave ${error.message} on its control socket` : error.message
    return {...base, status, exitCode: null, durationMs, reason, stdout: '', stderr: ''}
  }
}

export async function runSource(spec: SourceSpec, opts: CollectOptions): Promise<SourceResult> {
  const provider = opts.providers?.[spec.id]
  if (provider) return provider(opts.signal)
  if (opts.execute) return opts.execute(spec, argvFor(spec, opts.target), opts.signal)
  if (spec.unixctl && opts.unixctl) {
    const result = await runOverUnixctl(spec, spec.unixctl, opts.unixctl, opts.signal)
    if (result) return result
  }
  const argv = argvFor(spec, opts.target)
  if (argv) {
    const result = await opts.runner.run({
      argv,
      timeoutMs: spec.timeoutMs,
      env: spec.side === 'ovs' ? ovsEnv(opts.target) : undefined,
      signal: opts.signal,
    })
    const {status, reason} = statusOf(result)
    const remoteReading = opts.target.remote && spec.reader && spec.reader !== 'file' && status === 'ok'
    return {
      id: spec.id,
      argv,
      status,
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      startedAt: result.startedAt,
      ...(reason ? {reason} : {}),
      stdout: remoteReading ? localReaderText(spec.reader!, result.stdout) : result.stdout,
      stderr: result.stderr,
    }
  }
  // In-process read of /proc or /sys.
  const started = Date.now()
  const startedAt = new Date(started).toISOString()
  const path = spec.path ?? ''
  try {
    const stdout = spec.reader === 'file' ? readFileSync(path, 'utf8') : readInProcess(spec.reader ?? '')
    return {id: spec.id, path, status: 'ok', exitCode: 0, durationMs: Date.now() - started, startedAt, stdout, stderr: ''}
  } catch (error) {
    const err = error as NodeJS.ErrnoException
    const status = err.code === 'EACCES' || err.code === 'EPERM' ? 'permission-denied' : 'error'
    return {id: spec.id, path, status, exitCode: null, durationMs: Date.now() - started, startedAt, reason: err.message, stdout: '', stderr: err.message}
  }
}

/** OVS's run directory, as the OVS tools resolve it. */
export function ovsRundirOf(target: CollectTarget): string {
  return target.ovsRundir ?? process.env.OVS_RUNDIR ?? '/var/run/openvswitch'
}

/** Bridges ovs-vswitchd serves, from its management sockets (<rundir>/<bridge>.mgmt). */
export function bridgesInRundir(target: CollectTarget): string[] {
  if (target.remote) return [] // the run dir is on the other host: OVSDB names the bridges
  let entries: string[]
  try {
    entries = readdirSync(ovsRundirOf(target))
  } catch {
    return []
  }
  return entries
    .filter((f) => f.endsWith('.mgmt'))
    .map((f) => f.slice(0, -'.mgmt'.length))
    .filter((b) => isValidIfname(b))
    .sort()
}

/** Bridge names from an ovsdb-bridge result, validated: an invalid name never reaches an argv. */
function bridgeNames(result: SourceResult): string[] {
  if (result.status !== 'ok') return []
  const parsed = parseBridges(result.stdout)
  if (!parsed.ok) return []
  return parsed.value.map((b) => b.name).filter((name) => isValidIfname(name))
}

/** Each bridge's `protocols` column from an ovsdb-bridge result (validated again where argv is built). */
function bridgeProtocols(result: SourceResult): Record<string, string[]> {
  if (result.status !== 'ok') return {}
  const parsed = parseBridges(result.stdout)
  if (!parsed.ok) return {}
  return Object.fromEntries(parsed.value.map((b) => [b.name, b.protocols]))
}

/** NICs worth `ethtool -i`: interfaces backed by a PCI device. */
function nicNames(result: SourceResult): string[] {
  if (result.status !== 'ok') return []
  const parsed = parseSysfsNet(result.stdout)
  if (!parsed.ok) return []
  return parsed.value.filter((d) => d.pciAddress !== null && isValidIfname(d.ifname)).map((d) => d.ifname)
}

/**
 * How long to wait for slow optional sources (dpdk-devbind.py, ~350 ms) once the others are in:
 * - 'wait': until they finish (capture bundles for support, where completeness matters);
 * - 'grace': as long as the other sources take, then end them and mark them skipped (driver
 *   binding comes from sysfs first, so nothing essential is lost);
 * - 'background': return at once; they are added to the sample when done (await `settled`).
 */
export type SlowPolicy = 'wait' | 'grace' | 'background'

export interface CollectedSample {
  sample: Sample
  /** Resolves when every source, slow ones included, is recorded in `sample`. */
  settled: Promise<void>
}

/**
 * A full sample: every static source, then per-bridge and per-NIC sources as soon as the bridge
 * list and the NIC list are in. With `live`, only the live counters (for samples during load).
 */
export async function collectSample(
  name: string,
  opts: CollectOptions & {
    live?: boolean
    knownBridges?: string[]
    /** The known bridges' OpenFlow versions (bridgeProtocolsOf the full sample), for ovs-ofctl's -O. */
    knownProtocols?: Readonly<Record<string, readonly string[]>>
    slow?: SlowPolicy
    skip?: readonly string[]
    extraLive?: readonly string[]
  },
): Promise<CollectedSample> {
  const started = Date.now()
  const sample: Sample = {name, takenAt: new Date(started).toISOString(), sources: {}}
  const record = (r: SourceResult) => {
    sample.sources[r.id] = r
    opts.onSource?.(r)
    return r
  }
  const run = (spec: SourceSpec, signal = opts.signal) => runSource(spec, {...opts, signal}).then(record)

  // skip: source ids (templated ones by their base, e.g. ofctl-ports) a caller leaves out; watch's
  // live samples leave out the sources it reads a cheaper way.
  const skipped = (spec: SourceSpec) => opts.skip?.includes(baseSourceId(spec.id)) ?? false
  const statics = STATIC_SOURCES.filter((s) => (!opts.live || s.live || opts.extraLive?.includes(s.id)) && !skipped(s))
  const running = new Map<string, Promise<SourceResult>>()
  const slowAborts: AbortController[] = []
  const slowRuns: Array<Promise<SourceResult>> = []
  for (const spec of statics) {
    if (spec.slow) {
      const abort = new AbortController()
      opts.signal?.addEventListener('abort', () => abort.abort(), {once: true})
      slowAborts.push(abort)
      slowRuns.push(
        run(spec, abort.signal).then((r) =>
          abort.signal.aborted && !opts.signal?.aborted
            ? record({...r, status: 'skipped', reason: 'slow optional source; not waited for'})
            : r,
        ),
      )
    } else {
      running.set(spec.id, run(spec))
    }
  }

  const bridgeSpecs = (bridges: string[], protocols: Readonly<Record<string, readonly string[]>>) =>
    bridges.flatMap((b) => bridgeSources(b, protocols[b] ?? [])).filter((s) => (!opts.live || s.live) && !skipped(s))
  const followUps: Array<Promise<unknown>> = []
  if (opts.live && opts.knownBridges) {
    followUps.push(Promise.all(bridgeSpecs(opts.knownBridges, opts.knownProtocols ?? {}).map((s) => run(s))))
  } else if (!opts.live) {
    // Start fdb/show at once for the bridges vswitchd has management sockets for, rather than
    // after ovsdb-bridge answers; ovs-ofctl waits for the Bridge rows (their OpenFlow versions),
    // and OVSDB adds any bridge the run dir did not show.
    const early = bridgesInRundir(opts.target)
    followUps.push(
      Promise.all(bridgeSpecs(early, {}).filter((s) => !isOfctlSource(s)).map((s) => run(s))),
      running.get('ovsdb-bridge')!.then((r) => {
        const protocols = bridgeProtocols(r)
        const later = bridgeNames(r).filter((b) => !early.includes(b))
        return Promise.all([...bridgeSpecs(early, protocols).filter((s) => isOfctlSource(s)), ...bridgeSpecs(later, protocols)].map((s) => run(s)))
      }),
      running.get('sysfs-net')!.then((r) => Promise.all(nicNames(r).map((n) => run(ethtoolSource(n))))),
    )
  }
  await Promise.all([...running.values(), ...followUps])

  const slowDone = Promise.all(slowRuns).then(() => undefined)
  const policy = opts.slow ?? 'grace'
  if (policy === 'wait' || slowRuns.length === 0) {
    await slowDone
  } else if (policy === 'grace') {
    for (const abort of slowAborts) abort.abort()
    await slowDone
  }
  return {sample, settled: slowDone}
}

/** Bridge names found in a full sample, for live samples that follow it. */
export function bridgesOf(sample: Sample): string[] {
  const r = sample.sources['ovsdb-bridge']
  return r ? bridgeNames(r) : []
}

/** The bridges' OpenFlow versions found in a full sample, for live samples that follow it. */
export function bridgeProtocolsOf(sample: Sample): Record<string, string[]> {
  const r = sample.sources['ovsdb-bridge']
  return r ? bridgeProtocols(r) : {}
}
