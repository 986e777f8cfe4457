/**
 * ovs-ofctl negotiation (issue 10, point 3): ovs-ofctl speaks OpenFlow 1.0 unless given -O, and a
 * bridge whose `protocols` allow only 1.3+ answers "version negotiation failed". The per-bridge
 * ovs-ofctl sources pass the Bridge row's versions, validated against a fixed list.
 */
import {describe, expect, it} from 'vitest'
import {readCapture} from '../../src/capture/bundle.js'
import {bridgeProtocolsOf, collectSample} from '../../src/collect/collect.js'
import {bridgeSources, openflowVersionsArg} from '../../src/collect/sources.js'
import {ReplayRunner, sourceIdForArgv} from '../../src/exec/replay-runner.js'
import type {RunRequest, RunResult, Runner} from '../../src/exec/runner.js'
import {isReadOnlyArgv} from '../../src/fix/read-only.js'

const broken = readCapture('fixtures/bundles/lab-broken-huge-load')
const target = {netns: null, ovsRundir: null}

/** The lab's before sample with the Bridge row's protocols column set to `protocols`. */
function withProtocols(protocols: string[]) {
  const sample = structuredClone(broken.samples[0]!)
  const src = sample.sources['ovsdb-bridge']!
  const table = JSON.parse(src.stdout) as {headings: string[]; data: unknown[][]}
  const column = table.headings.indexOf('protocols')
  for (const row of table.data) row[column] = ['set', protocols]
  src.stdout = JSON.stringify(table)
  return sample
}

class RecordingRunner implements Runner {
  readonly requests: RunRequest[] = []
  constructor(private readonly replay: Runner) {}
  run(request: RunRequest): Promise<RunResult> {
    this.requests.push(request)
    return this.replay.run(request)
  }
}
const ofctlArgvs = (runner: RecordingRunner) => runner.requests.map((r) => r.argv).filter((a) => a[0] === 'ovs-ofctl')

describe('openflowVersionsArg', () => {
  it('joins the allowed versions oldest first', () => {
    expect(openflowVersionsArg(['OpenFlow15', 'OpenFlow13'])).toBe('OpenFlow13,OpenFlow15')
  })
  it('leaves ovs-ofctl at its default for an empty column (OVS default set, which has 1.0)', () => {
    expect(openflowVersionsArg([])).toBeNull()
  })
  it('drops names outside the allow-list before they reach argv', () => {
    expect(openflowVersionsArg(['OpenFlow13', '--strict', 'OpenFlow99', 'openflow14', 'OpenFlow13,OpenFlow10'])).toBe('OpenFlow13')
    expect(openflowVersionsArg(['-evil'])).toBeNull()
  })
})

describe('per-bridge ovs-ofctl sources', () => {
  it('pass -O with the versions the bridge allows, before the command', () => {
    const [, show, ports] = bridgeSources('br-int', ['OpenFlow13', 'OpenFlow15'])
    expect(show!.argv).toEqual(['ovs-ofctl', '-t', '5', '-O', 'OpenFlow13,OpenFlow15', 'show', 'br-int'])
    expect(ports!.argv).toEqual(['ovs-ofctl', '-t', '5', '-O', 'OpenFlow13,OpenFlow15', 'dump-ports', 'br-int'])
    expect(bridgeSources('br-int')[2]!.argv).toEqual(['ovs-ofctl', '-t', '5', 'dump-ports', 'br-int'])
  })
  it('stay in fix plan mode\'s read-only allow-list (the -O value is not the verb)', () => {
    for (const spec of bridgeSources('br-int', ['OpenFlow13', 'OpenFlow15']).filter((s) => s.argv?.[0] === 'ovs-ofctl')) {
      expect(isReadOnlyArgv(spec.argv!), spec.id).toBe(true)
    }
    expect(isReadOnlyArgv(['ovs-ofctl', '-O', 'OpenFlow13', 'add-flow', 'br-int', 'actions=drop'])).toBe(false)
    expect(isReadOnlyArgv(['ovs-ofctl', '-O', 'OpenFlow13', 'del-flows', 'br-int'])).toBe(false)
  })
  it('map back to their source ids when replayed', () => {
    expect(sourceIdForArgv(['ovs-ofctl', '-t', '5', '-O', 'OpenFlow13', 'dump-ports', 'br-int'])).toBe('ofctl-ports.br-int')
    expect(sourceIdForArgv(['ovs-ofctl', '-t', '5', '-O', 'OpenFlow99', 'dump-ports', 'br-int'])).toBeNull()
  })

  it('a full sample reads the versions from the Bridge row collected first', async () => {
    const runner = new RecordingRunner(new ReplayRunner([withProtocols(['OpenFlow13', 'OpenFlow15'])]))
    const {sample} = await collectSample('before', {runner, target, slow: 'wait'})
    const argvs = ofctlArgvs(runner)
    expect(argvs.length).toBe(2)
    for (const argv of argvs) expect(argv.slice(3, 5)).toEqual(['-O', 'OpenFlow13,OpenFlow15'])
    expect(sample.sources['ofctl-ports.ovsbr0']?.status).toBe('ok')
    expect(bridgeProtocolsOf(sample)).toEqual({ovsbr0: ['OpenFlow13', 'OpenFlow15']})
  })

  it('a live sample uses the versions of the full sample before it', async () => {
    const full = withProtocols(['OpenFlow14'])
    const runner = new RecordingRunner(new ReplayRunner([full]))
    await collectSample('during', {runner, target, live: true, knownBridges: ['ovsbr0'], knownProtocols: bridgeProtocolsOf(full)})
    expect(ofctlArgvs(runner)).toEqual([['ovs-ofctl', '-t', '5', '-O', 'OpenFlow14', 'dump-ports', 'ovsbr0']])
  })

  it('an empty protocols column keeps today\'s argv (no -O)', async () => {
    const runner = new RecordingRunner(new ReplayRunner([broken.samples[0]!]))
    await collectSample('before', {runner, target, slow: 'wait'})
    expect(ofctlArgvs(runner).every((a) => !a.includes('-O'))).toBe(true)
  })
})
