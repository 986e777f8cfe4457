/**
 * The dashboard in a real terminal, no lab needed: tmux (its own socket, ended afterwards) runs the
 * BUILT `watch --from <bundle>` in an 80-column window under NO_COLOR=1. No colour reaches the
 * screen, and no line wraps (tmux's -J joins wrapped lines back, so a wrapped one is longer than 80).
 */
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

const SOCKET = `dd-watch-unit-${process.pid}`
const ROOT = resolve('.')
const tmp = mkdtempSync(join(tmpdir(), 'dd-tmux-'))
const tmux = (...args: string[]) => execa('tmux', ['-L', SOCKET, ...args], {reject: false, stdin: 'ignore'})
const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`

beforeAll(() => {
  if (!existsSync('dist/commands/watch.js')) throw new Error('dist/ is missing: run `npm run build` first')
})
afterAll(async () => {
  await tmux('kill-server')
  rmSync(tmp, {recursive: true, force: true})
})

describe('watch --from in tmux at 80 columns, NO_COLOR=1', () => {
  it('prints no colour and wraps no line', async () => {
    const exitFile = join(tmp, 'exit')
    const command = `cd ${quote(ROOT)} && env -u CI NO_COLOR=1 NODE_ENV=production TERM=xterm-256color node bin/run.js watch --from fixtures/bundles/lab-broken-huge-load; echo $? > ${quote(exitFile)}; sleep 30`
    const started = await tmux('new-session', '-d', '-s', 'w', '-x', '80', '-y', '40', command)
    expect(started.exitCode, String(started.stderr)).toBe(0)
    let screen = ''
    for (let i = 0; i < 60; i++) {
      screen = String((await tmux('capture-pane', '-p', '-e', '-J', '-t', 'w')).stdout)
      if (/KERNEL PATH/.test(screen) && /enp65s0f0np0/.test(screen)) break
      await sleep(250)
    }
    expect(screen).toMatch(/KERNEL PATH/)
    // SGR colour codes: 30-37, 38;..., 40-47, 48;..., 90-97, 100-107 (bold, dim, inverse are not colour).
    const colours = [...screen.matchAll(/\u001B\[([0-9;]*)m/g)].filter((m) => m[1]!.split(';').some((p) => /^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$/.test(p)))
    expect(colours.map((m) => JSON.stringify(m[0])), screen).toEqual([])
    // eslint-disable-next-line no-control-regex
    const plain = screen.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '')
    for (const line of plain.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80)
    expect(plain).toMatch(/^dpdk-doctor watch +host lab-host0/m)
    expect(plain).toMatch(/^enp65s0f0np0 /m)
    await tmux('send-keys', '-t', 'w', 'q')
    for (let i = 0; i < 40 && !existsSync(exitFile); i++) await sleep(250)
    expect(readFileSync(exitFile, 'utf8').trim()).toBe('2')
  }, 40_000)
})
