import {describe, expect, it} from 'vitest'
import {parseDuration, splitCommand} from '../../src/util/argv.js'

describe('splitCommand', () => {
  it('splits words and quotes like a shell, without one', () => {
    expect(splitCommand('iperf3 -c 10.10.1.20 -t 10 -J')).toEqual(['iperf3', '-c', '10.10.1.20', '-t', '10', '-J'])
    expect(splitCommand(`ip netns exec lab-vm0 sh -c 'echo "a b"'`)).toEqual(['ip', 'netns', 'exec', 'lab-vm0', 'sh', '-c', 'echo "a b"'])
    expect(splitCommand('a "b \\"c\\"" d\\ e ""')).toEqual(['a', 'b "c"', 'd e', ''])
  })

  it('refuses shell syntax that would silently become arguments', () => {
    expect(() => splitCommand('iperf3 -c x | tee out')).toThrow(/without a shell/)
    expect(() => splitCommand('iperf3 -c x ; reboot')).toThrow(/without a shell/)
    expect(() => splitCommand('iperf3 "-c')).toThrow(/unbalanced/)
    expect(() => splitCommand('   ')).toThrow(/empty/)
  })
})

describe('parseDuration', () => {
  it.each([['10s', 10_000], ['1500ms', 1500], ['2m', 120_000], ['7', 7000], ['0.5s', 500]])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })
  it('refuses nonsense', () => {
    expect(() => parseDuration('10 parsecs')).toThrow(/not a duration/)
  })
})
