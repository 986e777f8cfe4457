/**
 * `--persist`: the persistence edits, made after the change is verified, so the addresses stay
 * off after a reboot. Each file's full content and mode are journaled before the first change; a
 * rollback writes them back. An edit applies only if its line still reads as planned.
 */
import {readFileSync, statSync} from 'node:fs'
import {writeDurably} from './state-files.js'
import type {PersistenceEdit} from './types.js'

export interface JournaledFile {
  path: string
  mode: number
  content: string
}

export function snapshotFiles(edits: readonly PersistenceEdit[]): JournaledFile[] {
  return [...new Set(edits.map((e) => e.file))].map((path) => ({path, mode: statSync(path).mode & 0o7777, content: readFileSync(path, 'utf8')}))
}

/** Edits whose line no longer reads as planned (the file changed since the plan). */
export function staleEdits(edits: readonly PersistenceEdit[]): string[] {
  const problems: string[] = []
  for (const e of edits) {
    let lines: string[]
    try {
      lines = readFileSync(e.file, 'utf8').split('\n')
    } catch (error) {
      problems.push(`${e.file}: ${(error as Error).message}`)
      continue
    }
    if (lines[e.line - 1] !== e.text) problems.push(`${e.file}:${e.line} no longer reads ${JSON.stringify(e.text)}`)
  }
  return problems
}

/** Applies the edits, file by file, bottom line first (deleting a line keeps the lines above in place). */
export function applyEdits(edits: readonly PersistenceEdit[]): string[] {
  const done: string[] = []
  for (const file of [...new Set(edits.map((e) => e.file))]) {
    const mode = statSync(file).mode & 0o7777
    const lines = readFileSync(file, 'utf8').split('\n')
    for (const e of edits.filter((x) => x.file === file).sort((a, b) => b.line - a.line)) {
      if (e.replacement === null) lines.splice(e.line - 1, 1)
      else lines[e.line - 1] = e.replacement
      done.push(`${file}:${e.line}`)
    }
    writeDurably(file, lines.join('\n'), mode)
  }
  return done
}

/** Writes back every journaled file whose content differs; returns the files restored. */
export function restoreFiles(files: readonly JournaledFile[]): string[] {
  const restored: string[] = []
  for (const f of files) {
    let now: string | null = null
    try {
      now = readFileSync(f.path, 'utf8')
    } catch {
      now = null
    }
    if (now !== f.content) {
      writeDurably(f.path, f.content, f.mode)
      restored.push(f.path)
    }
  }
  return restored
}
