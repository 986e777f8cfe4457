import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    exclude: ['test/lab/**', 'test/engines/**', 'node_modules/**', 'dist/**'],
    // @oclif/test captures stdout itself; vitest's interception would swallow it.
    disableConsoleIntercept: true,
    testTimeout: 30_000,
  },
})
