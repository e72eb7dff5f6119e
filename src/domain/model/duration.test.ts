import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1d2h3m4s', 93_784_000],
    [' 5m ', 300_000],
  ])('reads %s', (text, milliseconds) => {
    expect(parseDuration(text)).toEqual({ ok: true, value: milliseconds });
  });

  it.each(['', '10', '10 minutes', '1.5h', '30m1h', '1h1h', 'm', '-5s', '5ms', '2w'])(
    'refuses %j',
    (text) => {
      const result = parseDuration(text);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toContain('a duration like 30s, 15m, 2h or 1d');
    },
  );

  it('refuses zero, which would make every timeout fire at once', () => {
    expect(parseDuration('0s')).toEqual({
      ok: false,
      message: 'a duration must be longer than zero, found "0s"',
    });
    expect(parseDuration('0h0m').ok).toBe(false);
  });
});

describe('formatDuration', () => {
  it('writes the shortest text, largest unit first', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(86_400_000 + 1_000)).toBe('1d1s');
    expect(formatDuration(43_000)).toBe('43s');
    expect(formatDuration(250)).toBe('250ms');
  });

  it('round-trips what parseDuration reads', () => {
    for (const text of ['30s', '15m', '2h', '1d', '1h30m', '2d12h']) {
      const parsed = parseDuration(text);
      expect(parsed.ok && formatDuration(parsed.value)).toBe(text);
    }
  });
});
