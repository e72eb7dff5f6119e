import { Temporal } from 'temporal-polyfill';
import type { ParseResult } from '../model/index.js';

/*
 * Time as planning sees it. Instants are epoch milliseconds (UTC) and intervals are half-open,
 * [start, end): a deployment that ends at 22:00 and one that starts at 22:00 do not overlap.
 * People write times as local date-times in an IANA time zone; those are turned into instants
 * here, once, with the rules of RFC 5545 for the hours a daylight-saving change skips or repeats:
 * a skipped local time moves forward by the length of the gap (02:30 on the spring-forward night
 * in Berlin is 03:30 CEST), and a repeated one means its first occurrence (02:30 CEST, not CET).
 */

/** A stretch of time from `start` (included) to `end` (excluded), both in epoch milliseconds. */
export interface Interval {
  start: number;
  end: number;
}

/** Milliseconds in a minute, an hour and a day of 24 hours. */
export const minuteMilliseconds = 60_000;
/** Milliseconds in an hour. */
export const hourMilliseconds = 3_600_000;
/** Milliseconds in a day of 24 hours (a calendar day may be 23 or 25 hours long). */
export const dayMilliseconds = 86_400_000;

/**
 * The JSON Schema pattern of a time a person writes: a local date-time such as
 * `2025-03-29T22:00` (seconds optional), a date such as `2025-12-20` (midnight), or an
 * instant with `Z` or an offset such as `2025-03-29T21:00:00Z`.
 */
export const dateTimePattern =
  '^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$';

/** What a person should write where a time is expected; used in messages. */
export const dateTimeExpectation =
  'a local date-time such as 2025-03-29T22:00, a date such as 2025-12-20, or an instant such as 2025-03-29T21:00:00Z';

const dateTimeExpression = new RegExp(dateTimePattern);
const offsetSuffix = /(Z|[+-][0-9]{2}:[0-9]{2})$/;

/** A written time: either a wall-clock time in the window's zone, or an exact instant. */
export type WrittenTime =
  | { kind: 'local'; local: Temporal.PlainDateTime }
  | { kind: 'instant'; instant: number };

/**
 * The IANA name of a time zone as Temporal spells it (`europe/berlin` → `Europe/Berlin`), or
 * undefined when the zone is unknown. Fixed offsets such as `+01:00` are refused: they do not
 * follow daylight saving, which is the reason windows carry a zone at all.
 */
export function canonicalTimeZone(timeZone: string): string | undefined {
  if (timeZone.length === 0 || timeZone.length > 100 || /^[+-]/.test(timeZone)) return undefined;
  try {
    return Temporal.ZonedDateTime.from({ year: 2000, month: 1, day: 1, timeZone }).timeZoneId;
  } catch {
    return undefined;
  }
}

/** Whether a time zone is an IANA zone this runtime knows. */
export function isKnownTimeZone(timeZone: string): boolean {
  return canonicalTimeZone(timeZone) !== undefined;
}

/** Reads a written time (see `dateTimePattern`); impossible dates such as 2025-02-30 are refused. */
export function parseWrittenTime(text: string): ParseResult<WrittenTime> {
  if (!dateTimeExpression.test(text)) {
    return { ok: false, message: `expected ${dateTimeExpectation}, found "${text}"` };
  }
  try {
    if (offsetSuffix.test(text)) {
      return { ok: true, value: { kind: 'instant', instant: Temporal.Instant.from(text).epochMilliseconds } };
    }
    return { ok: true, value: { kind: 'local', local: Temporal.PlainDateTime.from(text) } };
  } catch {
    return { ok: false, message: `"${text}" is not a date that exists in the calendar` };
  }
}

/**
 * The instant a written time denotes, reading local date-times in `timeZone`: what an API
 * handler needs to turn `{ start: '2025-03-29T22:00', timeZone: 'Europe/Berlin' }` into UTC.
 */
