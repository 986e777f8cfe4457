/** @jsxRuntime automatic */
/** @jsxImportSource react */
// (The pragmas keep the automatic JSX runtime when a loader such as tsx runs this file without our tsconfig.)
/**
 * The two-host dashboard (watch --host A --host B): the per-side lines, the wire between the DPDK
 * ports, the cross-host rules, then each host's section (its banner, port rows, PMD line and latest
 * findings) built from the single-host components. Components only render their props; the App
 * wires the MultiWatch's frame, the keys and the width to them.
 */
import {useMemo, useState} from 'react'
import type {ReactNode} from 'react'
import {Box, Text, useApp, useInput, useStdin} from 'ink'
import {crossText, PATH_COLOUR, wireText} from '../format.js'
import type {HostView, MultiFrame, MultiWatch} from '../multi.js'
import type {FindingEntry} from '../types.js'
import {Header, KeysLine, LimitLine, LoadLine, PathBanner, PmdLines, PortTable} from './components.js'
import {useColumns, useSampler} from './hooks.js'
import {useSyncExternalStore} from 'react'
import {printableDeep} from '../../util/printable.js'

/** Findings shown in a host's section: the latest that fired (diagnose and the summary have them all). */
export const SECTION_FINDINGS = 3

const SEVERITY_COLOUR = {critical: 'red', warning: 'yellow', info: 'gray'} as const

/** A line cut to the terminal, never wrapped (a wrapped line pushes the sections down each frame). */
const cut = (text: string, columns: number) => {
  const room = columns - 2
  return text.length <= room ? text : `${text.slice(0, Math.max(0, room - 1))}~`
}

export function SideLines({frame, columns}: {frame: MultiFrame; columns: number}): ReactNode {
  return (
    <Box flexDirection="column">
      {frame.hosts.map((h, i) => (
        <Text key={h.name} bold color={h.status === 'ok' ? PATH_COLOUR[h.frame.path] : 'red'}>{` ${cut(frame.sides[i] ?? h.name, columns - 1)}`}</Text>
      ))}
    </Box>
  )
}

export function WireLines({frame, columns}: {frame: MultiFrame; columns: number}): ReactNode {
  const wire = frame.wire.length > 0 ? frame.wire.map((d) => `wire: ${wireText(d)}`) : ['wire: (waiting for an interval on both hosts)']
  return (
    <Box flexDirection="column">
      {wire.map((w) => (
        <Text key={w}>{cut(w, columns)}</Text>
      ))}
      {frame.cross.map((c) =>
        c.status === 'pass' || c.status === 'not-applicable' ? null : (
          <Text key={c.ruleId} {...(c.status === 'fail' ? {color: SEVERITY_COLOUR[c.severity]} : {dimColor: true})}>
            {cut(`cross: ${crossText(c)}`, columns)}
          </Text>
        ),
      )}
    </Box>
  )
}

function SectionFindings({entries, columns}: {entries: FindingEntry[]; columns: number}): ReactNode {
  const shown = entries.slice(-SECTION_FINDINGS)
  if (shown.length === 0) return <Text dimColor>no findings yet</Text>
  return (
    <Box flexDirection="column">
      {entries.length > shown.length ? <Text dimColor>{`(${entries.length - shown.length} earlier finding${entries.length - shown.length === 1 ? '' : 's'})`}</Text> : null}
      {shown.map((f) => (
        <Text key={`${f.ruleId}|${f.subject}`}>
          <Text dimColor>{`[${f.atS.toFixed(0).padStart(3)} s] `}</Text>
          <Text color={SEVERITY_COLOUR[f.severity]}>{f.severity.padEnd(8)}</Text>
          {cut(` ${f.ruleId} ${f.subject}: ${f.message}`, columns - 16)}
        </Text>
      ))}
    </Box>
  )
}

