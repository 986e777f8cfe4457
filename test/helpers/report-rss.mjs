// Preloaded into a CLI child (node --import): writes the process's peak resident size, in kB, to
// DD_RSS_FILE when it exits, so a test can bound the memory a crafted input costs.
import {writeFileSync} from 'node:fs'

process.on('exit', () => {
  if (process.env.DD_RSS_FILE) writeFileSync(process.env.DD_RSS_FILE, String(process.resourceUsage().maxRSS))
})
