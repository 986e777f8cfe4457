import {Flags} from '@oclif/core'
import {resolve} from 'node:path'
import {assertBundleDir, writeCapture} from '../src/capture/bundle.js'
import {DoctorCommand, jsonFlag} from '../src/base-command.js'
import {usageLines} from '../src/usage.js'
import {captureHost} from '../src/diagnose/service.js'
import {captureLiveFlags, liveRequest, withInterrupt} from '../src/live-flags.js'
import {printable} from '../src/util/printable.js'
import type {LiveFlagValues} from '../src/live-flags.js'
import {hostFlags, hostsRequestOf} from '../src/remote/flags.js'
import type {HostFlagValues} from '../src/remote/flags.js'
import {saveHosts} from '../src/remote/diagnose.js'
import {captureHosts} from '../src/remote/hosts.js'

export interface CaptureSummary {
  bundle: string
  samples: Array<{name: string; takenAt: string; sources: number; notOk: string[]}>
  load: {argv: string[]; exitCode: number | null} | null
}

export default class Capture extends DoctorCommand {
  static override summary = 'Save a capture bundle of this host for offline diagnosis (diagnose --from).'

  static override description = 'Collects every source verbatim, with its status, into DIR (see docs/capture-format.md). Waits for slow optional sources too, since a bundle should be complete.'

  static override examples = [
    '<%= config.bin %> capture --out /tmp/host0',
    '<%= config.bin %> capture --out /tmp/host0-load --load "iperf3 -c 10.10.1.20 -t 10 -J"',
  ]

  static override flags = {
    json: jsonFlag('where the bundle went and what each sample holds'),
    out: Flags.directory({description: 'Directory to write the bundle to (new or empty).', required: true}),
    ...captureLiveFlags,
    ...hostFlags,
  }

  static override usage = usageLines('capture', Capture.flags, {})

  async run(): Promise<CaptureSummary | HostsCaptureSummary> {
    const {flags} = await this.parse(Capture)
    if (flags.host?.length) return this.hosts(flags)
    assertBundleDir(flags.out)
    const capture = await withInterrupt((signal) =>
      captureHost({...liveRequest(flags), signal, progress: this.progress(), thorough: true}).finally(() => this.endProgress()),
    )
    writeCapture(flags.out, capture)
    const summary: CaptureSummary = {
      bundle: resolve(flags.out),
      samples: capture.samples.map((s) => ({
        name: s.name,
        takenAt: s.takenAt,
        sources: Object.keys(s.sources).length,
        notOk: Object.values(s.sources).filter((r) => r.status !== 'ok').map((r) => `${r.id} (${r.status})`),
      })),
      load: capture.manifest.load ? {argv: capture.manifest.load.argv, exitCode: capture.manifest.load.exitCode} : null,
    }
    if (!this.jsonEnabled()) {
      this.log(printable(`Saved ${summary.bundle}`))
      for (const s of summary.samples) this.log(printable(`  ${s.name}: ${s.sources} sources${s.notOk.length ? `; not ok: ${s.notOk.join(', ')}` : ''}`))
    }
    return summary
  }

  /** --host: DIR/<host>/ per host and DIR/hosts.json (diagnose --from DIR reads them); exit 3 when a host failed. */
  private async hosts(flags: HostFlagValues & LiveFlagValues & {out: string}): Promise<HostsCaptureSummary> {
    const capture = await withInterrupt((signal) => captureHosts(hostsRequestOf(flags, {signal, progress: this.progress(), thorough: true})).finally(() => this.endProgress()))
    saveHosts(flags.out, capture)
    const summary: HostsCaptureSummary = {
      dir: resolve(flags.out),
      hosts: capture.hosts.map((h) => ({name: h.name, status: h.status, reason: h.failure?.reason ?? null, samples: h.capture?.samples.length ?? 0})),
    }
    if (summary.hosts.some((h) => h.status !== 'ok')) process.exitCode = 3
    if (!this.jsonEnabled()) {
      this.log(printable(`Saved ${summary.dir}`))
      for (const h of summary.hosts) this.log(printable(`  ${h.name}: ${h.status}${h.reason ? ` (${h.reason})` : ''}, ${h.samples} sample(s)`))
      const failed = summary.hosts.filter((h) => h.status !== 'ok')
      if (failed.length > 0) this.log(printable(`failed hosts: ${failed.map((h) => `${h.name} ${h.status}${h.reason ? ` (${h.reason})` : ''}`).join('; ')}`))
    }
    return summary
  }
}

export interface HostsCaptureSummary {
  dir: string
  hosts: Array<{name: string; status: string; reason: string | null; samples: number}>
}
