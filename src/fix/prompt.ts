/**
 * A yes/no question on the terminal (stdin a TTY, the question on stderr), false on timeout.
 */
import {createInterface} from 'node:readline'

export function askYes(question: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({input: process.stdin, output: process.stderr})
    const timer = setTimeout(() => {
      process.stderr.write('\n(no answer)\n')
      rl.close()
      resolve(false)
    }, timeoutMs)
    rl.question(question, (answer) => {
      clearTimeout(timer)
      rl.close()
      resolve(/^y(es)?$/i.test(answer.trim()))
    })
  })
}
