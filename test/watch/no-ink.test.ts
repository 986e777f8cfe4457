/**
 * ink and react are for `watch` only, loaded lazily: no other command's static import graph
 * reaches them, and watch reaches them only through its dynamic import of the renderer.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {describe, expect, it} from 'vitest'

const STATIC_IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm

/** Every bare package a module reaches through static (non-type) imports. */
function staticPackages(entry: string): Set<string> {
  const seen = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(STATIC_IMPORT)) {
      const spec = m[1]!
      if (spec.startsWith('.')) {
        const base = resolve(dirname(file), spec).replace(/\.js$/, '')
        const target = ['.ts', '.tsx'].map((ext) => base + ext).find((p) => existsSync(p))
        if (target) visit(target)
      } else if (!spec.startsWith('node:')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!)
      }
    }
  }
  visit(resolve(entry))
  return packages
}

const commands = (dir: string): string[] => readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? commands(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))

describe('ink is loaded by watch only', () => {
  it.each(commands('commands'))('%s: no static import reaches ink or react', (file) => {
    const packages = staticPackages(file)
    expect(packages.has('ink')).toBe(false)
    expect(packages.has('react')).toBe(false)
  })

  it('watch imports the renderer dynamically, and the renderer is what brings ink', () => {
    expect(readFileSync('commands/watch.ts', 'utf8')).toMatch(/await import\('..\/src\/watch\/ui\/render\.js'\)/)
    expect(staticPackages('src/watch/ui/render.tsx').has('ink')).toBe(true)
  })
})
