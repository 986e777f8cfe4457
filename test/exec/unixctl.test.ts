/**
 * The control-socket client against a fake ovs-vswitchd: a unix socket server speaking OVS's
 * JSON-RPC (messages back to back, no delimiter), split at awkward places; errors, a daemon that
 * never answers, one that hangs up, one that restarts under a new PID.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import type {Server, Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {collectSample} from '../../src/collect/collect.js'
import {controlSocketPath, JsonStreamSplitter, UnixctlClient, UnixctlError} from '../../src/exec/unixctl.js'
import type {RunRequest, RunResult, Runner} from '../../src/exec/runner.js'

type Handler = (request: {id: unknown; method: string; params: string[]}, socket: Socket) => void

const dirs: string[] = []
const servers: Server[] = []
afterEach(() => {
  for (const s of servers.splice(0)) s.close()
  for (const d of dirs.splice(0)) rmSync(d, {recursive: true, force: true})
})

/** A fake vswitchd in a fresh run dir: pidfile + ovs-vswitchd.<pid>.ctl. */
async function fakeDaemon(handler: Handler, pid = 4242, dir = mkdtempSync(join(tmpdir(), 'dd-unixctl-'))): Promise<{dir: string; connections: () => number}> {
  if (!dirs.includes(dir)) dirs.push(dir)
  writeFileSync(join(dir, 'ovs-vswitchd.pid'), `${pid}\n`)
  let connections = 0
  const server = createServer((socket) => {
    connections++
    const splitter = new JsonStreamSplitter()
    socket.setEncoding('utf8')
    socket.on('data', (text: string) => {
      for (const message of splitter.push(text)) handler(JSON.parse(message) as Parameters<Handler>[0], socket)
    })
    socket.on('error', () => undefined)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(join(dir, `ovs-vswitchd.${pid}.ctl`), resolve))
  return {dir, connections: () => connections}
}

const reply = (socket: Socket, body: object) => socket.write(JSON.stringify(body))

describe('JsonStreamSplitter', () => {
  it('splits back-to-back messages, across chunks, with braces and quotes inside strings', () => {
    const a = JSON.stringify({id: 0, result: 'port 1: a {b} "c" \\ }}}', error: null})
    const b = JSON.stringify({id: 1, result: '[{]', error: null})
    const whole = `${a}\n${b}`
    for (let cut = 1; cut < whole.length; cut += 7) {
      const s = new JsonStreamSplitter()
      const out = [...s.push(whole.slice(0, cut)), ...s.push(whole.slice(cut))]
      expect(out.map((m) => JSON.parse(m) as unknown)).toEqual([JSON.parse(a), JSON.parse(b)])
    }
  })

  it('keeps an unfinished message until its end arrives', () => {
    const s = new JsonStreamSplitter()
    expect(s.push('{"id":0,"result":"x')).toEqual([])
    expect(s.push('y"}')).toEqual(['{"id":0,"result":"xy"}'])
  })

  it('refuses unbalanced input, and a message that never ends', () => {
    expect(() => new JsonStreamSplitter().push('}')).toThrow(UnixctlError)
    const s = new JsonStreamSplitter()
    const mb = 'x'.repeat(1024 * 1024)
    s.push('{"result":"')
    expect(() => {
      for (let i = 0; i <= JsonStreamSplitter.MAX_MESSAGE / mb.length; i++) s.push(mb)
    }).toThrow(/reply over 64 MB/)
  })
})

describe('UnixctlClient', () => {
  it('sends the request ovs-appctl sends and returns the text, over one connection', async () => {
    const seen: Array<{method: string; params: string[]}> = []
    const pause = () => new Promise((r) => setTimeout(r, 2))
    let queue = Promise.resolve()
    const daemon = await fakeDaemon((req, socket) => {
      seen.push({method: req.method, params: req.params})
      // Each reply in three writes with pauses between, as a large reply arrives (replies in order).
      const text = JSON.stringify({id: req.id, result: `netdev@ovs-netdev:\n  ${req.method} ${req.params.join(' ')}\n`, error: null})
      queue = queue.then(async () => {
        socket.write(text.slice(0, 5))
        await pause()
        socket.write(text.slice(5, 20))
        await pause()
        socket.write(text.slice(20))
      })
    })
    const client = new UnixctlClient(() => controlSocketPath(daemon.dir))
    const [a, b] = await Promise.all([
      client.call('dpctl/show', ['-s'], {timeoutMs: 2000}),
      client.call('dpif-netdev/pmd-stats-show', [], {timeoutMs: 2000}),
    ])
    expect(a).toEqual({result: 'netdev@ovs-netdev:\n  dpctl/show -s\n', error: null})
    expect(b.result).toContain('dpif-netdev/pmd-stats-show')
    expect(seen).toEqual([{method: 'dpctl/show', params: ['-s']}, {method: 'dpif-netdev/pmd-stats-show', params: []}])
    await client.call('dpctl/show', ['-s'], {timeoutMs: 2000})
    expect(daemon.connections()).toBe(1)
    client.close()
  })

  it("returns the daemon's error text", async () => {
    const daemon = await fakeDaemon((req, socket) => reply(socket, {id: req.id, result: null, error: '"nosuch" is not a valid command'}))
    const client = new UnixctlClient(() => controlSocketPath(daemon.dir))
    expect(await client.call('nosuch', [], {timeoutMs: 2000})).toEqual({result: null, error: '"nosuch" is not a valid command'})
    client.close()
  })

  it('gives up on a daemon that does not answer, and starts a new connection for the next request', async () => {
    let answer = false
    const daemon = await fakeDaemon((req, socket) => {
      if (answer) reply(socket, {id: req.id, result: 'ok\n', error: null})
    })
    const client = new UnixctlClient(() => controlSocketPath(daemon.dir))
    const error = await client.call('dpctl/show', ['-s'], {timeoutMs: 150}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnixctlError)
    expect((error as UnixctlError).kind).toBe('timeout')
    answer = true
    expect((await client.call('dpctl/show', ['-s'], {timeoutMs: 2000})).result).toBe('ok\n')
    expect(daemon.connections()).toBe(2)
    client.close()
  })

  it('an abort ends the request at once', async () => {
    const daemon = await fakeDaemon(() => undefined)
    const client = new UnixctlClient(() => controlSocketPath(daemon.dir))
    const abort = new AbortController()
    const pending = client.call('dpctl/show', ['-s'], {timeoutMs: 10_000, signal: abort.signal}).catch((e: unknown) => e)
    setTimeout(() => abort.abort(), 20)
    expect(((await pending) as UnixctlError).kind).toBe('aborted')
    client.close()
  })

  it('a daemon that hangs up fails what waits; a restarted one (new PID) is found from the pidfile', async () => {
    const first = await fakeDaemon((_req, socket) => socket.destroy())
    const client = new UnixctlClient(() => controlSocketPath(first.dir))
    expect(((await client.call('version', [], {timeoutMs: 2000}).catch((e: unknown) => e)) as UnixctlError).kind).toBe('closed')
    await fakeDaemon((req, socket) => reply(socket, {id: req.id, result: 'ovs-vswitchd (Open vSwitch) 3.1.0\n', error: null}), 4343, first.dir)
    expect((await client.call('version', [], {timeoutMs: 2000})).result).toContain('3.1.0')
    client.close()
  })

  it('no pidfile or no socket: a connect error (the caller then runs ovs-appctl)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'dd-unixctl-'))
    dirs.push(empty)
    const client = new UnixctlClient(() => controlSocketPath(empty))
    expect(((await client.call('version', [], {timeoutMs: 500}).catch((e: unknown) => e)) as UnixctlError).kind).toBe('connect')
    writeFileSync(join(empty, 'ovs-vswitchd.pid'), 'garbage\n')
    expect(((await client.call('version', [], {timeoutMs: 500}).catch((e: unknown) => e)) as UnixctlError).kind).toBe('connect')
  })
})

