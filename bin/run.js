#!/usr/bin/env node
// `--version` and `diagnose --from DIR` are answered without loading @oclif/core (src/fast-path.ts,
// bundled into one file by the build: loading ~100 small ES modules costs more than node's own
// start). Everything else goes through oclif.
const {tryFastPath} = await import('../dist/fast-path.bundle.js')
if (!(await tryFastPath(process.argv.slice(2)))) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
