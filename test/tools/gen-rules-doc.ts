/** Writes docs/rules.md from the rule registry (npm run docs:rules). */
import {writeFileSync} from 'node:fs'
import {renderRulesMarkdown} from '../../src/report/rules.js'
import {RULES} from '../../rules/index.js'

writeFileSync(new URL('../../docs/rules.md', import.meta.url), renderRulesMarkdown(RULES.map((r) => r.meta)))
console.error(`docs/rules.md: ${RULES.length} rules`)
