/** @jsxRuntime automatic */
/** @jsxImportSource react */
// (The pragmas keep the automatic JSX runtime when a loader such as tsx runs this file without our tsconfig.)
/**
 * The dashboard's components: each renders its props and nothing else (no state, no effects).
 * The findings log is a <Static> region above the live table, as a log should be.
 */
import {Component} from 'react'
import type {ErrorInfo, ReactNode} from 'react'
import {Box, Static, Text} from 'ink'
import {fit, formatBits, formatMbps, formatPct, formatRate, PATH_COLOUR, sparkline} from '../format.js'
import type {FindingEntry, LoadView, PathLabel, PmdRow, PortRow, QueueRow, WatchFrame} from '../types.js'

/** Below this many columns the table drops its sparkline and class columns and abbreviates. */
export const NARROW_COLUMNS = 80

const CLASS_SHORT: Record<PortRow['class'], string> = {dpdk: 'dpdk', vhost: 'vhost', internal: 'internal', 'kernel-nic': 'kern-nic', 'ovs-kernel-port': 'ovs-port'}

/** Parts that fit in width, in order of importance (the rest are left out, never wrapped). */
export function fitParts(parts: string[], width: number, sep = '  '): string[] {
  const kept: string[] = []
  for (const p of parts) if ([...kept, p].join(sep).length <= width) kept.push(p)
  return kept
}

export function Header({frame, columns = 200}: {frame: WatchFrame; columns?: number}): ReactNode {
  const host = frame.host ?? '?'
  const where = frame.netns ? (frame.netns === host ? `${host} (netns)` : `${host} (netns ${frame.netns})`) : host
  const title = 'dpdk-doctor watch'
  // A wrapped header pushes the table down a line each frame; what does not fit is left out.
  const parts = fitParts([`host ${where}`, `OVS ${frame.ovsVersion ?? '?'}`, `DPDK ${(frame.dpdkVersion ?? '?').replace(/^DPDK\s+/, '')}`, `bridge ${frame.bridges.join(', ') || '?'}`], columns - 1 - title.length - 2)
  return (
    <Text>
      <Text bold>{title}</Text>
      {parts.length > 0 ? `  ${parts.join('  ')}` : ''}
    </Text>
  )
}

export function PathBanner({path, text, windowS, elapsedS, samples, columns = 200}: {path: PathLabel; text: string; windowS: number; elapsedS: number; samples: number; columns?: number}): ReactNode {
  const colour = PATH_COLOUR[path]
  const label = ` ${path} `
  const suffix = `  (last ${windowS.toFixed(0)} s; ${samples} samples, ${elapsedS.toFixed(0)} s)`
  const room = columns - 1 - label.length - 1
  // The verdict first; the window's figures only when they fit too.
  const verdict = text.length <= room ? text : `${text.slice(0, Math.max(0, room - 1))}~`
  const tail = verdict.length + suffix.length <= room ? suffix : ''
  return (
    <Text>
      <Text bold inverse color={colour}>{label}</Text>
      <Text color={colour}>{` ${verdict}`}</Text>
      <Text dimColor>{tail}</Text>
    </Text>
  )
}

/** The fast path's limits (the verdict's second layer), one line, cut to the terminal. */
export function LimitLine({limits, columns}: {limits: string[]; columns: number}): ReactNode {
  if (limits.length === 0) return null
  const text = `limited by: ${limits.join(', ')}`
  const room = columns - 2
  return <Text color="yellow">{` ${text.length <= room ? text : `${text.slice(0, Math.max(0, room - 1))}~`}`}</Text>
}

/** "…" for a rate not known yet (one refresh of OVSDB's statistics seen), "-" for a counter the port lacks. */
const queueRate = (v: number | null, known: boolean, f: (n: number) => string) => (v !== null ? f(v) : known ? '-' : '…')

/**
 * PortTable: a row per port; with `queues` (the `r` key), a row per queue under each vhost/DPDK port.
 */
