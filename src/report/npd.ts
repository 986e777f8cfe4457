/**
 * The diagnosis for Kubernetes node-problem-detector's custom-plugin monitor: exit 0 OK, 1 problem,
 * 2 unknown, and one message line of at most 80 characters (NPD's default max_output_length).
 * Our own exit codes would not do: NPD reads CRITICAL (2) as unknown. Pure.
 */
import type {Diagnosis} from '../diagnose/types.js'

export const NPD_EXIT = {OK: 0, PROBLEM: 1, UNKNOWN: 2} as const
export const NPD_MAX_MESSAGE = 80

export function npdExitCode(d: Pick<Diagnosis, 'status'>): number {
  if (d.status === 'OK') return NPD_EXIT.OK
  return d.status === 'UNKNOWN' ? NPD_EXIT.UNKNOWN : NPD_EXIT.PROBLEM
}

/** One line, cut to the limit (by code points, with "..." when cut). */
export function npdLine(s: string): string {
  const chars = Array.from(s.replace(/[\r\n]+/g, ' ').trim())
  return chars.length <= NPD_MAX_MESSAGE ? chars.join('') : `${chars.slice(0, NPD_MAX_MESSAGE - 3).join('')}...`
}

export function renderNpd(d: Diagnosis): string {
  return npdLine(`${d.status}: ${d.verdict.text}`)
}
