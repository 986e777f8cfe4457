/**
 * V8 tuned for the watch's duty cycle: a few milliseconds of work a second, for minutes.
 *
 * V8 optimises a function once it has run through its interrupt budget (bytes of bytecode) a few
 * times. Code that runs once a second crosses those thresholds one function at a time, for
 * minutes, and TurboFan's compile jobs (on V8's worker threads, CPU nonetheless) plus the
 * re-compiles after deoptimisations cost more than the optimised code saves: measured, about a
 * third of the sampler's CPU at 1 s (docs/performance.md). With ten times the budget only code
 * that is hot within one sample (a large host's loops over thousands of ports) is optimised.
 */
import {setFlagsFromString} from 'node:v8'

/** Ten times V8's default (67,584 bytes in Node 20's V8 11.3). */
export const WATCH_INTERRUPT_BUDGET = 10 * 67_584

/**
 * For the rest of this process: the watch command calls it before its first sample (its process
 * does nothing else), and the CPU bench as the command does. V8 reads the flag when it next resets
 * a function's budget, so nothing already compiled changes.
 */
export function tuneJitForSampling(): void {
  setFlagsFromString(`--interrupt-budget=${WATCH_INTERRUPT_BUDGET}`)
}
