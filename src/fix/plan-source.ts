/** Where a plan starts from in a capture: the last sample with readable addresses and routes. */
import type {Capture, Sample} from '../capture/types.js'
import {DoctorError} from '../errors.js'
import {parseIpState} from './ip-state.js'
import type {IpState} from './ip-state.js'

/** The last sample with the kernel's addresses and routes: the state the plan is made from. */
export function ipStateOf(capture: Capture): {sample: Sample; ip: IpState} {
  for (const sample of [...capture.samples].reverse()) {
    const addr = sample.sources['ip-addr']
    const route = sample.sources['ip-route']
    if (addr?.status === 'ok' && route?.status === 'ok') {
      try {
        return {sample, ip: parseIpState(addr.stdout, route.stdout)}
      } catch {
        // Try an earlier sample.
      }
    }
  }
  throw new DoctorError('E_NO_STATE', 'the capture has no readable `ip -j addr` and `ip -j route` output, so there is nothing to plan from', {
    suggestions: ['Check that iproute2 works on the host (and in --netns), then run fix again.'],
  })
}
