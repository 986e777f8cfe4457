/**
 * A real OpenSSH server for the ssh transport tests: Debian's sshd in a network namespace of our
 * own (ddssh-<pid>-<n>, loopback only, deleted in stop()), with a host key and a client key made
 * in a temp dir, and an ssh config file naming it. Never the root namespace's links or addresses.
 */
import {execFileSync, spawn} from 'node:child_process'
import type {ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

let counter = 0

export interface SshServer {
  netns: string
  dir: string
  port: number
  /** ssh config with Host dd-remote (root), dd-user (the throwaway user when made) and dd-unknown (empty known_hosts). */
  config: string
  /** The known_hosts file holding the server's key. */
  knownHosts: string
  /** Control socket dir for the CLI (DPDK_DOCTOR_SSH_CONTROL_DIR), private. */
  controlDir: string
  /** argv prefix that runs a command inside the namespace. */
  inNs: (argv: string[]) => string[]
  start(): Promise<void>
  stop(): Promise<void>
  /**
   * The host goes away under its clients: the sessions this sshd forked (its descendants, by PID,
   * from /proc) and then the listener get SIGTERM, so open connections drop and new ones are refused.
   */
  kill(): Promise<void>
  destroy(): Promise<void>
}

/** PIDs whose parent chain leads to `root` (from /proc/PID/stat), deepest first. */
function descendantsOf(root: number): number[] {
  const parent = new Map<number, number>()
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8')
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parent.set(Number(e), ppid)
    } catch {
      // Gone meanwhile.
    }
  }
  const depth = (pid: number): number => {
    let d = 0
    for (let p = parent.get(pid); p !== undefined && p !== root && p > 1; p = parent.get(p)) d++
    return d
  }
  const under = (pid: number) => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true
    return false
  }
  return [...parent.keys()].filter(under).sort((a, b) => depth(b) - depth(a))
}

/** Still running: a child ended by a signal keeps exitCode null (signalCode says it ended). */
const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null

function sh(argv: string[], opts: {input?: string} = {}): string {
  return execFileSync(argv[0]!, argv.slice(1), {encoding: 'utf8', input: opts.input, stdio: ['pipe', 'pipe', 'pipe']})
}

/**
 * opts.join: a second server in that server's namespace (its own sshd, keys and config), on
 * opts.port, named opts.alias in its ssh config: another host for the same client, which can be
 * killed alone. The namespace stays the first server's (only it deletes it).
 * opts.listen: more addresses for sshd (and known_hosts), to be put on a device of the namespace by
 * the test between makeSshServer and start() (a session that arrives on an address the test owns).
 */
