/**
 * The rule registry: every rule in rules/, listed once, sorted by id.
 * test/rules/registry.test.ts fails if a rule file is missing here, unsorted, untested or undocumented.
 */
import type {Rule} from '../src/engine/types.js'

export const RULES: readonly Rule[] = [
]

export function findRule(id: string): Rule | undefined {
  return RULES.find((r) => r.meta.id === id)
}
