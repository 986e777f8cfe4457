/**
 * The one way a capture bundle's files are read. A bundle comes from someone else's host and is
 * read as root on the engineer's own machine, so it is hostile input: only regular files that
 * resolve inside the bundle are opened (no symbolic link out of it, no device, fifo or socket,
 * which could leak a local file, block forever or never end), each at most FILE_LIMIT bytes and
 * the whole bundle at most BUNDLE_LIMIT (docs/capture-format.md, "Limits").
 */
import {closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, statSync} from 'node:fs'
import type {Stats} from 'node:fs'
import {isAbsolute, join, normalize, sep} from 'node:path'

/**
 * 64 MiB a file: live collection keeps at most 64 Mi characters of a command's stdout (runner.ts,
 * and the unixctl client's 64 MB), so a bundle dpdk-doctor wrote never holds a larger output; the
 * 10,000-port host's largest is 26 MB. Not the 256 MiB first proposed: JSON.parse of a hostile
 * array of tiny values costs ~15 times its size in memory, and 256 MiB of it exhausts the heap.
 */
export const FILE_LIMIT = 64 * 1024 * 1024
/** 512 MiB for all the files of one bundle together (a long watch recording of the large host). */
export const BUNDLE_LIMIT = 512 * 1024 * 1024

export type BundleRead = {kind: 'ok'; text: string} | {kind: 'missing'} | {kind: 'refused'; reason: string}

const MiB = (n: number) => `${Math.round(n / (1024 * 1024))} MiB`

function kindOf(s: Stats): string {
  if (s.isFile()) return 'a regular file'
  if (s.isDirectory()) return 'a directory'
  if (s.isFIFO()) return 'a fifo'
  if (s.isCharacterDevice()) return 'a character device'
  if (s.isBlockDevice()) return 'a block device'
  if (s.isSocket()) return 'a socket'
  if (s.isSymbolicLink()) return 'a symbolic link'
  return 'not a regular file'
}

export class BundleReader {
  /** The bundle directory, resolved: every file read must resolve inside it. */
  readonly root: string
  private used = 0

  constructor(dir: string, readonly limits = {file: FILE_LIMIT, bundle: BUNDLE_LIMIT}) {
    this.root = realpathSync(dir)
    if (!statSync(this.root).isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), {code: 'ENOTDIR'})
  }

  /** Bytes read so far. */
  get bytesRead(): number {
    return this.used
  }

  /** A file of the bundle by its relative path ("before/ip-addr.out"), as text. Never throws. */
  read(rel: string): BundleRead {
    if (rel.includes('\0') || isAbsolute(rel) || normalize(rel).split(sep).includes('..')) return {kind: 'refused', reason: 'its path leads outside the bundle'}
    const path = join(this.root, rel)
    let link: Stats
    try {
      link = lstatSync(path)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return {kind: 'missing'}
      return {kind: 'refused', reason: `cannot be read (${code ?? 'error'})`}
    }
    let real: string
    try {
      real = realpathSync(path)
    } catch (error) {
      // A dangling link, or a loop of links.
      return {kind: 'refused', reason: `is a symbolic link that cannot be resolved (${(error as NodeJS.ErrnoException).code ?? 'error'})`}
    }
    if (!real.startsWith(this.root === sep ? sep : this.root + sep)) return {kind: 'refused', reason: `is ${link.isSymbolicLink() ? 'a symbolic link' : 'reached through a symbolic link'} to a file outside the bundle`}
    // The resolved path, opened without following a link and without blocking (a fifo that
    // replaced the file since the check must not hang the read); fstat then says what it is.
    let fd: number
    try {
      fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ELOOP') return {kind: 'refused', reason: 'is a symbolic link (changed while read)'}
      return {kind: 'refused', reason: `cannot be opened (${code ?? 'error'})`}
    }
    try {
      const st = fstatSync(fd)
      if (!st.isFile()) return {kind: 'refused', reason: `is ${kindOf(st)}, not a regular file`}
      if (st.size > this.limits.file) return {kind: 'refused', reason: `is ${MiB(st.size)}, over the limit of ${MiB(this.limits.file)} a file`}
      if (this.used + st.size > this.limits.bundle) return {kind: 'refused', reason: `would take the bundle over its limit of ${MiB(this.limits.bundle)}`}
      // Exactly the size fstat gave: a file that grows while read is cut there.
      const buf = Buffer.allocUnsafe(st.size)
      let got = 0
      while (got < st.size) {
        const n = readSync(fd, buf, got, st.size - got, got)
        if (n === 0) break
        got += n
      }
      this.used += got
      return {kind: 'ok', text: buf.toString('utf8', 0, got)}
    } catch (error) {
      return {kind: 'refused', reason: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`}
    } finally {
      closeSync(fd)
    }
  }
}
