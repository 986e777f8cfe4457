#!/usr/bin/env node
// `--version`, `--help`, `rules` and `diagnose --from DIR` are answered without loading @oclif/core
// (src/fast-path.ts, bundled by the build into dist/fast/, split so each case loads only its chunks:
// loading ~100 small ES modules costs more than node's own start). Everything else goes through oclif.
const {tryFastPath} = await import('../dist/fast/fast-path.js')
// oclif knows -h only after a command; alone it means --help, as on the fast path.
const argv = process.argv.slice(2)
const args = argv.length === 1 && argv[0] === '-h' ? ['--help'] : argv
if (!(await tryFastPath(args))) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url, args})
}
