import { type Static, Type } from '@sinclair/typebox';
import { type AllAtOnceRollout, AllAtOnceRolloutSchema, allAtOnceRollout } from './all-at-once.js';
import type { RolloutPlan, RolloutSettingsProblem, RolloutStrategy, RolloutTarget } from './strategy.js';

export * from './all-at-once.js';
export * from './strategy.js';

/*
 * The rollout registry. A new strategy (rolling, canary, blue-green) is a new file in this
 * folder, one entry in `RolloutSchema` and one in `rolloutStrategies`.
 */

/** How a stage spreads a deployment over its targets; `strategy` says which way. */
export const RolloutSchema = Type.Union([AllAtOnceRolloutSchema], {
  description: 'How the stage deploys to its targets; strategy is one of all-at-once',
});
/** Rollout settings as written in a model. */
export type Rollout = Static<typeof RolloutSchema>;
/** The name of a rollout strategy. */
export type RolloutStrategyName = Rollout['strategy'];

/** Every rollout strategy, by the name written in models. */
export const rolloutStrategies: {
  readonly [Strategy in RolloutStrategyName]: RolloutStrategy<Extract<Rollout, { strategy: Strategy }>>;
} = {
  'all-at-once': allAtOnceRollout,
};
/** The strategy names. */
export const rolloutStrategyNames = Object.keys(rolloutStrategies) as RolloutStrategyName[];

/** The rollout a stage uses when it names none. */
export const defaultRollout: AllAtOnceRollout = { strategy: 'all-at-once' };

function strategyOf(settings: Rollout): RolloutStrategy<Rollout> {
  // Method parameters are bivariant, so each entry serves as a strategy for the whole union.
  const strategy: RolloutStrategy<Rollout> = rolloutStrategies[settings.strategy];
  return strategy;
}

/** Splits targets into waves by the stage's rollout settings. */
export function planRollout(settings: Rollout, targets: readonly RolloutTarget[]): RolloutPlan {
  return strategyOf(settings).plan(settings, targets);
}

/** Rules on rollout settings that the schema cannot express. */
export function checkRollout(settings: Rollout): RolloutSettingsProblem[] {
  return strategyOf(settings).check(settings);
}

/** One line describing rollout settings. */
export function describeRollout(settings: Rollout): string {
  return strategyOf(settings).describe(settings);
}
