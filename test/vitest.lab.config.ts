import {defineConfig} from 'vitest/config'

// Lab tests run against a real OVS-DPDK lab (test/lab/lab.ts): one file at a time, long timeouts.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/lab/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    fileParallelism: false,
    // Safety net: tears the lab down at the end of the run unless it was already up before.
    globalSetup: ['test/lab/global-setup.ts'],
    disableConsoleIntercept: true,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
  },
})
