/**
 * Real ansible-core (Debian's ansible-core) drives the documented ways of docs/fleets.md against
 * two inventory hosts on `ansible_connection=local`, each diagnosing another fixture bundle
 * (`--from`): host0 the broken one (CRITICAL), host1 the fixed one (OK). The ad-hoc tree (`-t DIR`),
 * the facts.d script (docs/fleets/dpdk_doctor.fact) and the playbook (docs/fleets/dpdk-doctor-check.yml)
 * are the shipped files, unmodified. The three runs are independent and run at once.
 */
import {execa} from 'execa'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {builtCli, bundle, gateEngines, ROOT} from './engines.js'

const HOSTS = {host0: {bundle: 'lab-broken-huge-load', status: 'CRITICAL', exitCode: 2}, host1: {bundle: 'lab-fixed-huge-load', status: 'OK', exitCode: 0}}
const tmp = mkdtempSync(path.join(tmpdir(), 'dd-ansible-'))

interface Run {
  exitCode: number | null
  out: string
}

interface Doc {
  status: string
  exitCode: number
  verdict: {kind: string; text: string}
}

describe('ansible-core', () => {
  const ok = gateEngines(['ansible', 'ansible-playbook'])
  let adhoc: Run
  let facts: Run
  let check: Run

  beforeAll(async () => {
    if (!ok) return
    const {bin} = await builtCli()
    // The inventory a fleet would have, plus where each host finds its bundle.
    const inventory = {
      computes: {
        hosts: Object.fromEntries(Object.entries(HOSTS).map(([h, v]) => [h, {dpdk_doctor_bundle: bundle(v.bundle), dpdk_doctor_args: ['--from', bundle(v.bundle)]}])),
        vars: {ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3', dpdk_doctor_command: [process.execPath, bin]},
      },
    }
    writeFileSync(path.join(tmp, 'inventory.json'), JSON.stringify(inventory))
    // An empty config: no /etc/ansible/ansible.cfg or ~/.ansible.cfg of this machine changes the run.
    writeFileSync(path.join(tmp, 'ansible.cfg'), '')
    mkdirSync(path.join(tmp, 'facts.d'))
    copyFileSync(path.join(ROOT, 'docs', 'fleets', 'dpdk_doctor.fact'), path.join(tmp, 'facts.d', 'dpdk_doctor.fact'))
    mkdirSync(path.join(tmp, 'facts-out'))
    writeFileSync(path.join(tmp, 'facts.yml'), `- name: ansible_local.dpdk_doctor from the shipped facts.d script
  hosts: computes
  gather_facts: false
  tasks:
    - name: Local facts only
      ansible.builtin.setup:
        gather_subset: ['!all', '!min', 'local']
        fact_path: ${JSON.stringify(path.join(tmp, 'facts.d'))}
      environment:
        DPDK_DOCTOR: ${JSON.stringify(bin)}
        DPDK_DOCTOR_ARGS: "--from {{ dpdk_doctor_bundle }}"
    - name: Keep what the fact holds
      ansible.builtin.copy:
        content: "{{ ansible_local.dpdk_doctor | to_json }}"
        dest: ${JSON.stringify(`${path.join(tmp, 'facts-out')}/{{ inventory_hostname }}.json`)}
`)
    const env = {
      ANSIBLE_CONFIG: path.join(tmp, 'ansible.cfg'),
      ANSIBLE_HOME: path.join(tmp, 'home'),
      ANSIBLE_LOCAL_TEMP: path.join(tmp, 'local-tmp'),
      ANSIBLE_REMOTE_TEMP: path.join(tmp, 'remote-tmp'),
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_RETRY_FILES_ENABLED: 'false',
      // Modules through stdin instead of a copied file: fewer steps per task.
      ANSIBLE_PIPELINING: 'true',
      // The CLI runs the build, not the sources (vitest sets NODE_ENV=test).
      NODE_ENV: 'production',
    }
    const run = async (cmd: string, args: string[]): Promise<Run> => {
      const r = await execa(cmd, ['-i', path.join(tmp, 'inventory.json'), ...args], {reject: false, all: true, env, cwd: tmp, stdin: 'ignore', timeout: 110_000})
      return {exitCode: r.exitCode ?? null, out: String(r.all)}
    }
    ;[adhoc, facts, check] = await Promise.all([
      run('ansible', ['computes', '-m', 'ansible.builtin.command', '-a', `${process.execPath} ${bin} diagnose --json --from {{ dpdk_doctor_bundle }}`, '-t', path.join(tmp, 'tree')]),
      run('ansible-playbook', [path.join(tmp, 'facts.yml')]),
      run('ansible-playbook', [path.join(ROOT, 'docs', 'fleets', 'dpdk-doctor-check.yml')]),
    ])
  })

  afterAll(() => rmSync(tmp, {recursive: true, force: true}))

  it('ad-hoc -t DIR writes one result per host whose stdout is that host\'s diagnosis', () => {
    // A CRITICAL host is a failed command (exit 2), so ansible exits 2; both files are written.
    expect(adhoc.exitCode, adhoc.out).toBe(2)
    for (const [host, want] of Object.entries(HOSTS)) {
      const file = path.join(tmp, 'tree', host)
      expect(existsSync(file), `${host}: ${adhoc.out}`).toBe(true)
      const result = JSON.parse(readFileSync(file, 'utf8')) as {rc: number; stdout: string}
      expect(result.rc, host).toBe(want.exitCode)
      const d = JSON.parse(result.stdout) as Doc
      expect(d.status, host).toBe(want.status)
    }
  })

  it('the facts.d script gives ansible_local.dpdk_doctor, the diagnosis document, on each host', () => {
    expect(facts.exitCode, facts.out).toBe(0)
    for (const [host, want] of Object.entries(HOSTS)) {
      const d = JSON.parse(readFileSync(path.join(tmp, 'facts-out', `${host}.json`), 'utf8')) as Doc
      expect(d.status, host).toBe(want.status)
      expect(d.exitCode, host).toBe(want.exitCode)
    }
    expect(facts.out).not.toMatch(/Failure executing fact script/)
  })

  it('the playbook fails the CRITICAL host and passes the OK one', () => {
    expect(check.exitCode, check.out).toBe(2)
    const recap = (host: string) => new RegExp(`^${host}\\s+: ok=(\\d+)\\s+changed=0\\s+unreachable=0\\s+failed=(\\d+)`, 'm').exec(check.out)
    expect(recap('host0')?.[2], check.out).toBe('1')
    expect(recap('host1')?.[2], check.out).toBe('0')
    expect(check.out).toMatch(/fatal: \[host0\]: FAILED! => .*Traffic is bypassing DPDK: VM -> ovsbr0 \(kernel\) -> enp65s0f0np0 \(.*internal-port-has-ip/)
    expect(check.out).toMatch(/"msg": "OK: DPDK fast path/)
  })
})
