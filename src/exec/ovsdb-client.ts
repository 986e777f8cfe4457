/**
 * ovsdb-server's socket (<rundir>/db.sock), spoken to directly with OVSDB's JSON-RPC (RFC 7047):
 * `watch` reads the Interface table's per-queue statistics this way at each tick instead of starting
 * an `ovs-vsctl` process each second. One connection is kept open; a request that gets no answer
 * in time drops it (the next request connects afresh), as UnixctlClient does for ovs-vswitchd.
 */
import {JsonRpcConnection, UnixctlError} from './json-rpc.js'

export class OvsdbClient {
  private readonly connection: JsonRpcConnection

  constructor(socketPath: () => string) {
    this.connection = new JsonRpcConnection(socketPath, {socket: "ovsdb-server's socket", peer: 'ovsdb-server'})
  }

  /** The rows of `select` on one table (all rows), with only the given columns. */
  async select(table: string, columns: readonly string[], opts: {timeoutMs: number; signal?: AbortSignal}): Promise<Record<string, unknown>[]> {
    const message = await this.connection.request('transact', ['Open_vSwitch', {op: 'select', table, where: [], columns}], opts)
    if (message.error !== null && message.error !== undefined) throw new UnixctlError(`ovsdb-server: ${JSON.stringify(message.error)}`, 'protocol')
    const result = message.result
    const first = Array.isArray(result) ? (result[0] as {rows?: unknown; error?: unknown} | undefined) : undefined
    if (!first || !Array.isArray(first.rows)) {
      throw new UnixctlError(`ovsdb-server: ${first?.error ? JSON.stringify(first.error) : 'a transact reply without rows'}`, 'protocol')
    }
    return first.rows.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null)
  }

  close(): void {
    this.connection.close()
  }
}
