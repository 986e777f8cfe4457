/**
 * A bundle's text reaches the dashboard escaped (issue 11): a hostname and port names carrying
 * escape sequences are shown as `\x1b[...`, never sent to the terminal, by the ink App and by
 * the plain lines alike.
 */
import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {render} from 'ink-testing-library'
import {afterAll, describe, expect, it} from 'vitest'
import {createWatch} from '../../src/watch/service.js'
import {runPlain} from '../../src/watch/plain.js'
import {App} from '../../src/watch/ui/App.js'
import {BROKEN, waitFor} from './helpers.js'

const tmp = mkdtempSync(join(tmpdir(), 'dd-watch-esc-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))
const ESC = '\u001B[2J\u001B[31mPWNED'

function poisoned(): string {
  const dir = join(tmp, `b${Math.random().toString(16).slice(2)}`)
  cpSync(BROKEN, dir, {recursive: true})
  const cap = join(dir, 'capture.json')
  writeFileSync(cap, readFileSync(cap, 'utf8').replace('"hostname": "lab-host0"', `"hostname": ${JSON.stringify(ESC)}`))
  for (const sample of ['before', 'during']) {
    for (const id of ['ovsdb-port', 'ovsdb-interface']) {
      const p = join(dir, sample, `${id}.out`)
      writeFileSync(p, readFileSync(p, 'utf8').replaceAll('"vhost-user1"', JSON.stringify(`vhost-user1${ESC}`)))
    }
  }
  return dir
}

const request = (from: string) => ({from, netns: null, ovsRundir: null, load: null, loadTimeoutMs: 1000, durationMs: null, save: null})

describe('watch --from a bundle with escape codes', () => {
  it('the ink dashboard shows them escaped', async () => {
    const {session, store} = createWatch(request(poisoned()))
    const view = render(<App session={session} store={store} intervalMs={20} saveDir={() => join(tmp, 'save')} />)
    await waitFor(() => expect(view.lastFrame()).toContain('PWNED'))
    await waitFor(() => expect(session.finished()).toBe(true))
    const out = view.lastFrame()!
    expect(out).toContain('\\x1b[2J\\x1b[31mPWNED')
    expect(out).not.toContain('\u001B[2J')
    view.unmount()
  })

  it('the plain lines show them escaped', async () => {
    const {session, store} = createWatch(request(poisoned()))
    const lines: string[] = []
    const stop = new AbortController()
    await runPlain({session, store, intervalMs: 10, json: false, signal: stop.signal, write: (l) => lines.push(l), warn: (l) => lines.push(l)})
    const text = lines.join('\n')
    expect(text).toContain('vhost-user1\\x1b[2J')
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/)
  })
})