export function PortTable({rows, columns, cellS = 2, queues}: {rows: PortRow[]; columns: number; cellS?: number; queues?: QueueRow[]}): ReactNode {
  const narrow = columns < NARROW_COLUMNS
  // Names stay whole when narrow (enp65s0f0np0 is 12): the class column and the sparkline go first.
  const longest = Math.max(4, ...rows.map((r) => r.name.length)) + 1
  const nameW = narrow ? Math.min(16, longest) : 14
  const num = narrow ? 7 : 9
  const fixed = nameW + (narrow ? 0 : 10) + num * 5
  const cells = Math.max(0, ...rows.map((r) => r.history.length))
  // Two columns spare: a line as wide as the terminal wraps in some of them.
  const room = narrow ? 0 : Math.max(0, Math.min(cells, columns - fixed - 4))
  // The sparkline's title must fit above it, or the title line is the one that wraps.
  const sparkTitle = (w: number) => [`last ${Math.round(w * cellS)} s`, `${Math.round(w * cellS)} s`].find((t) => t.length <= w) ?? null
  const sparkW = room > 0 && sparkTitle(room) !== null ? room : 0
  const cell = (s: string) => ` ${s.padStart(num - 1)}`
  const header =
    fit('port', nameW) + (narrow ? '' : fit('class', 10)) + cell(narrow ? 'rx pps' : 'rx pkt/s') + cell(narrow ? 'tx pps' : 'tx pkt/s') +
    cell(narrow ? 'rx Mb' : 'rx Mbit/s') + cell(narrow ? 'tx Mb' : 'tx Mbit/s') + cell(narrow ? 'drop' : 'drops/s') +
    (sparkW > 0 ? `  ${sparkTitle(sparkW)!.padEnd(sparkW)}` : '')
  return (
    <Box flexDirection="column">
      <Text dimColor>{header}</Text>
      {rows.length === 0 ? <Text dimColor>(no port counters yet)</Text> : null}
      {rows.map((r) => (
        <Box key={r.name} flexDirection="column">
          <Box>
            <Text>
              <Text color={r.class === 'dpdk' ? 'green' : r.class === 'kernel-nic' || r.class === 'internal' ? 'red' : undefined}>{fit(r.name, nameW)}</Text>
              {(narrow ? '' : fit(CLASS_SHORT[r.class], 10)) +
                cell(formatRate(r.rxPps)) + cell(formatRate(r.txPps)) + cell(formatMbps(r.rxMbps)) + cell(formatMbps(r.txMbps)) + cell(formatRate(r.dropsPerSec))}
            </Text>
            {sparkW > 0 ? <Text color="cyan">{`  ${sparkline(r.history, sparkW)}`}</Text> : null}
          </Box>
          {(queues ?? []).filter((q) => q.port === r.name).map((q) => {
            const known = q.rxPps !== null || q.txPps !== null
            return (
              <Text key={`${q.port}|${q.queue}`} dimColor>
                {fit(`  q${q.queue}`, nameW) + (narrow ? '' : fit('queue', 10)) +
                  cell(queueRate(q.rxPps, known, formatRate)) + cell(queueRate(q.txPps, known, formatRate)) +
                  cell(queueRate(q.rxMbps, known, formatMbps)) + cell(queueRate(q.txMbps, known, formatMbps))}
              </Text>
            )
          })}
        </Box>
      ))}
      {queues && queues.length === 0 ? <Text dimColor>(no per-queue counters: no vhost/DPDK port has them in OVSDB yet)</Text> : null}
      {queues && queues.length > 0 ? <Text dimColor>(queues: OVSDB statistics, refreshed every 5 s or more; … until two refreshes)</Text> : null}
    </Box>
  )
}

export function PmdLines({pmds, mainThreadPps}: {pmds: PmdRow[]; mainThreadPps: number | null}): ReactNode {
  return (
    <Box flexDirection="column">
      {pmds.map((p) => (
        <Text key={p.label}>{`PMD ${p.label}: busy ${formatPct(p.busyPct)}, ${formatRate(p.pps)} pkt/s`}</Text>
      ))}
      <Text>{`main thread (kernel side of the bridge): ${formatRate(mainThreadPps)} pkt/s`}</Text>
    </Box>
  )
}

export function LoadLine({load}: {load: LoadView | null}): ReactNode {
  if (!load) return <Text dimColor>no load (--run "iperf3 -c ADDRESS -t 30" starts one)</Text>
  const target = load.target ? ` -> ${load.target}` : ''
  if (load.error) return <Text color="yellow">{`load${target}: ${load.error}`}</Text>
  const rate = load.bitsPerSecond === null ? (load.state === 'exited' ? `exited ${load.exitCode ?? '?'}` : 'running') : formatBits(load.bitsPerSecond)
  const retr = load.retransmits === null ? '' : `, ${load.retransmits} retransmits`
  const at = load.interval ? ` (${load.interval} s)` : ''
  const ended = load.state === 'exited' && load.bitsPerSecond !== null ? `, exited ${load.exitCode ?? '?'}` : ''
  return <Text>{`iperf3${target}: ${rate}${retr}${at}${ended}`}</Text>
}

