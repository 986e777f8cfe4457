/**
 * What would put the removed addresses back at boot: netplan YAML, ifupdown interfaces files,
 * NetworkManager keyfiles, and a setup script the user names. Read-only: it shows the exact edit
 * (file, line, the line as it is, what to put instead). Paths are read under a root directory so
 * tests use fixtures.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import type {PersistenceEdit} from './types.js'

export interface PersistenceQuery {
  /** "/" on a host; a fixture tree in tests (DPDK_DOCTOR_CONFIG_ROOT). */
  root: string
  /** Device -> the addresses being removed from it ("10.10.1.1/24"). */
  removals: Record<string, string[]>
  setupScript: string | null
}

function read(path: string): string[] | null {
  try {
    return readFileSync(path, 'utf8').split('\n')
  } catch {
    return null
  }
}

function list(dir: string, pattern: RegExp): string[] {
  try {
    return readdirSync(dir).filter((f) => pattern.test(f)).sort().map((f) => join(dir, f))
  } catch {
    return []
  }
}

const indentOf = (line: string) => line.length - line.trimStart().length
const addrOnly = (cidr: string) => cidr.split('/')[0]!
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const mentions = (line: string, cidr: string) => new RegExp(`(^|[\\s"'\\[,])${escape(addrOnly(cidr))}(/\\d+)?($|[\\s"'\\],])`).test(line)

function netplan(root: string, dev: string, cidrs: string[]): PersistenceEdit[] {
  const edits: PersistenceEdit[] = []
  for (const file of list(join(root, 'etc/netplan'), /\.ya?ml$/)) {
    const lines = read(file) ?? []
    lines.forEach((line, i) => {
      if (!new RegExp(`^\\s*["']?${escape(dev)}["']?:\\s*$`).test(line)) return
      const base = indentOf(line)
      for (let j = i + 1; j < lines.length; j++) {
        const l = lines[j]!
        if (l.trim() === '' || l.trim().startsWith('#')) continue
        if (indentOf(l) <= base) break
        const hits = cidrs.filter((c) => mentions(l, c))
        if (hits.length === 0 && !/^\s*gateway[46]:/.test(l)) continue
        const inline = /^(\s*addresses:\s*)\[(.*)\]\s*$/.exec(l)
        if (inline) {
          const kept = inline[2]!.split(',').map((s) => s.trim()).filter((s) => s && !cidrs.some((c) => mentions(s, c)))
          edits.push({kind: 'netplan', file, line: j + 1, text: l, replacement: `${inline[1]}[${kept.join(', ')}]`, why: `${dev}: netplan puts ${hits.join(', ')} back at boot`})
        } else {
          edits.push({kind: 'netplan', file, line: j + 1, text: l, replacement: null, why: `${dev}: netplan puts ${hits.length ? hits.join(', ') : 'its gateway'} back at boot`})
        }
      }
    })
  }
  return edits
}

function ifupdown(root: string, dev: string, cidrs: string[]): PersistenceEdit[] {
  const files = [join(root, 'etc/network/interfaces'), ...list(join(root, 'etc/network/interfaces.d'), /^[A-Za-z0-9_.-]+$/)]
  const edits: PersistenceEdit[] = []
  for (const file of files) {
    const lines = read(file)
    if (!lines) continue
    let inStanza = false
    lines.forEach((line, i) => {
      const t = line.trim()
      const stanza = /^(iface|auto|allow-\S+|mapping|source|source-directory)\s/.exec(t)
      if (stanza) {
        const iface = new RegExp(`^iface\\s+${escape(dev)}\\s+inet6?\\s+static\\b`).test(t)
        inStanza = new RegExp(`^iface\\s+${escape(dev)}\\s`).test(t)
        if (iface) edits.push({kind: 'ifupdown', file, line: i + 1, text: line, replacement: line.replace(/\bstatic\b/, 'manual'), why: `${dev}: ifupdown configures it statically at boot`})
        return
      }
      const cmd = new RegExp(`\\bip\\s+(-\\S+\\s+)*a(ddr(ess)?)?\\s+add\\b.*\\bdev\\s+${escape(dev)}\\b`).test(t) && cidrs.some((c) => mentions(t, c))
      const inBlock = inStanza && (/^(address|netmask|gateway|broadcast)\s/.test(t) ? /^address\s/.test(t) ? cidrs.some((c) => mentions(t, c)) : true : false)
      if (cmd || inBlock) edits.push({kind: 'ifupdown', file, line: i + 1, text: line, replacement: `# ${t}  # removed by dpdk-doctor fix`, why: `${dev}: ifupdown adds it back at boot`})
    })
  }
  return edits
}

function networkManager(root: string, dev: string, cidrs: string[]): PersistenceEdit[] {
  const edits: PersistenceEdit[] = []
  for (const file of list(join(root, 'etc/NetworkManager/system-connections'), /\.nmconnection$|^[^.]+$/)) {
    const lines = read(file) ?? []
    if (!lines.some((l) => l.trim() === `interface-name=${dev}`)) continue
    lines.forEach((line, i) => {
      const t = line.trim()
      if (/^address\d*=/.test(t) && cidrs.some((c) => mentions(t.replace(/^address\d*=/, ' '), c))) {
        edits.push({kind: 'networkmanager', file, line: i + 1, text: line, replacement: null, why: `${dev}: NetworkManager activates it with this address`})
      }
    })
    const method = lines.findIndex((l, i) => l.trim() === 'method=manual' && lines.slice(0, i).reverse().find((x) => /^\[.*\]$/.test(x.trim()))?.trim() === '[ipv4]')
    if (method >= 0 && edits.some((e) => e.file === file)) {
      edits.push({kind: 'networkmanager', file, line: method + 1, text: lines[method]!, replacement: 'method=disabled', why: `${dev}: no IPv4 left on it (then: nmcli connection reload)`})
    }
  }
  return edits
}

function setupScript(path: string, dev: string, cidrs: string[]): PersistenceEdit[] {
  const lines = read(path)
  if (!lines) return []
  const edits: PersistenceEdit[] = []
  lines.forEach((line, i) => {
    const t = line.trim()
    if (t.startsWith('#')) return
    const ipAdd = /\bip\b.*\ba(ddr(ess)?)?\s+(add|replace)\b/.test(t) && new RegExp(`\\b${escape(dev)}\\b`).test(t) && cidrs.some((c) => mentions(t, c))
    const ifconfig = new RegExp(`\\bifconfig\\s+${escape(dev)}\\s`).test(t) && cidrs.some((c) => mentions(t, c))
    if (ipAdd || ifconfig) edits.push({kind: 'setup-script', file: path, line: i + 1, text: line, replacement: `${line.slice(0, indentOf(line))}# ${t}  # removed by dpdk-doctor fix`, why: `${dev}: the setup script adds it back`})
  })
  return edits
}

export function findPersistence(q: PersistenceQuery): PersistenceEdit[] {
  const edits: PersistenceEdit[] = []
  for (const [dev, cidrs] of Object.entries(q.removals)) {
    if (cidrs.length === 0) continue
    edits.push(...netplan(q.root, dev, cidrs), ...ifupdown(q.root, dev, cidrs), ...networkManager(q.root, dev, cidrs))
    if (q.setupScript) edits.push(...setupScript(q.setupScript, dev, cidrs))
  }
  return edits
}
