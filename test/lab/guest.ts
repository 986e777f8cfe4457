/**
 * The guest step of `dpdk-doctor fix`, done to the lab's VM: read a cloud-init network-config v2
 * file (the subset fix writes: ethernets matched by MAC or name glob, addresses, routes,
 * gateway4) and set the VM's kernel stack in lab-vm0 to it. So the e2e tests prove the generated
 * file, rather than assuming it.
 */
import fs from 'node:fs'
import {labExec, LabError, VM_NS} from './lab.js'

export interface GuestNic {
  id: string
  mac: string | null
  name: string | null
  addresses: string[]
  routes: Array<{to: string; via: string}>
}

const unquote = (s: string) => s.trim().replace(/^["']|["']$/g, '')

/** Parses the network-config v2 subset dpdk-doctor writes (and simple hand-written ones). */
export function parseNetworkConfig(text: string): GuestNic[] {
  const nics: GuestNic[] = []
  let ethIndent = -1
  let nicIndent = -1
  let nic: GuestNic | null = null
  let list: 'addresses' | 'routes' | null = null
  let route: {to?: string; via?: string} | null = null
  const flushRoute = () => {
    if (nic && route?.to && route.via) nic.routes.push({to: route.to, via: route.via})
    route = null
  }
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^\s*#.*$/, '')
    if (line.trim() === '') continue
    const indent = line.length - line.trimStart().length
    const t = line.trim()
    if (t === 'ethernets:') {
      ethIndent = indent
      nicIndent = -1
      continue
    }
    if (ethIndent < 0) continue
    if (indent <= ethIndent) {
      flushRoute()
      ethIndent = -1
      nic = null
      continue
    }
    if (nicIndent < 0) nicIndent = indent
    const key = /^([A-Za-z0-9_.*-]+):\s*$/.exec(t)
    if (indent === nicIndent && key) {
      flushRoute()
      nic = {id: key[1]!, mac: null, name: null, addresses: [], routes: []}
      nics.push(nic)
      list = null
      continue
    }
    if (!nic) continue
    const inline = /^addresses:\s*\[(.*)\]$/.exec(t)
    if (inline) {
      nic.addresses.push(...inline[1]!.split(',').map(unquote).filter(Boolean))
      continue
    }
    if (t === 'addresses:') {
      flushRoute()
      list = 'addresses'
      continue
    }
    if (t === 'routes:') {
      list = 'routes'
      continue
    }
    const mac = /^macaddress:\s*(.+)$/.exec(t)
    if (mac) {
      nic.mac = unquote(mac[1]!).toLowerCase()
      continue
    }
    const name = /^name:\s*(.+)$/.exec(t)
    if (name) {
      nic.name = unquote(name[1]!)
      continue
    }
    const gw = /^gateway4:\s*(.+)$/.exec(t)
    if (gw) {
      nic.routes.push({to: 'default', via: unquote(gw[1]!)})
      continue
    }
    if (list === 'addresses' && t.startsWith('- ')) {
      nic.addresses.push(unquote(t.slice(2)))
      continue
    }
    if (list === 'routes') {
      const item = /^(?:-\s*)?(to|via):\s*(.+)$/.exec(t)
      if (item) {
        if (t.startsWith('-')) flushRoute()
        route ??= {}
        route[item[1] as 'to' | 'via'] = unquote(item[2]!)
        continue
      }
    }
    if (/^[a-z0-9-]+:/.test(t)) list = null
  }
  flushRoute()
  return nics
}

const ADDRESS = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/
const HOST = /^\d{1,3}(\.\d{1,3}){3}$/

/** Sets the VM (lab-vm0) to the file: its NIC found by MAC (or name glob), addresses and routes replaced. */
/** vmNs: the VM's namespace (lab-vm0; the two-host lab's VM1 is lab-vm1). */
export async function applyGuestConfig(file: string, vmNs: string = VM_NS): Promise<{ifname: string; addresses: string[]; routes: Array<{to: string; via: string}>}> {
  const nics = parseNetworkConfig(fs.readFileSync(file, 'utf8'))
  if (nics.length !== 1) throw new LabError(`${file}: expected one ethernet, found ${nics.length}`)
  const nic = nics[0]!
  for (const a of nic.addresses) if (!ADDRESS.test(a)) throw new LabError(`${file}: not an IPv4 address/len: ${a}`)
  for (const r of nic.routes) if (!(r.to === 'default' || ADDRESS.test(r.to)) || !HOST.test(r.via)) throw new LabError(`${file}: bad route ${r.to} via ${r.via}`)
  const links = JSON.parse((await labExec(null, ['ip', '-n', vmNs, '-j', 'link', 'show'], {check: true})).stdout) as Array<{ifname: string; address?: string}>
  const glob = nic.name ? new RegExp(`^${nic.name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`) : null
  const match = links.filter((l) => l.ifname !== 'lo' && (nic.mac ? l.address?.toLowerCase() === nic.mac : glob ? glob.test(l.ifname) : false))
  if (match.length !== 1) throw new LabError(`${file}: ${match.length} interfaces in ${vmNs} match ${nic.mac ?? nic.name ?? '(nothing)'}`)
  const dev = match[0]!.ifname
  const ip = (...args: string[]) => labExec(null, ['ip', '-n', vmNs, ...args], {check: true})
  await ip('addr', 'flush', 'dev', dev)
  await ip('route', 'flush', 'dev', dev)
  for (const a of nic.addresses) await ip('addr', 'add', a, 'dev', dev)
  for (const r of nic.routes) await ip('route', 'replace', r.to, 'via', r.via, 'dev', dev)
  await ip('neigh', 'flush', 'all')
  return {ifname: dev, addresses: nic.addresses, routes: nic.routes}
}
