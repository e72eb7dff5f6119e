import { describe, expect, it } from 'vitest';
import {
  checkRollout,
  defaultRollout,
  describeRollout,
  planRollout,
  rolloutStrategies,
  rolloutStrategyNames,
} from './index.js';

describe('rollout registry', () => {
  it('knows every strategy by the name models use', () => {
    expect(rolloutStrategyNames).toEqual(['all-at-once']);
    for (const name of rolloutStrategyNames) expect(rolloutStrategies[name].strategy).toBe(name);
  });

  it('dispatches planning, checks and descriptions to the strategy', () => {
    expect(defaultRollout).toEqual({ strategy: 'all-at-once' });
    expect(planRollout(defaultRollout, [{ name: 'a' }]).waves).toEqual([{ index: 0, targets: ['a'] }]);
    expect(checkRollout(defaultRollout)).toEqual([]);
    expect(describeRollout(defaultRollout)).toBe('all targets at once');
  });
});