const SEVERITY_COLOUR = {critical: 'red', warning: 'yellow', info: 'gray'} as const

export function FindingsLog({entries, columns = 200}: {entries: FindingEntry[]; columns?: number}): ReactNode {
  // One line per finding, cut to the width (the exit summary and diagnose have the whole text).
  const room = Math.max(10, columns - 1 - 8 - 8)
  const text = (f: FindingEntry) => {
    const line = ` ${f.ruleId} ${f.subject}: ${f.message}`
    return line.length <= room ? line : `${line.slice(0, room - 1)}~`
  }
  return (
    <Static items={entries}>
      {(f) => (
        <Text key={`${f.ruleId}|${f.subject}`}>
          <Text dimColor>{`[${f.atS.toFixed(0).padStart(3)} s] `}</Text>
          <Text color={SEVERITY_COLOUR[f.severity]}>{f.severity.padEnd(8)}</Text>
          {text(f)}
        </Text>
      )}
    </Static>
  )
}

export function FixPlan({lines}: {lines: string[]}): ReactNode {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>Fix plan (from the findings of the last window)</Text>
      {lines.length === 0 ? <Text dimColor>nothing to fix in this window</Text> : lines.map((l, i) => <Text key={l}>{`${i + 1}. ${l}`}</Text>)}
    </Box>
  )
}

export function KeysLine({paused, interactive, notes, showQueues = false, multi = false}: {paused: boolean; interactive: boolean; notes: string[]; showQueues?: boolean; multi?: boolean}): ReactNode {
  return (
    <Box flexDirection="column">
      {notes.map((n) => (
        <Text key={n} dimColor>{n}</Text>
      ))}
      <Text dimColor>
        {interactive ? (multi ? 'q quit  p pause  s save the hosts\' captures' : `q quit  p pause  s save a capture  f fix plan  r queues${showQueues ? ' (on)' : ''}`) : 'Ctrl-C to stop'}
        {paused ? <Text color="yellow">{'  [paused: the screen is frozen, sampling goes on]'}</Text> : null}
      </Text>
    </Box>
  )
}

export interface DashboardProps {
  frame: WatchFrame
  columns: number
  paused: boolean
  showFix: boolean
  interactive: boolean
  /** A row per queue under each vhost/DPDK port (the `r` key). */
  showQueues?: boolean
}

export function Dashboard({frame, columns, paused, showFix, interactive, showQueues = false}: DashboardProps): ReactNode {
  return (
    <Box flexDirection="column">
      <FindingsLog entries={frame.findings} columns={columns} />
      <Header frame={frame} columns={columns} />
      <PathBanner path={frame.path} text={frame.verdictText} windowS={frame.windowS} elapsedS={frame.elapsedS} samples={frame.samples} columns={columns} />
      <LimitLine limits={frame.limits} columns={columns} />
      <Text> </Text>
      <PortTable rows={frame.ports} columns={columns} cellS={frame.sparkCellS} {...(showQueues ? {queues: frame.queues} : {})} />
      <Text> </Text>
      <PmdLines pmds={frame.pmds} mainThreadPps={frame.mainThreadPps} />
      <LoadLine load={frame.load} />
      {showFix ? <FixPlan lines={frame.fix} /> : null}
      <KeysLine paused={paused} interactive={interactive} notes={frame.notes} showQueues={showQueues} />
    </Box>
  )
}

/** A render error shows itself instead of taking the terminal down with a stack trace. */
export class ErrorBoundary extends Component<{children: ReactNode; onError?: (error: Error) => void}, {error: Error | null}> {
  override state: {error: Error | null} = {error: null}

  static getDerivedStateFromError(error: Error): {error: Error} {
    return {error}
  }

  override componentDidCatch(error: Error, _info: ErrorInfo): void {
    this.props.onError?.(error)
  }

  override render(): ReactNode {
    if (this.state.error) return <Text color="red">{`dashboard error: ${this.state.error.message} (q to quit; the summary follows)`}</Text>
    return this.props.children
  }
}
