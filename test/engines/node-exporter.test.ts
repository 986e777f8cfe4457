/**
 * A real node_exporter (Debian's prometheus-node-exporter) on a free loopback port, with only the
 * textfile collector, serving what `diagnose --prometheus-textfile` wrote, scraped over HTTP; then
 * the file is replaced by the fixed bundle's and scraped again. Stopped by its PID.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {builtCli, bundle, gateEngines, type CliRun} from './engines.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'dd-node-exporter-'))
const textfileDir = path.join(tmp, 'textfile')
const textfile = path.join(textfileDir, 'dpdk_doctor.prom')

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

describe('node_exporter textfile collector', () => {
  const ok = gateEngines(['prometheus-node-exporter'])
  let exporter: ChildProcess | null = null
  let exporterLog = ''
  let url = ''
  let cli: (args: string[]) => Promise<CliRun>

  beforeAll(async () => {
    if (!ok) return
    cli = (await builtCli()).run
    rmSync(textfileDir, {recursive: true, force: true})
    mkdirSync(textfileDir)
    const port = await freePort()
    url = `http://127.0.0.1:${port}/metrics`
    exporter = spawn('prometheus-node-exporter', [
      '--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${textfileDir}`,
      '--web.disable-exporter-metrics', `--web.listen-address=127.0.0.1:${port}`,
    ], {stdio: ['ignore', 'pipe', 'pipe']})
    exporter.stdout!.on('data', (b: Buffer) => (exporterLog += b.toString()))
    exporter.stderr!.on('data', (b: Buffer) => (exporterLog += b.toString()))
    // Ready when it answers (it logs "Listening on" first); give up after 15 s.
    const until = Date.now() + 15_000
    for (;;) {
      if (exporter.exitCode !== null) throw new Error(`node_exporter exited ${exporter.exitCode}:\n${exporterLog}`)
      try {
        if ((await fetch(url)).ok) break
      } catch {
        // not listening yet
      }
      if (Date.now() > until) throw new Error(`node_exporter did not answer on ${url}:\n${exporterLog}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  })

  afterAll(async () => {
    if (exporter?.pid !== undefined && exporter.exitCode === null) {
      const exited = new Promise((r) => exporter!.once('exit', r))
      process.kill(exporter.pid, 'SIGTERM')
      await exited
    }
    rmSync(tmp, {recursive: true, force: true})
  })

  const scrape = async () => {
    const r = await fetch(url)
    expect(r.status).toBe(200)
    return r.text()
  }

  it('serves the broken bundle\'s rule states over HTTP', async () => {
    const r = await cli(['diagnose', '--from', bundle('lab-broken-huge-load'), '--prometheus-textfile', textfile])
    expect(r.exitCode).toBe(2)
    expect(readdirSync(textfileDir)).toEqual(['dpdk_doctor.prom'])
    const body = await scrape()
    expect(body).toMatch(/^dpdk_doctor_rule_state\{rule="internal-port-has-ip",severity="critical",state="fail",subject="ovsbr0"\} 1$/m)
    expect(body).toMatch(/^dpdk_doctor_verdict\{kind="kernel-bypass"\} 1$/m)
    expect(body).toMatch(/^dpdk_doctor_exit_code 2$/m)
    expect(body).toMatch(/^dpdk_doctor_pmd_busy_ratio\{core="1",numa="0"\} 0\.49/m)
    expect(body).toMatch(/^node_textfile_scrape_error 0$/m)
    expect(body).toContain(`node_textfile_mtime_seconds{file="${textfile}"}`)
  })

  it('serves the replacement after a second run rewrote the file (fixed bundle)', async () => {
    const r = await cli(['diagnose', '--from', bundle('lab-fixed-huge-load'), '--prometheus-textfile', textfile])
    expect(r.exitCode).toBe(0)
    const body = await scrape()
    expect(body).toMatch(/^dpdk_doctor_rule_state\{rule="internal-port-has-ip",severity="critical",state="pass",subject="host"\} 1$/m)
    expect(body).not.toContain('subject="ovsbr0"')
    expect(body).toMatch(/^dpdk_doctor_verdict\{kind="fast-path"\} 1$/m)
    expect(body).toMatch(/^node_textfile_scrape_error 0$/m)
    expect(readdirSync(textfileDir)).toEqual(['dpdk_doctor.prom'])
  })
})
