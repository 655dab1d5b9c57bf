/**
 * The rules registry: rule name -> { factory, defaults, one-line
 * description } (a `RuleDefinition`, pathway.ts). Private to lib/rules;
 * exported through index.ts.
 *
 * Each rule family lives in its own file and exports its definitions; the
 * table below lists the families, and the names, their option types, the
 * public lists RULES / LOW_RANK_FEEDBACK_RULES / ALL_RULES and `listRules()`
 * all derive from it. Adding a rule is one family file (or one more entry
 * in an existing family's table) and one line here. A rule registered at
 * run time (`registerRule`, e.g. in a notebook or a test) exists in that
 * process only: pool workers know the built-in table.
 */
import { ArgumentError, checkInteger, checkOneOf, checkString, describe } from '../core';
import { kolenPollackRules } from './kolen-pollack';
import { kuninRules } from './kunin';
import type { ParamLayer } from './layers';
import { lowRankFeedbackRules } from './low-rank';
import { FeedbackPathway, NoOptions, PathwayContext, RuleDefinition, withDefaults } from './pathway';
import { randomFeedbackRules } from './random-feedback';
import { signSymmetricRules } from './sign-symmetric';

/** The built-in rules, family by family (this order is the order of RULES and listRules). */
const BUILT_IN_RULES = {
  ...randomFeedbackRules, // bp, fa, dfa
  ...signSymmetricRules, // usf, frsf, brsf
  ...kolenPollackRules, // kolen-pollack
  ...kuninRules, // weight-mirror, information-alignment, symmetric-alignment, activation-alignment
  ...lowRankFeedbackRules, // ldfa, dldfa
};

type BuiltInRules = typeof BUILT_IN_RULES;
type OptionsOf<D> = D extends RuleDefinition<infer O> ? O : never;
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** The name of a built-in rule. */
export type RuleName = keyof BuiltInRules;

/** Each rule's options, by name. */
export type RuleOptions = { [R in RuleName]: OptionsOf<BuiltInRules[R]> };

/**
 * A rule and its options, typed per rule: a discriminated union keyed by
 * `rule` (no rule: BP). `{ rule: 'ldfa', feedback: { rank: 10 } }` checks
 * `rank`; `{ rule: 'fa', feedback: { rank: 10 } }` does not compile.
 */
export type RuleSetting = { [R in RuleName]: { rule: R; feedback?: RuleOptions[R] } }[RuleName] | { rule?: undefined; feedback?: NoOptions };

/**
 * Every option of every rule in one type, for code that holds options for a
 * rule chosen at run time (each rule reads only its own fields; see
 * RuleOptions for which are whose).
 */
export type FeedbackOptions = UnionToIntersection<RuleOptions[RuleName]>;

/** One line of `listRules()`. */
export interface RuleInfo {
  name: string;
  family: string;
  description: string;
  defaults: Readonly<object>;
}

const registry = new Map<string, RuleDefinition<object>>();

/**
 * Registers a rule under `name`. A name is registered once: a second
 * registration throws (an ArgumentError naming `name` and the family that
 * holds it), so two families cannot silently replace each other's rule.
 */
export function registerRule<O extends object>(name: string, definition: RuleDefinition<O>): void {
  checkString('name', name);
  const held = registry.get(name);
  if (held) throw new ArgumentError('name', 'a rule name not registered yet', `"${name}", registered by the ${held.family} family`);
  if (!definition || typeof definition !== 'object' || typeof definition.create !== 'function') {
    throw new ArgumentError('definition', 'a RuleDefinition { family, description, defaults, create }', describe(definition));
  }
  checkString('definition.family', definition.family);
  checkString('definition.description', definition.description);
  if (definition.description.includes('\n')) throw new ArgumentError('definition.description', 'one line', definition.description);
  if (!definition.defaults || typeof definition.defaults !== 'object') throw new ArgumentError('definition.defaults', 'an options object', describe(definition.defaults));
  registry.set(name, definition as unknown as RuleDefinition<object>);
}

for (const [name, definition] of Object.entries(BUILT_IN_RULES)) registerRule(name, definition as RuleDefinition<object>);

/** The definition of a registered rule; an unknown name throws an ArgumentError listing the registered ones. */
export function ruleDefinition(rule: string): RuleDefinition<object> {
  checkOneOf('rule', rule, [...registry.keys()]);
  return registry.get(rule) as RuleDefinition<object>;
}

/** Creates the pathway of `rule` for one parametric layer, the rule's defaults under `ctx.options`. */
export function createPathway(rule: RuleName, layer: ParamLayer, ctx: PathwayContext<object>): FeedbackPathway {
  const definition = ruleDefinition(rule);
  checkInteger('outputSize', ctx.outputSize, 1);
  if (ctx.options === null || typeof ctx.options !== 'object') throw new ArgumentError('feedback', 'an options object', ctx.options);
  return definition.create(layer, { ...ctx, options: withDefaults(definition.defaults, ctx.options) });
}

/** Every registered rule with its family, one-line description and defaults, in registration order (`console.table(listRules())`). */
export function listRules(): RuleInfo[] {
  return [...registry].map(([name, d]) => ({ name, family: d.family, description: d.description, defaults: d.defaults }));
}

const BUILT_IN_NAMES = Object.keys(BUILT_IN_RULES) as RuleName[];

/** The built-in full-rank rules (the list the regression fixture pins). */
export const RULES: readonly RuleName[] = BUILT_IN_NAMES.filter((r) => BUILT_IN_RULES[r].family !== 'low-rank');

/** Low-dimensional feedback B = Q P (low-rank.ts): layered and direct. */
export const LOW_RANK_FEEDBACK_RULES: readonly RuleName[] = BUILT_IN_NAMES.filter((r) => BUILT_IN_RULES[r].family === 'low-rank');

/** Every built-in rule. */
export const ALL_RULES: readonly RuleName[] = [...RULES, ...LOW_RANK_FEEDBACK_RULES];
