import {expect} from 'vitest'
import type {ParseResult} from '../../src/parsers/types.js'

/** The value of an ok result; fails the test with the parser's error otherwise. */
export function valueOf<T>(result: ParseResult<T>): T {
  if (!result.ok) expect.fail(`expected ok, got error: ${result.error}`)
  return result.value
}

/** Warnings of an ok result. */
export function warningsOf<T>(result: ParseResult<T>): string[] {
  if (!result.ok) expect.fail(`expected ok, got error: ${result.error}`)
  return result.warnings
}
