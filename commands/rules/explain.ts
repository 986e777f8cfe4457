import {Args} from '@oclif/core'
import {DoctorCommand, jsonFlag} from '../../src/base-command.js'
import {usageLines} from '../../src/usage.js'
import type {RuleMeta} from '../../src/engine/types.js'
import {DoctorError} from '../../src/errors.js'
import {renderRuleExplain} from '../../src/report/rules.js'
import {findRule, RULES} from '../../rules/index.js'

export default class RulesExplain extends DoctorCommand {
  static override summary = 'Explain one rule: why it matters, what it reads, its thresholds, the fix.'

  static override examples = ['<%= config.bin %> rules explain internal-port-has-ip']

  static override args = {
    id: Args.string({description: 'Rule id (see `dpdk-doctor rules`).', required: true}),
  }

  static override flags = {json: jsonFlag("the rule's metadata")}

  static override usage = usageLines('rules explain', RulesExplain.flags, {args: RulesExplain.args})

  async run(): Promise<{rule: RuleMeta}> {
    const {args, flags} = await this.parse(RulesExplain)
    const rule = findRule(args.id)
    if (!rule) {
      const near = RULES.map((r) => r.meta.id).filter((id) => id.includes(args.id) || args.id.split('-').some((w) => w.length > 3 && id.includes(w)))
      throw new DoctorError('E_UNKNOWN_RULE', `no rule named ${JSON.stringify(args.id)}`, {
        suggestions: [near.length > 0 ? `Did you mean: ${near.slice(0, 5).join(', ')}?` : 'List the rules with `dpdk-doctor rules`.'],
      })
    }
    if (!this.jsonEnabled()) this.log(renderRuleExplain(rule.meta, this.style(flags['no-color'])))
    return {rule: rule.meta}
  }
}