export function resolveWrittenTime(text: string, timeZone: string): ParseResult<number> {
  const zone = canonicalTimeZone(timeZone);
  if (zone === undefined) return { ok: false, message: `"${timeZone}" is not an IANA time zone` };
  const written = parseWrittenTime(text);
  return written.ok ? { ok: true, value: instantOfWritten(written.value, zone) } : written;
}

/** The instant a local date-time denotes in a zone, by the RFC 5545 rules above. */
export function instantOfLocal(local: Temporal.PlainDateTime, timeZone: string): number {
  return local.toZonedDateTime(timeZone, { disambiguation: 'compatible' }).epochMilliseconds;
}

/** The wall-clock time an instant shows in a zone. */
export function localOfInstant(instant: number, timeZone: string): Temporal.PlainDateTime {
  return Temporal.Instant.fromEpochMilliseconds(instant).toZonedDateTimeISO(timeZone).toPlainDateTime();
}

/** The instant a written time denotes; local times are read in `timeZone`. */
export function instantOfWritten(time: WrittenTime, timeZone: string): number {
  return time.kind === 'instant' ? time.instant : instantOfLocal(time.local, timeZone);
}

/** The wall-clock time a written time shows in `timeZone`. */
export function localOfWritten(time: WrittenTime, timeZone: string): Temporal.PlainDateTime {
  return time.kind === 'local' ? time.local : localOfInstant(time.instant, timeZone);
}

/*
 * Recurrence is computed on "floating" times: a local wall-clock time stored in a Date as if it
 * were UTC. Days, weeks and months then have no daylight-saving irregularities, which is what
 * "every Saturday at 22:00" means; each result is turned into an instant in the real zone last.
 */

/*
 * Converting between instants and floating times is the hot path of every window query, and
 * Temporal objects are slow to make. A zone's offset is constant between two transitions, so
 * each stretch of constant offset is asked of Temporal once and kept; times within a day of a
 * transition still go through Temporal, which settles skipped and repeated local times.
 */

interface OffsetStretch {
  from: number;
  to: number;
  offset: number;
}

const offsetStretches = new Map<string, OffsetStretch[]>();
const maximumStretchesPerZone = 512;

function offsetOfZoned(instant: number, timeZone: string): number {
  return (
    Temporal.Instant.fromEpochMilliseconds(instant).toZonedDateTimeISO(timeZone).offsetNanoseconds / 1_000_000
  );
}

/** The offset from UTC, in milliseconds, that a zone has at an instant. */
export function offsetAt(instant: number, timeZone: string): number {
  let stretches = offsetStretches.get(timeZone);
  if (stretches === undefined || stretches.length >= maximumStretchesPerZone) {
    stretches = [];
    offsetStretches.set(timeZone, stretches);
  }
  for (const stretch of stretches) {
    if (stretch.from <= instant && instant < stretch.to) return stretch.offset;
  }
  const zoned = Temporal.Instant.fromEpochMilliseconds(instant).toZonedDateTimeISO(timeZone);
  const offset = zoned.offsetNanoseconds / 1_000_000;
  const previous = zoned.getTimeZoneTransition('previous')?.epochMilliseconds;
  const next = zoned.getTimeZoneTransition('next')?.epochMilliseconds;
  // At the very instant of a transition, "previous" is the one before it: start the stretch here.
  const from =
    previous === undefined
      ? Number.NEGATIVE_INFINITY
      : offsetOfZoned(previous, timeZone) === offset
        ? previous
        : instant;
  stretches.push({ from, to: next ?? Number.POSITIVE_INFINITY, offset });
  return offset;
}

/** The wall-clock time an instant shows in a zone, as a floating value (see above). */
export function floatingOfInstant(instant: number, timeZone: string): number {
  return instant + offsetAt(instant, timeZone);
}

