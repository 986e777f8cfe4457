#!/usr/bin/env node
// `--version` and `diagnose --from DIR` are answered without loading @oclif/core (src/fast-path.ts);
// everything else goes through oclif.
const {tryFastPath} = await import('../dist/src/fast-path.js')
if (!(await tryFastPath(process.argv.slice(2)))) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
