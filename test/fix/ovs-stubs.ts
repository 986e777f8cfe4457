/**
 * Stub OVS tools (ovs-vsctl, ovs-appctl, ovs-ofctl, dpdk-devbind.py) that answer with what the
 * lab's broken host printed (fixtures/bundles/lab-broken-huge-load, before sample): a netdev bridge
 * ovsbr0 with its internal port ovsbr0, dpdk0 and vhost-user1. The kernel side stays real, so a
 * Linux bridge named ovsbr0 in a test namespace plays the internal port. Put the directory first in
 * the CLI's children's PATH with DPDK_DOCTOR_PATH.
 */
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {readCapture} from '../../src/capture/bundle.js'
import {bridgeSources, STATIC_SOURCES} from '../../src/collect/sources.js'

export const STUB_TOOLS = ['ovs-vsctl', 'ovs-appctl', 'ovs-ofctl', 'dpdk-devbind.py'] as const

export function writeOvsStubs(dir: string): string {
  const recorded = readCapture('fixtures/bundles/lab-broken-huge-load').samples[0]!
  const map: Record<string, {stdout: string; exitCode: number | null}> = {}
  for (const spec of [...STATIC_SOURCES, ...bridgeSources('ovsbr0')]) {
    const r = recorded.sources[spec.id]
    if (spec.argv && r && spec.side === 'ovs') map[spec.argv.join('\u0000')] = {stdout: r.stdout, exitCode: r.exitCode}
  }
  const bin = join(dir, 'bin')
  mkdirSync(bin, {recursive: true})
  writeFileSync(join(dir, 'ovs-outputs.json'), JSON.stringify(map))
  const stub = `#!${process.execPath}
const fs = require('fs'), path = require('path')
const tool = path.basename(process.argv[1])
if (tool === 'dpdk-devbind.py') process.exit(0)
if (tool === 'ovs-appctl' && process.argv.includes('fdb/flush')) { process.stdout.write('table successfully flushed\\n'); process.exit(0) }
const map = JSON.parse(fs.readFileSync(${JSON.stringify(join(dir, 'ovs-outputs.json'))}, 'utf8'))
const hit = map[[tool, ...process.argv.slice(2)].join('\\u0000')]
if (!hit) { process.stderr.write(tool + ': stub has no recorded output\\n'); process.exit(1) }
process.stdout.write(hit.stdout); process.exitCode = hit.exitCode ?? 1
`
  for (const tool of STUB_TOOLS) {
    writeFileSync(join(bin, tool), stub)
    chmodSync(join(bin, tool), 0o755)
  }
  return bin
}
