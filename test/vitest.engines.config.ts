import {defineConfig} from 'vitest/config'

// The real monitoring and automation engines (test/engines/engines.ts): promtool, node_exporter, ansible.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/engines/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    disableConsoleIntercept: true,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