/** One host's section: its status when it does not answer (the last frame it gave stays below, dimmed out). */
export function HostSection({view, columns}: {view: HostView; columns: number}): ReactNode {
  const {frame} = view
  const title = `== ${view.name} ${view.status === 'ok' ? '' : `(${view.status}${view.failedAtS !== null ? ` since ${view.failedAtS.toFixed(0)} s` : ''}) `}==`
  return (
    <Box flexDirection="column">
      <Text bold>{cut(title, columns)}</Text>
      {view.status !== 'ok' ? <Text color="red">{cut(` ${view.status.toUpperCase()}${view.reason ? `: ${view.reason}` : ''}`, columns)}</Text> : null}
      {view.status !== 'ok' && frame.samples === 0 ? null : (
        <Box flexDirection="column">
          <Header frame={frame} columns={columns} />
          <PathBanner path={frame.path} text={frame.verdictText} windowS={frame.windowS} elapsedS={frame.elapsedS} samples={frame.samples} columns={columns} />
          <LimitLine limits={frame.limits} columns={columns} />
          <PortTable rows={frame.ports} columns={columns} cellS={frame.sparkCellS} />
          <PmdLines pmds={frame.pmds} mainThreadPps={frame.mainThreadPps} />
          <SectionFindings entries={frame.findings} columns={columns} />
        </Box>
      )}
    </Box>
  )
}

export interface MultiDashboardProps {
  frame: MultiFrame
  columns: number
  paused: boolean
  interactive: boolean
}

export function MultiDashboard({frame, columns, paused, interactive}: MultiDashboardProps): ReactNode {
  const head = `dpdk-doctor watch  ${frame.hosts.length} hosts  (tick ${frame.ticks}, ${frame.elapsedS.toFixed(0)} s)`
  return (
    <Box flexDirection="column">
      <Text bold>{cut(head, columns)}</Text>
      <SideLines frame={frame} columns={columns} />
      <WireLines frame={frame} columns={columns} />
      <LoadLine load={frame.load} />
      {frame.hosts.map((h) => (
        <Box key={h.name} flexDirection="column" marginTop={1}>
          <HostSection view={h} columns={columns} />
        </Box>
      ))}
      <KeysLine paused={paused} interactive={interactive} notes={frame.notes} multi />
    </Box>
  )
}

export interface MultiAppProps {
  watch: MultiWatch
  intervalMs: number
  /** Where `s` saves the hosts' captures (DIR/<host>/ and DIR/hosts.json). */
  saveDir: () => string
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))

export function MultiApp({watch, intervalMs, saveDir}: MultiAppProps): ReactNode {
  const {exit} = useApp()
  const raw = useSyncExternalStore(watch.subscribe, watch.getSnapshot)
  // Names, reasons and notes come from the hosts: escaped before ink draws them.
  const frame = useMemo(() => printableDeep(raw), [raw])
  const columns = useColumns()
  const {isRawModeSupported} = useStdin()
  const interactive = isRawModeSupported === true
  const [frozen, setFrozen] = useState<MultiFrame | null>(null)
  const onDone = () => {
    const reason = watch.finishReason()
    if (interactive && reason === 'load-ended') watch.note('the load ended: q to quit')
    else exit()
  }
  useSampler(watch, {intervalMs, onDone, onError: (e) => watch.note(`a sample failed: ${message(e)}`)})
  useInput(
    (input) => {
      if (input === 'q') exit()
      else if (input === 'p') setFrozen((f) => (f ? null : frame))
      else if (input === 's') {
        watch.requestSave(saveDir()).then(
          (dir) => watch.note(`saved the hosts' captures to ${dir} (dpdk-doctor diagnose --from ${dir})`),
          (e: unknown) => watch.note(`could not save: ${message(e)}`),
        )
      }
    },
    {isActive: interactive},
  )
  return <MultiDashboard frame={frozen ?? frame} columns={columns} paused={frozen !== null} interactive={interactive} />
}
