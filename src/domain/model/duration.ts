import { Type } from '@sinclair/typebox';
import type { ParseResult } from './parse-result.js';

/*
 * Durations are written the way people say them: 30s, 15m, 2h, 1d, or combined with the
 * largest unit first (1h30m). They are kept as text in the model, so a diff shows what the
 * author wrote, and turned into milliseconds only where time is computed.
 */

/** The JSON Schema pattern every duration in a model must match. */
export const durationPattern = '^(?=[0-9])([0-9]{1,6}d)?([0-9]{1,6}h)?([0-9]{1,6}m)?([0-9]{1,6}s)?$';

/** What a person should write where a duration is expected; used in error messages. */
export const durationExpectation =
  'a duration like 30s, 15m, 2h or 1d (combine units largest first, as in 1h30m)';

/** A duration field of a model, with what the duration means for that field. */
export function durationField(description: string) {
  return Type.String({
    pattern: durationPattern,
    maxLength: 40,
    description: `${description}. A duration such as 30s, 15m, 2h, 1d or 1h30m`,
    examples: ['30s', '15m', '2h', '1d'],
  });
}

const unitMilliseconds = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
type DurationUnit = keyof typeof unitMilliseconds;
const unitOrder: readonly DurationUnit[] = ['d', 'h', 'm', 's'];

/** Reads a duration such as `2h` or `1h30m` into milliseconds; zero and malformed text are refused. */
export function parseDuration(text: string): ParseResult<number> {
  const trimmed = text.trim();
  if (!new RegExp(durationPattern).test(trimmed)) {
    return { ok: false, message: `expected ${durationExpectation}, found "${text}"` };
  }
  let total = 0;
  for (const match of trimmed.matchAll(/([0-9]+)([dhms])/g)) {
    const amount = Number(match[1]);
    const unit = match[2] as DurationUnit;
    total += amount * unitMilliseconds[unit];
  }
  if (total === 0) return { ok: false, message: `a duration must be longer than zero, found "${text}"` };
  return { ok: true, value: total };
}

/** Writes milliseconds back as the shortest duration text, e.g. 5400000 → `1h30m`. */
export function formatDuration(milliseconds: number): string {
  if (milliseconds < 1_000) return `${Math.max(0, Math.round(milliseconds))}ms`;
  let rest = Math.round(milliseconds / 1_000) * 1_000;
  let text = '';
  for (const unit of unitOrder) {
    const size = unitMilliseconds[unit];
    const amount = Math.floor(rest / size);
    if (amount > 0) {
      text += `${amount}${unit}`;
      rest -= amount * size;
    }
  }
  return text;
}
