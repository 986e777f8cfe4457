/**
 * Writes a node_exporter textfile atomically, as the textfile collector asks: the content goes to a
 * temp file in the same directory (same filesystem, and a name without .prom so the collector never
 * reads it half-written), then a rename replaces the old file in one step.
 */
import {chmodSync, closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

export function writeTextfileAtomically(path: string, content: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  const fd = openSync(tmp, 'w', 0o644)
  try {
    writeSync(fd, content)
    fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    rmSync(tmp, {force: true})
    throw error
  }
  closeSync(fd)
  // The collector (often another user) must read it whatever the umask.
  chmodSync(tmp, 0o644)
  try {
    renameSync(tmp, path)
  } catch (error) {
    rmSync(tmp, {force: true})
    throw error
  }
}
