import { type Static, Type } from '@sinclair/typebox';
import type { RolloutStrategy } from './strategy.js';

/** Every target in one wave. */
export const AllAtOnceRolloutSchema = Type.Object(
  {
    strategy: Type.Literal('all-at-once'),
    parallelism: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100_000,
        description: 'At most this many targets execute at the same moment; default: all of them',
      }),
    ),
  },
  {
    additionalProperties: false,
    title: 'all-at-once rollout',
    description: 'Deploys to every target of the stage in a single wave',
  },
);
/** Settings of the all-at-once strategy. */
export type AllAtOnceRollout = Static<typeof AllAtOnceRolloutSchema>;

/** The all-at-once strategy: one wave, no gates between targets. */
export const allAtOnceRollout: RolloutStrategy<AllAtOnceRollout> = {
  strategy: 'all-at-once',
  schema: AllAtOnceRolloutSchema,
  check: () => [],
  describe: (settings) =>
    settings.parallelism === undefined
      ? 'all targets at once'
      : `all targets in one wave, at most ${settings.parallelism} at a time`,
  plan: (settings, targets) => {
    const waves = targets.length === 0 ? [] : [{ index: 0, targets: targets.map((target) => target.name) }];
    const summary =
      targets.length === 0
        ? 'no targets to deploy to'
        : `${targets.length} target${targets.length === 1 ? '' : 's'} in one wave` +
          (settings.parallelism === undefined ? '' : `, at most ${settings.parallelism} at a time`);
    return {
      strategy: 'all-at-once',
      summary,
      waves,
      ...(settings.parallelism === undefined ? {} : { parallelism: settings.parallelism }),
    };
  },
};
