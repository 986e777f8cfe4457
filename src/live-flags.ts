/**
 * Flags and wiring shared by the commands that look at a live host (diagnose, capture): the load
 * window, the target (namespace, OVS run dir), and Ctrl-C ending the load's process group.
 */
import {Flags} from '@oclif/core'
import type {LiveRequest} from './diagnose/service.js'
import {parseDuration, splitCommand} from './util/argv.js'

/** The live flags, with what --load and --during do in the command's own words. */
function makeLiveFlags(words: {load: string; during: string}) {
  return {
    load: Flags.string({description: words.load, exclusive: ['during']}),
    during: Flags.string({description: words.during}),
    interval: Flags.string({description: 'Interval between live counter samples during the window.', default: '1s'}),
    'load-timeout': Flags.string({description: 'End the load command after this long.', default: '120s'}),
    netns: Flags.string({description: 'Run the kernel-side sources (ip, ethtool, sysfs) in this network namespace.', env: 'DPDK_DOCTOR_NETNS'}),
    'ovs-rundir': Flags.directory({description: 'OVS run directory with the db.sock and control sockets.', env: 'OVS_RUNDIR'}),
  }
}

export const liveFlags = makeLiveFlags({
  load: 'Run this load (no shell) and diagnose the datapath while it runs, e.g. "iperf3 -c 10.10.1.20 -t 10 -J".',
  during: 'Sample for this long while you run your own load (e.g. 10s).',
})

export const captureLiveFlags = makeLiveFlags({
  load: 'Run this load (no shell) and capture the live counters while it runs, e.g. "iperf3 -c 10.10.1.20 -t 10 -J"; its output goes into the bundle.',
  during: 'Capture the live counters for this long while you run your own load (e.g. 10s).',
})

export interface LiveFlagValues {
  load?: string
  during?: string
  interval: string
  'load-timeout': string
  netns?: string
  'ovs-rundir'?: string
}

/** The live request the flags describe (without signal and progress). */
export function liveRequest(flags: LiveFlagValues): Omit<LiveRequest, 'signal' | 'progress'> {
  return {
    netns: flags.netns ?? null,
    ovsRundir: flags['ovs-rundir'] ?? null,
    load: flags.load ? splitCommand(flags.load) : null,
    duringMs: flags.during ? parseDuration(flags.during) : null,
    intervalMs: parseDuration(flags.interval),
    loadTimeoutMs: parseDuration(flags['load-timeout']),
  }
}

/** Runs fn with an abort signal that Ctrl-C (or SIGTERM) fires; the runner then ends the load's group. */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController()
  const onSignal = () => abort.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    return await fn(abort.signal)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
