/**
 * A stand-in for ovs-vswitchd's control socket in the stub benchmarks: a unix socket in a run
 * directory (pidfile + ovs-vswitchd.<pid>.ctl) answering ovs-appctl's JSON-RPC requests with the
 * recorded outputs, so `watch` reads its counters the way it does from a real vswitchd.
 */
import {writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import type {Server} from 'node:net'
import {join} from 'node:path'
import {JsonStreamSplitter} from '../../src/exec/unixctl.js'

/** answers: "method params..." -> the text ovs-appctl would print. Others get vswitchd's error. */
export async function startFakeVswitchd(rundir: string, answers: Record<string, string>): Promise<Server> {
  const pid = process.pid
  writeFileSync(join(rundir, 'ovs-vswitchd.pid'), `${pid}\n`)
  const server = createServer((socket) => {
    const splitter = new JsonStreamSplitter()
    socket.setEncoding('utf8')
    socket.on('error', () => undefined)
    socket.on('data', (text: string) => {
      for (const message of splitter.push(text)) {
        const request = JSON.parse(message) as {id: unknown; method: string; params: string[]}
        const key = [request.method, ...request.params].join(' ')
        const result = answers[key]
        socket.write(JSON.stringify(result === undefined ? {id: request.id, result: null, error: `"${request.method}" is not a valid command`} : {id: request.id, result, error: null}))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(join(rundir, `ovs-vswitchd.${pid}.ctl`), resolve))
  server.unref()
  return server
}
