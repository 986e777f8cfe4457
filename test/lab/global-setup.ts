/**
 * Safety net for `vitest --config test/vitest.lab.config.ts`: if the lab was not up when the run
 * started, make sure it is down when the run ends (even if a test file crashed before its afterAll).
 * A lab a developer brought up beforehand is left alone. LAB_KEEP=1 disables the teardown.
 */
import {canRunLab, down, isLabUp} from './lab.js'

export default async function setup(): Promise<() => Promise<void>> {
  const usable = canRunLab().ok
  const wasUp = usable ? await isLabUp() : false
  return async () => {
    if (!usable || wasUp || process.env.LAB_KEEP) return
    await down()
  }
}
