import {DoctorCommand, jsonFlag} from '../../src/base-command.js'
import {usageLines} from '../../src/usage.js'
import type {RuleMeta} from '../../src/engine/types.js'
import {renderRuleList} from '../../src/report/rules.js'
import {RULES} from '../../rules/index.js'

export default class Rules extends DoctorCommand {
  static override summary = 'List the diagnosis rules.'

  static override examples = ['<%= config.bin %> rules', '<%= config.bin %> rules --json']

  static override flags = {json: jsonFlag("every rule's metadata")}

  static override usage = usageLines('rules')

  async run(): Promise<{rules: RuleMeta[]}> {
    const {flags} = await this.parse(Rules)
    if (!this.jsonEnabled()) this.log(renderRuleList(RULES.map((r) => r.meta), this.style(flags['no-color'])))
    return {rules: RULES.map((r) => r.meta)}
  }
}
