import { describe, expect, it } from 'vitest';
import { waitStep } from './wait.js';

describe('wait step', () => {
  const step = { type: 'wait' as const, name: 'settle', duration: '90s' };

  it('describes the pause', () => {
    expect(waitStep.describe(step, {})).toEqual({ summary: 'Wait 90s', details: [] });
  });

  it('is safe to repeat and has its duration as its only duration field', () => {
    expect(waitStep.safeToRepeat(step)).toBe(true);
    expect(waitStep.durationFields(step)).toEqual([{ field: '/duration', text: '90s' }]);
    expect(waitStep.templateFields(step)).toEqual([]);
  });
});
