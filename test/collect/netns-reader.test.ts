import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {netnsReaderArgv, readKernelSource} from '../../src/collect/readers.js'

describe('the netns reader (node -e with the reader source text)', () => {
  const local = (kind: string) => netnsReaderArgv('ns', kind).slice(4) // without `ip netns exec ns`

  it('runs as text in a fresh node, here in the current namespace', async () => {
    const [node, ...args] = local('sysctl-net')
    const r = await execa(node!, args, {reject: false})
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^net\.ipv4\.ip_forward = [01]$/m)
  })

  it('survives a keepNames transpiler (tsx under NODE_ENV=test/development) wrapping inner functions in __name', async () => {
    const [node, ...args] = local('sysfs-stats')
    const code = args[1]!
    // What tsx/esbuild keepNames does to the source text: inner functions go through __name().
    const wrapped = code.replace(/\{/, '{ const probe = __name(() => 0, "probe"); probe();')
    expect(wrapped).not.toBe(code)
    const r = await execa(node!, [args[0]!, wrapped, 'sysfs-stats'], {reject: false})
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout)).toHaveProperty('lo')
    expect(readKernelSource.name).toBe('readKernelSource')
  })
})
