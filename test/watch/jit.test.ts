/**
 * The watch's V8 tuning: the flag it sets is one this Node's V8 knows (an unknown one is only an
 * "unrecognized flag" line from V8, not an error, and the tuning would silently be gone).
 */
import {spawnSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'

describe('tuneJitForSampling', () => {
  it('sets an interrupt budget this V8 recognises, without a word on stdout or stderr', () => {
    const code = `import('./src/watch/jit.ts').then((m) => { m.tuneJitForSampling(); process.stdout.write('tuned') })`
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {encoding: 'utf8'})
    expect(run.status).toBe(0)
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe('tuned')
  })

})
