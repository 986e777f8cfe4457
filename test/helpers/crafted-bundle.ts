/**
 * Copies of the broken lab bundle edited into hostile shapes, for the crafted-bundle tests and
 * their bench (test/capture/hostile-bundle.test.ts, test/bench/hostile-bundles.ts).
 */
import {cpSync, mkdtempSync, rmSync, symlinkSync} from 'node:fs'
import {join} from 'node:path'

export const CRAFT_FROM = 'fixtures/bundles/lab-broken-huge-load'

/** A fresh copy of the broken lab bundle under root, edited by edit. */
export function craftedBundle(root: string, edit: (dir: string) => void): string {
  const dir = mkdtempSync(join(root, 'b'))
  cpSync(CRAFT_FROM, dir, {recursive: true})
  edit(dir)
  return dir
}

/** Replaces a bundle file by a symbolic link to target. */
export function linkInstead(dir: string, rel: string, target: string): void {
  rmSync(join(dir, rel), {force: true})
  symlinkSync(target, join(dir, rel))
}