/** Records what would have been spawned; answers ovs-appctl like the real one fails without a daemon. */
class RecordingRunner implements Runner {
  readonly calls: string[][] = []
  async run(request: RunRequest): Promise<RunResult> {
    this.calls.push(request.argv)
    const base = {argv: request.argv, signal: null, timedOut: false, notFound: false, startedAt: new Date().toISOString(), durationMs: 1, error: null}
    return {...base, stdout: '', stderr: 'ovs-appctl: cannot connect to "/x/ovs-vswitchd.1.ctl" (No such file or directory)\n', exitCode: 1}
  }
}

describe('collectSample with a control socket', () => {
  it('ovs-appctl sources go over the socket (via unixctl, no process); errors read like ovs-appctl', async () => {
    const daemon = await fakeDaemon((req, socket) =>
      req.method === 'dpctl/show'
        ? reply(socket, {id: req.id, result: 'netdev@ovs-netdev:\n  lookups: hit:0 missed:0 lost:0\n', error: null})
        : reply(socket, {id: req.id, result: null, error: 'pmd threads are not supported'}),
    )
    const runner = new RecordingRunner()
    const client = new UnixctlClient(() => controlSocketPath(daemon.dir))
    const {sample} = await collectSample('during', {runner, target: {netns: null, ovsRundir: daemon.dir}, unixctl: client, live: true, knownBridges: [], skip: ['ip-link', 'sysfs-stats']})
    client.close()
    expect(runner.calls).toEqual([])
    expect(sample.sources['dpctl-show']).toMatchObject({status: 'ok', exitCode: 0, via: 'unixctl', argv: ['ovs-appctl', '-T', '5', 'dpctl/show', '-s']})
    expect(sample.sources['dpctl-show']!.stdout).toContain('lookups: hit:0')
    expect(sample.sources['pmd-stats']).toMatchObject({status: 'error', exitCode: 2, via: 'unixctl', reason: 'pmd threads are not supported', stderr: 'pmd threads are not supported\n'})
  })

  it('without a reachable socket the sources run ovs-appctl as before', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'dd-unixctl-'))
    dirs.push(empty)
    const runner = new RecordingRunner()
    const client = new UnixctlClient(() => controlSocketPath(empty))
    const {sample} = await collectSample('during', {runner, target: {netns: null, ovsRundir: empty}, unixctl: client, live: true, knownBridges: [], skip: ['ip-link', 'sysfs-stats']})
    expect(runner.calls.map((a) => a.slice(0, 4).join(' ')).sort()).toEqual(['ovs-appctl -T 5 dpctl/show', 'ovs-appctl -T 5 dpif-netdev/pmd-stats-show'])
    expect(sample.sources['dpctl-show']!.via).toBeUndefined()
    expect(sample.sources['dpctl-show']!.status).toBe('error')
  })
})
