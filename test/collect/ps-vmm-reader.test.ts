/**
 * The ps-vmm reader on this machine's real /proc: a child started with argv[0] "qemu-system-x86_64"
 * (spawn's argv0; the program is sleep) is listed with its argv, other processes are not.
 */
import {spawn} from 'node:child_process'
import * as fs from 'node:fs'
import {afterAll, describe, expect, it} from 'vitest'
import {argvFor} from '../../src/collect/collect.js'
import {readKernelSource} from '../../src/collect/readers.js'
import {STATIC_SOURCES} from '../../src/collect/sources.js'
import {parsePsVmm} from '../../src/parsers/ps-vmm.js'

const child = spawn('sleep', ['30'], {argv0: 'qemu-system-x86_64', stdio: 'ignore'})
afterAll(() => {
  child.kill()
})

describe('ps-vmm reader', () => {
  it('lists the VMM-named process with its argv, and nothing that is not a VMM', async () => {
    // The child's /proc entry exists once spawn returned a pid; its cmdline is set once it has exec'd sleep.
    expect(child.pid).toBeDefined()
    let rows: Array<{pid: number; argv: string[]}> = []
    for (let i = 0; i < 50 && !rows.some((r) => r.pid === child.pid); i++) {
      rows = JSON.parse(readKernelSource(fs, 'ps-vmm', [])) as typeof rows
      if (!rows.some((r) => r.pid === child.pid)) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(rows.find((r) => r.pid === child.pid)?.argv).toEqual(['qemu-system-x86_64', '30'])
    expect(rows.every((r) => /^(qemu-system-[a-z0-9_]+|qemu-kvm|cloud-hypervisor)$/.test(r.argv[0]!.split('/').pop()!))).toBe(true)
    const parsed = parsePsVmm(JSON.stringify(rows))
    expect(parsed.ok && parsed.value.processes.find((p) => p.pid === child.pid)).toMatchObject({kind: 'qemu', vcpus: 1, nics: []})
  })

  it('is a /proc reader, never a command (no argv: nothing runs, no shell)', () => {
    const spec = STATIC_SOURCES.find((s) => s.id === 'ps-vmm')!
    expect(spec).toMatchObject({side: 'proc', reader: 'ps-vmm', path: '/proc', live: false})
    expect(spec.argv).toBeUndefined()
    // /proc is the same in every network namespace: read in-process also with --netns.
    expect(argvFor(spec, {netns: 'lab-host0', ovsRundir: null})).toBeNull()
  })
})
