import { describe, expect, it } from 'vitest';
import { checkEntryCriterion, type EntryCriterion, parseEntryCriterion } from './entry-criteria.js';

function parsed(text: string): EntryCriterion {
  const result = parseEntryCriterion(text);
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

describe('parseEntryCriterion', () => {
  it('reads "succeeded in <stage>"', () => {
    expect(parsed('succeeded in staging')).toEqual({
      kind: 'succeeded',
      text: 'succeeded in staging',
      reference: 'staging',
    });
  });

  it('reads "soaked <duration> in <stage>" with the duration in milliseconds', () => {
    expect(parsed('  soaked 2h   in staging ')).toEqual({
      kind: 'soaked',
      text: 'soaked 2h   in staging',
      reference: 'staging',
      duration: '2h',
      durationMilliseconds: 7_200_000,
    });
  });

  it.each([
    ['succeded in staging', 'expected an entry criterion like'],
    ['succeeded staging', 'expected an entry criterion like'],
    ['soaked in staging', 'expected an entry criterion like'],
    ['soaked 2 hours in staging', 'expected an entry criterion like'],
    ['soaked 2x in staging', 'expected a duration like 30s'],
    ['soaked 0s in staging', 'longer than zero'],
    ['', 'expected an entry criterion like'],
  ])('refuses %j, saying what is expected', (text, message) => {
    const result = parseEntryCriterion(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });
});

describe('checkEntryCriterion', () => {
  const hour = 3_600_000;

  it('fails while the version has not succeeded in the stage', () => {
    const result = checkEntryCriterion(parsed('succeeded in test'), { succeededAt: undefined }, 10 * hour);
    expect(result).toMatchObject({ passed: false, criterion: 'succeeded in test' });
    expect(result.message).toContain('has not succeeded in test');
  });

  it('passes once the version succeeded', () => {
    expect(checkEntryCriterion(parsed('succeeded in test'), { succeededAt: hour }, hour).passed).toBe(true);
  });

  it('waits for a soak and says when it ends, so the engine can store a timer', () => {
    const criterion = parsed('soaked 2h in staging');
    const waiting = checkEntryCriterion(criterion, { succeededAt: 10 * hour }, 11 * hour);
    expect(waiting).toMatchObject({ passed: false, readyAt: 12 * hour });
    expect(waiting.message).toContain('1h to go');
    expect(checkEntryCriterion(criterion, { succeededAt: 10 * hour }, 12 * hour).passed).toBe(true);
  });
});