/** The instant a floating wall-clock time denotes in a zone, by the RFC 5545 rules above. */
export function instantOfFloating(floating: number, timeZone: string): number {
  // The real instant lies within a day of `floating` read as UTC, whatever the zone's offset.
  const before = offsetAt(floating - dayMilliseconds, timeZone);
  const after = offsetAt(floating + dayMilliseconds, timeZone);
  if (before === after) {
    const candidate = floating - before;
    if (offsetAt(candidate, timeZone) === before) return candidate;
  }
  return instantOfLocal(localOfFloating(floating), timeZone);
}

/** A floating value written as an ISO local date-time, e.g. `2025-03-29T22:00:00`. */
export function formatFloating(floating: number): string {
  const text = new Date(floating).toISOString();
  return text.endsWith('.000Z') ? text.slice(0, 19) : text.slice(0, 23);
}

/** A wall-clock time written into epoch milliseconds as if its zone were UTC. */
export function floatingOfLocal(local: Temporal.PlainDateTime): number {
  return Date.UTC(
    local.year,
    local.month - 1,
    local.day,
    local.hour,
    local.minute,
    local.second,
    local.millisecond,
  );
}

/** The wall-clock time a floating value stands for. */
export function localOfFloating(floating: number): Temporal.PlainDateTime {
  const date = new Date(floating);
  return new Temporal.PlainDateTime(
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    date.getUTCMilliseconds(),
  );
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

function describeLocal(local: Temporal.PlainDateTime, withDate: boolean): string {
  const clock = `${pad(local.hour)}:${pad(local.minute)}${local.second === 0 ? '' : `:${pad(local.second)}`}`;
  return withDate ? `${local.year}-${pad(local.month)}-${pad(local.day)} ${clock}` : clock;
}

/** An instant as a person reads it in a zone, e.g. `2025-03-29 22:00 Europe/Berlin`. */
export function formatInstant(instant: number, timeZone = 'UTC'): string {
  return `${describeLocal(localOfInstant(instant, timeZone), true)} ${timeZone}`;
}

/**
 * An interval as a person reads it in a zone: `2025-03-29 22:00–23:30 Europe/Berlin` on one
 * day, `2025-03-29 22:00 – 2025-03-30 04:00 Europe/Berlin` across days.
 */
export function formatInterval(interval: Interval, timeZone = 'UTC'): string {
  const start = localOfInstant(interval.start, timeZone);
  const end = localOfInstant(interval.end, timeZone);
  const sameDay = start.toPlainDate().equals(end.toPlainDate());
  return sameDay
    ? `${describeLocal(start, true)}–${describeLocal(end, false)} ${timeZone}`
    : `${describeLocal(start, true)} – ${describeLocal(end, true)} ${timeZone}`;
}

/** An interval in ISO-8601 UTC, the way the API writes times. */
export function intervalToIso(interval: Interval): { start: string; end: string } {
  return { start: new Date(interval.start).toISOString(), end: new Date(interval.end).toISOString() };
}

/** Whether two half-open intervals share any instant. */
export function intervalsOverlap(first: Interval, second: Interval): boolean {
  return first.start < second.end && second.start < first.end;
}

/** The instants two intervals share, or undefined when they share none. */
export function intersectIntervals(first: Interval, second: Interval): Interval | undefined {
  const start = Math.max(first.start, second.start);
  const end = Math.min(first.end, second.end);
  return start < end ? { start, end } : undefined;
}

/**
 * Sorts intervals and joins those that overlap or touch, so that [20:00, 22:00) and
 * [22:00, 23:00) become [20:00, 23:00). Empty intervals are dropped.
 */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals
    .filter((interval) => interval.end > interval.start)
    .sort((first, second) => first.start - second.start);
  const merged: Interval[] = [];
  for (const interval of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && interval.start <= last.end) last.end = Math.max(last.end, interval.end);
    else merged.push({ start: interval.start, end: interval.end });
  }
  return merged;
}

/** Whether the union of `cover` contains every instant of `interval`. */
export function coversInterval(cover: readonly Interval[], interval: Interval): boolean {
  if (interval.end <= interval.start) return true;
  return mergeIntervals(cover).some((part) => part.start <= interval.start && interval.end <= part.end);
}