export async function makeSshServer(opts: {user?: string; ports?: number[]; join?: SshServer; port?: number; alias?: string; listen?: string[]} = {}): Promise<SshServer> {
  const netns = opts.join?.netns ?? `ddssh-${process.pid}-${counter++}`
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddssh-'))
  fs.chmodSync(dir, 0o755)
  const port = opts.port ?? 2222
  const alias = opts.alias ?? 'dd-remote'
  if (!opts.join) {
    sh(['ip', 'netns', 'add', netns])
    sh(['ip', '-n', netns, 'link', 'set', 'lo', 'up'])
  }
  // sshd's privilege separation directory (Debian's unit makes it at start).
  fs.mkdirSync('/run/sshd', {recursive: true, mode: 0o755})
  sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')])
  sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'client_key')])
  const keys = path.join(dir, 'authorized')
  fs.mkdirSync(keys, {mode: 0o755})
  const pub = fs.readFileSync(path.join(dir, 'client_key.pub'), 'utf8')
  fs.writeFileSync(path.join(keys, 'root'), pub, {mode: 0o644})
  if (opts.user) fs.writeFileSync(path.join(keys, opts.user), pub, {mode: 0o644})
  const hostPub = fs.readFileSync(path.join(dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ')
  const knownHosts = path.join(dir, 'known_hosts')
  fs.writeFileSync(knownHosts, ['127.0.0.1', ...(opts.listen ?? [])].flatMap((a) => [port, ...(opts.ports ?? [])].map((p) => `[${a}]:${p} ${hostPub}\n`)).join(''))
  fs.writeFileSync(path.join(dir, 'known_hosts_empty'), '')
  fs.writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      ...[port, ...(opts.ports ?? [])].map((p) => `Port ${p}`),
      'ListenAddress 127.0.0.1',
      ...(opts.listen ?? []).map((a) => `ListenAddress ${a}`),
      `HostKey ${path.join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${keys}/%u`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  )
  const common = [
    `  HostName 127.0.0.1`,
    `  Port ${port}`,
    `  IdentityFile ${path.join(dir, 'client_key')}`,
    `  IdentitiesOnly yes`,
    `  GlobalKnownHostsFile /dev/null`,
    `  LogLevel ERROR`,
  ]
  const config = path.join(dir, 'ssh_config')
  fs.writeFileSync(
    config,
    [
      `Host ${alias}`,
      '  User root',
      `  UserKnownHostsFile ${knownHosts}`,
      ...common,
      // The same server on its other ports: another host as far as ssh (and its %C) goes.
      ...(opts.ports ?? []).flatMap((p, i) => [`Host dd-remote${i + 2}`, '  User root', `  UserKnownHostsFile ${knownHosts}`, ...common.map((l) => (l.startsWith('  Port') ? `  Port ${p}` : l))]),
      'Host dd-unknown',
      '  User root',
      `  UserKnownHostsFile ${path.join(dir, 'known_hosts_empty')}`,
      ...common,
      ...(opts.user ? ['Host dd-user', `  User ${opts.user}`, `  UserKnownHostsFile ${knownHosts}`, ...common] : []),
      'Host dd-down',
      '  User root',
      '  HostName 127.0.0.1',
      '  Port 2299',
      `  UserKnownHostsFile ${knownHosts}`,
      '',
    ].join('\n'),
  )
  const controlDir = path.join(dir, 'control')
  fs.mkdirSync(controlDir, {mode: 0o700})
  let child: ChildProcess | null = null
  const inNs = (argv: string[]) => ['ip', 'netns', 'exec', netns, ...argv]
  const server: SshServer = {
    netns,
    dir,
    port,
    config,
    knownHosts,
    controlDir,
    inNs,
    async start() {
      // In a mount namespace of its own with an empty /root/.bashrc: bash reads it for every ssh
      // session, and this machine's (pyenv init) takes 1.4 s; the sessions are what is tested.
      fs.writeFileSync(path.join(dir, 'empty-bashrc'), '')
      const bashrc = fs.existsSync('/root/.bashrc') ? `mount --bind ${path.join(dir, 'empty-bashrc')} /root/.bashrc && ` : ''
      const argv = inNs(['unshare', '-m', '--propagation', 'private', 'sh', '-c', `${bashrc}exec /usr/sbin/sshd -D -e -f ${path.join(dir, 'sshd_config')}`])
      child = spawn(argv[0]!, argv.slice(1), {stdio: ['ignore', 'ignore', 'pipe']})
      let err = ''
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
      // Ready when the port accepts: ssh-keyscan inside the namespace answers.
      for (let i = 0; i < 100; i++) {
        try {
          sh(inNs(['ssh-keyscan', '-T', '1', '-p', String(port), '127.0.0.1']))
          return
        } catch {
          if (!running(child)) throw new Error(`sshd exited: ${err}`)
          await new Promise((r) => setTimeout(r, 100))
        }
      }
      throw new Error(`sshd did not start: ${err}`)
    },
    async stop() {
      // Control masters first (they outlive the server's listener): every socket under dir.
      for (const e of fs.readdirSync(dir, {withFileTypes: true, recursive: true})) {
        if (!e.isSocket()) continue
        try {
          sh(inNs(['ssh', '-o', `ControlPath=${path.join(e.parentPath, e.name)}`, '-O', 'exit', 'dd-remote']))
        } catch {
          // Already gone.
        }
      }
      if (child && running(child)) {
        const exited = new Promise((r) => child!.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      child = null
    },
    async kill() {
      if (!child || child.pid === undefined || !running(child)) return
      const exited = new Promise((r) => child!.once('exit', r))
      for (const pid of descendantsOf(child.pid)) {
        try {
          process.kill(pid, 'SIGTERM')
        } catch {
          // Already gone.
        }
      }
      child.kill('SIGTERM')
      await exited
      child = null
    },
    async destroy() {
      await server.stop()
      if (!opts.join) {
        try {
          sh(['ip', 'netns', 'del', netns])
        } catch {
          // Already gone.
        }
      }
      fs.rmSync(dir, {recursive: true, force: true})
    },
  }
  return server
}

/** A throwaway user with no sudo rights (no password either: sudo -n must refuse, not prompt). */
export function makeThrowawayUser(): {name: string; remove: () => void} {
  const name = `ddssh${process.pid % 100000}`
  sh(['useradd', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/bin/sh', name])
  // '*': no password, but not a locked account (sshd refuses '!' accounts for keys without PAM).
  sh(['usermod', '-p', '*', name])
  return {
    name,
    remove: () => {
      try {
        sh(['userdel', name])
      } catch {
        // Already gone.
      }
    },
  }
}
