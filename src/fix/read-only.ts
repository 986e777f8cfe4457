/**
 * Plan mode's read-only allow-list (SAFETY A1): the only commands `fix` without --apply may run.
 * The plan-mode runner refuses anything else, so a planning bug can never change the host.
 */
import {DoctorError} from '../errors.js'
import type {RunRequest, RunResult, Runner} from '../exec/runner.js'
import {netnsReaderArgv} from '../collect/readers.js'

const READER_KINDS = ['sysfs-net', 'sysfs-stats', 'sysctl-net']

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/

/** Drops `ip netns exec NS` and `ip -n NS`-style namespace prefixes, returning the command proper. */
function unwrap(argv: readonly string[]): string[] {
  if (argv[0] === 'ip' && argv[1] === 'netns' && argv[2] === 'exec' && argv[3] && NAME.test(argv[3])) return argv.slice(4)
  return [...argv]
}

const OVS_TABLES = new Set(['Open_vSwitch', 'Bridge', 'Port', 'Interface'])

export function isReadOnlyArgv(argv: readonly string[]): boolean {
  const a = unwrap(argv)
  const [cmd, ...rest] = a
  switch (cmd) {
    case 'ip': {
      let args = rest
      if (args[0] === '-n' && args[1] && NAME.test(args[1])) args = args.slice(2)
      const opts = args.filter((x) => x.startsWith('-'))
      if (!opts.every((o) => ['-j', '-s', '-d', '-4', '-6'].includes(o))) return false
      const words = args.filter((x) => !x.startsWith('-'))
      const [object, verb] = words
      if (['addr', 'address', 'link', 'route'].includes(object ?? '') && (verb === 'show' || verb === 'list')) return true
      return object === 'route' && verb === 'get'
    }
    case 'ss':
      return rest.every((x) => /^-[Htnpa46]+$/.test(x) || x === 'state' || x === 'established')
    case 'ovs-vsctl': {
      const words = rest.filter((x, i) => !x.startsWith('-') && rest[i - 1] !== '-t')
      return ['list', 'get', 'show'].includes(words[0] ?? '') && (words[0] === 'show' || OVS_TABLES.has(words[1] ?? ''))
    }
    case 'ovs-appctl': {
      const words = rest.filter((x, i) => !x.startsWith('-') && rest[i - 1] !== '-T')
      return ['dpif/show', 'dpctl/show', 'dpif-netdev/pmd-stats-show', 'dpif-netdev/pmd-perf-show', 'dpif-netdev/pmd-rxq-show', 'fdb/show'].includes(words[0] ?? '')
    }
    case 'ovs-ofctl': {
      // -t takes seconds, -O the OpenFlow versions (collect/sources.ts negotiates with the bridge's).
      const words = rest.filter((x, i) => !x.startsWith('-') && rest[i - 1] !== '-t' && rest[i - 1] !== '-O')
      return ['show', 'dump-ports'].includes(words[0] ?? '')
    }
    case 'ethtool':
      return ['-i', '-k', '-S', '-g'].includes(rest[0] ?? '') && rest.length === 2
    case 'dpdk-devbind.py':
      return rest[0] === '--status' || rest[0] === '--status-dev'
    default:
      // The in-namespace /sys and /proc readers (src/collect/readers.ts), exactly as the collector builds them.
      return argv[0] === 'ip' && argv[1] === 'netns' && NAME.test(argv[3] ?? '') &&
        READER_KINDS.some((kind) => JSON.stringify(netnsReaderArgv(argv[3]!, kind)) === JSON.stringify(argv))
  }
}

/** A Runner that refuses every command outside the allow-list (plan mode). */
export class ReadOnlyRunner implements Runner {
  /** `load`: the user's own --load command, the one argv allowed besides the list. */
  constructor(private readonly inner: Runner, private readonly load: readonly string[] | null = null) {}

  async run(request: RunRequest): Promise<RunResult> {
    const isLoad = this.load !== null && JSON.stringify(this.load) === JSON.stringify(request.argv)
    if (!isLoad && !isReadOnlyArgv(request.argv)) {
      throw new DoctorError('E_INTERNAL', `plan mode refused to run a command outside its read-only allow-list: ${request.argv.join(' ')}`)
    }
    return this.inner.run(request)
  }
}
