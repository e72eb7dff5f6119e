import { describe, expect, it } from 'vitest';
import { allAtOnceRollout } from './all-at-once.js';

describe('all-at-once rollout', () => {
  const targets = [{ name: 'web-1' }, { name: 'web-2' }, { name: 'web-3' }];

  it('puts every target in one wave, in the order given, with no gate', () => {
    expect(allAtOnceRollout.plan({ strategy: 'all-at-once' }, targets)).toEqual({
      strategy: 'all-at-once',
      summary: '3 targets in one wave',
      waves: [{ index: 0, targets: ['web-1', 'web-2', 'web-3'] }],
    });
  });

  it('carries a parallelism limit', () => {
    const plan = allAtOnceRollout.plan({ strategy: 'all-at-once', parallelism: 2 }, targets);
    expect(plan.parallelism).toBe(2);
    expect(plan.summary).toBe('3 targets in one wave, at most 2 at a time');
    expect(allAtOnceRollout.describe({ strategy: 'all-at-once', parallelism: 2 })).toBe(
      'all targets in one wave, at most 2 at a time',
    );
  });

  it('plans no wave for no targets', () => {
    expect(allAtOnceRollout.plan({ strategy: 'all-at-once' }, [])).toEqual({
      strategy: 'all-at-once',
      summary: 'no targets to deploy to',
      waves: [],
    });
  });

  it('has no rules beyond its schema', () => {
    expect(allAtOnceRollout.check({ strategy: 'all-at-once' })).toEqual([]);
  });
});
