/**
 * Sosreport archives (.tar.xz, .tar.gz): listed with the system tar first and refused when any
 * member could write outside the unpack directory or is not a plain file, directory or inside link;
 * then unpacked into a private temporary directory, read as a sosreport and removed again.
 *
 * Limits (docs/capture-format.md, "Sosreports"): a member over MAX_MEMBER_BYTES, members over
 * MAX_TOTAL_BYTES in all or more than MAX_MEMBERS members refuse the archive; so do absolute names,
 * ".." components, symlinks or hardlinks whose target leaves the archive, devices, fifos and
 * sockets. Compression is told by tar itself.
 */
import {mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, posix} from 'node:path'
import {DoctorError} from '../errors.js'
import {HostRunner} from '../exec/runner.js'
import type {Runner} from '../exec/runner.js'
import {readCapture} from './bundle.js'
import {isSosReportDir} from './sos.js'
import type {Capture} from './types.js'

/** Largest member: sos caps a collected file at 25 MiB by default and logs stay below this. */
export const MAX_MEMBER_BYTES = 512 * 1024 * 1024
export const MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
export const MAX_MEMBERS = 500_000
const LIST_TIMEOUT_MS = 120_000
const UNPACK_TIMEOUT_MS = 600_000

const ARCHIVE_NAME = /\.(tar\.xz|tar\.gz|tgz|txz|tar)$/

export function isArchivePath(path: string): boolean {
  try {
    return ARCHIVE_NAME.test(path) && statSync(path).isFile()
  } catch {
    return false
  }
}

export interface TarMember {
  /** First letter of tar's mode column: "-" file, "d" directory, "l" symlink, "h" hardlink, "c"/"b"/"p"/"s" special. */
  type: string
  size: number | null
  name: string
  /** Link target of a symlink ("->") or hardlink ("link to"). */
  target: string | null
}

/** GNU tar's `tar -tv --numeric-owner` line: mode owner size date time name [-> target | link to target]. */
const LISTING = /^(\S)\S{9}\S*\s+\S+\s+(\S+)\s+\d{4}-\d{2}-\d{2}\s+\d{2}:\d{2}(?::\d{2})?\s+(.*)$/

export function parseTarListing(text: string): {members: TarMember[]; unreadable: string[]} {
  const members: TarMember[] = []
  const unreadable: string[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const m = LISTING.exec(line)
    if (!m) {
      unreadable.push(line)
      continue
    }
    const type = m[1]!
    let name = m[3]!
    let target: string | null = null
    const arrow = type === 'l' ? name.indexOf(' -> ') : type === 'h' ? name.indexOf(' link to ') : -1
    if (arrow !== -1) {
      target = name.slice(arrow + (type === 'l' ? 4 : 9))
      name = name.slice(0, arrow)
    }
    members.push({type, size: /^\d+$/.test(m[2]!) ? Number(m[2]) : null, name, target})
  }
  return {members, unreadable}
}

/** Whether an archive path stays inside the unpack directory. */
function staysInside(path: string): boolean {
  if (path.startsWith('/')) return false
  const normal = posix.normalize(path)
  return normal !== '..' && !normal.startsWith('../') && !path.split('/').includes('..')
}

/** Why an archive is refused, or null when every member is acceptable. */
export function refusal(members: TarMember[], unreadable: string[]): string | null {
  if (unreadable.length > 0) return `tar listing line not understood: ${unreadable[0]!.slice(0, 120)}`
  if (members.length > MAX_MEMBERS) return `${members.length} members (limit ${MAX_MEMBERS})`
  let total = 0
  for (const m of members) {
    if (!staysInside(m.name)) return `member ${JSON.stringify(m.name)} would be written outside the unpack directory`
    if (m.type === 'l') {
      if (m.target === null || m.target.startsWith('/') || !staysInside(posix.join(posix.dirname(m.name), m.target))) {
        return `symlink ${JSON.stringify(m.name)} points outside the archive (${JSON.stringify(m.target)})`
      }
    } else if (m.type === 'h') {
      if (m.target === null || !staysInside(m.target)) return `hardlink ${JSON.stringify(m.name)} points outside the archive (${JSON.stringify(m.target)})`
    } else if (m.type !== '-' && m.type !== 'd') {
      return `member ${JSON.stringify(m.name)} is a device, fifo or socket (type ${m.type})`
    }
    if (m.size === null) return `member ${JSON.stringify(m.name)} has no readable size`
    if (m.size > MAX_MEMBER_BYTES) return `member ${JSON.stringify(m.name)} is ${m.size} bytes (limit ${MAX_MEMBER_BYTES})`
    total += m.size
    if (total > MAX_TOTAL_BYTES) return `members hold over ${MAX_TOTAL_BYTES} bytes`
  }
  return null
}

function refused(path: string, why: string): DoctorError {
  return new DoctorError('E_BUNDLE', `refusing the sosreport archive ${path}: ${why}`, {
    suggestions: ['Unpack it yourself where it is safe and give the directory to --from.'],
  })
}

/** The sos tree in an unpack directory: the directory itself or its one top-level directory. */
function sosRoot(dir: string): string | null {
  if (isSosReportDir(dir)) return dir
  const entries = readdirSync(dir)
  const top = entries.length === 1 ? join(dir, entries[0]!) : null
  return top !== null && isSosReportDir(top) ? top : null
}

/** Unpacks a checked archive, reads it as a sosreport, removes the unpacked tree. */
export async function readSosArchive(path: string, runner: Runner = new HostRunner()): Promise<Capture> {
  const listing = await runner.run({argv: ['tar', '-t', '-v', '--numeric-owner', '-f', path], timeoutMs: LIST_TIMEOUT_MS})
  if (listing.exitCode !== 0) throw refused(path, `tar could not list it (${(listing.stderr || listing.error || `exit ${listing.exitCode}`).trim().slice(0, 200)})`)
  const {members, unreadable} = parseTarListing(listing.stdout)
  const why = refusal(members, unreadable)
  if (why !== null) throw refused(path, why)
  const dir = mkdtempSync(join(tmpdir(), 'dpdk-doctor-sos-'))
  try {
    const unpack = await runner.run({
      argv: ['tar', '-x', '-f', path, '-C', dir, '--no-same-owner', '--no-same-permissions', '--no-overwrite-dir'],
      timeoutMs: UNPACK_TIMEOUT_MS,
    })
    if (unpack.exitCode !== 0) throw refused(path, `tar could not unpack it (${(unpack.stderr || unpack.error || `exit ${unpack.exitCode}`).trim().slice(0, 200)})`)
    const root = sosRoot(dir)
    if (root === null) throw refused(path, 'it holds no sosreport (no sos_commands/ at its top)')
    return readCapture(root)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** What --from names: a bundle or sosreport directory (read as is) or a sosreport archive. */
export async function readCaptureFrom(path: string, runner?: Runner): Promise<Capture> {
  return isArchivePath(path) ? readSosArchive(path, runner) : readCapture(path)
}
