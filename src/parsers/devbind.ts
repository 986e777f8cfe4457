/** `dpdk-devbind.py --status` / `--status-dev net` (also the old dpdk_nic_bind.py). */

import type {DevbindDevice, ParseResult} from './types.js'
import {fail, guard, lines, ok, toInt, warningList} from './util.js'

type Section = DevbindDevice['section']

/** Which network section a title opens; null for another device class (Crypto, Baseband, Misc...). */
function networkSection(title: string): Section | null {
  const t = title.trim().toLowerCase()
  if (!t.startsWith('network devices') && !t.startsWith('other network devices')) return null
  if (t.startsWith('other')) return 'other'
  if (t.includes('dpdk-compatible')) return 'dpdk'
  if (t.includes('kernel driver')) return 'kernel'
  return 'other'
}

function isTitle(line: string, next: string | undefined): boolean {
  return next !== undefined && /^=+\s*$/.test(next) && line.trim() !== ''
}

/** "0000:03:00.0 'Desc 1592' numa_node=0 if=a,b drv=x unused=y,z *Active*" */
function deviceLine(line: string, section: Section): DevbindDevice | null {
  const m = /^\s*(\S+)\s+'(.*)'\s*(.*)$/.exec(line)
  if (!m) return null
  const quoted = (m[2] ?? '').trim()
  // Since DPDK 17.05 the device id is the last word of the quoted name.
  const idMatch = /^(.*\S)\s+([0-9a-f]{4})$/i.exec(quoted)
  const device: DevbindDevice = {
    pci: m[1] ?? '',
    description: idMatch ? (idMatch[1] ?? '') : quoted,
    deviceId: idMatch ? (idMatch[2] ?? null) : null,
    numaNode: null,
    ifnames: [],
    driver: null,
    unused: [],
    active: false,
    section,
  }
  const list = (value: string): string[] => value.split(',').filter((v) => v !== '')
  for (const token of (m[3] ?? '').trim().split(/\s+/)) {
    if (token === '') continue
    if (token.toLowerCase() === '*active*') {
      device.active = true
      continue
    }
    const eq = token.indexOf('=')
    if (eq === -1) continue
    const key = token.slice(0, eq).toLowerCase()
    const value = token.slice(eq + 1)
    if (key === 'numa_node') device.numaNode = toInt(value)
    else if (key === 'if') device.ifnames = list(value)
    else if (key === 'drv') device.driver = value === '' ? null : value
    else if (key === 'unused') device.unused = list(value)
  }
  return device
}

export function parseDevbind(text: string): ParseResult<DevbindDevice[]> {
  return guard('dpdk-devbind', () => {
    const warnings = warningList()
    const devices: DevbindDevice[] = []
    const all = lines(text)
    let section: Section | null = null
    let sawTitle = false
    for (let i = 0; i < all.length; i++) {
      const line = all[i] ?? ''
      if (line.trim() === '' || /^=+\s*$/.test(line)) continue
      if (isTitle(line, all[i + 1])) {
        sawTitle = true
        // Other classes (Baseband, Crypto, DMA, Misc...) follow; skip their devices.
        section = networkSection(line)
        continue
      }
      if (section === null) continue
      if (line.trim() === '<none>') continue
      const device = deviceLine(line, section)
      if (device) devices.push(device)
      else warnings.push(`ignored line: ${line.trim().slice(0, 80)}`)
    }
    if (!sawTitle) return fail('dpdk-devbind: no section title ("Network devices using ...")')
    return ok(devices, warnings)
  })
}
