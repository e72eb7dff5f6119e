import rrulePackage from 'rrule';
import type { Temporal } from 'temporal-polyfill';
import type { ParseResult } from '../model/index.js';
import { floatingOfLocal, localOfInstant } from './time.js';

/*
 * Recurrence rules are RFC 5545 RRULE values such as FREQ=WEEKLY;BYDAY=SA;BYHOUR=22. The rrule
 * package expands them; it accepts a lot that the RFC does not (BYHOUR=25, COUNT=abc, an unknown
 * weekday), so every rule is checked here first, part by part, with a message that says what is
 * wrong. Expansion runs on floating wall-clock times (see time.ts): the rule never sees a time
 * zone, so "Saturday 22:00" stays 22:00 local across daylight-saving changes.
 */

const { RRule } = rrulePackage;

/** The frequencies a window may recur at; more often than hourly is not a window. */
export const recurrenceFrequencies = ['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'] as const;

/** A recurrence rule that passed every check, ready to expand. */
export interface Recurrence {
  /** The rule as normalized: upper case, parts in the written order, without an `RRULE:` prefix. */
  text: string;
  /** The UNTIL part as written, if any. */
  until?: string;
  /** The COUNT part, if any. */
  count?: number;
}

const weekday = '(MO|TU|WE|TH|FR|SA|SU)';
const untilPattern = /^([0-9]{4})([0-9]{2})([0-9]{2})(T([0-9]{2})([0-9]{2})([0-9]{2})(Z)?)?$/;

type PartCheck = (value: string, parts: ReadonlyMap<string, string>) => string | undefined;

function integerList(minimum: number, maximum: number, signed: boolean): PartCheck {
  return (value) => {
    for (const item of value.split(',')) {
      if (!(signed ? /^[+-]?[0-9]{1,3}$/ : /^[0-9]{1,3}$/).test(item)) {
        return `expects ${signed ? 'whole numbers, optionally signed,' : 'whole numbers'} separated by commas; found "${item}"`;
      }
      const magnitude = Math.abs(Number(item));
      if (magnitude < minimum || magnitude > maximum || (signed && Number(item) === 0)) {
        return `expects values ${signed ? `from ${minimum} to ${maximum} or -${maximum} to -${minimum}` : `from ${minimum} to ${maximum}`}; found ${item}`;
      }
    }
    return undefined;
  };
}

function positiveInteger(value: string): string | undefined {
  return /^[1-9][0-9]{0,5}$/.test(value)
    ? undefined
    : `expects a whole number of at least 1; found "${value}"`;
}

const partChecks: Readonly<Record<string, PartCheck>> = {
  FREQ: (value) =>
    (recurrenceFrequencies as readonly string[]).includes(value)
      ? undefined
      : ['SECONDLY', 'MINUTELY'].includes(value)
        ? `${value} is more often than a window can recur; use HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY`
        : `expects one of ${recurrenceFrequencies.join(', ')}; found "${value}"`,
  UNTIL: (value) =>
    untilPattern.test(value)
      ? undefined
      : `expects a date such as 20251231, a local date-time such as 20251231T220000, or a UTC time such as 20251231T210000Z; found "${value}"`,
  COUNT: positiveInteger,
  INTERVAL: positiveInteger,
  BYSECOND: integerList(0, 59, false),
  BYMINUTE: integerList(0, 59, false),
  BYHOUR: integerList(0, 23, false),
  BYDAY: (value, parts) => {
    for (const item of value.split(',')) {
      const match = new RegExp(`^([+-]?[0-9]{1,2})?${weekday}$`).exec(item);
      if (match === null)
        return `expects weekdays such as SA or MO,TU, optionally numbered as in -1SU; found "${item}"`;
      const ordinal = match[1];
      if (ordinal !== undefined) {
        const number = Math.abs(Number(ordinal));
        if (number < 1 || number > 53)
          return `numbers a weekday from 1 to 53 (or -1 to -53); found "${item}"`;
        const frequency = parts.get('FREQ');
        if (frequency !== 'MONTHLY' && frequency !== 'YEARLY') {
          return `may number a weekday (as in ${item}) only with FREQ=MONTHLY or FREQ=YEARLY`;
        }
      }
    }
    return undefined;
  },
  BYMONTHDAY: (value, parts) =>
    parts.get('FREQ') === 'WEEKLY'
      ? 'cannot be used with FREQ=WEEKLY; use BYDAY'
      : integerList(1, 31, true)(value, parts),
  BYYEARDAY: (value, parts) =>
    ['DAILY', 'WEEKLY', 'MONTHLY'].includes(parts.get('FREQ') ?? '')
      ? `cannot be used with FREQ=${parts.get('FREQ')}`
      : integerList(1, 366, true)(value, parts),
  BYWEEKNO: (value, parts) =>
    parts.get('FREQ') === 'YEARLY'
      ? integerList(1, 53, true)(value, parts)
      : 'may only be used with FREQ=YEARLY',
  BYMONTH: integerList(1, 12, false),
  BYSETPOS: (value, parts) =>
    [...parts.keys()].some((key) => key.startsWith('BY') && key !== 'BYSETPOS')
      ? integerList(1, 366, true)(value, parts)
      : 'needs another BY… part to pick from (such as BYDAY)',
  WKST: (value) =>
    new RegExp(`^${weekday}$`).test(value) ? undefined : `expects a weekday such as MO; found "${value}"`,
};

/**
 * Checks an RRULE value (with or without an `RRULE:` prefix) and normalizes it. DTSTART and
 * TZID are refused: a window's start and time zone give them.
 */
export function parseRecurrence(written: string): ParseResult<Recurrence> {
  let text = written.trim().toUpperCase();
  if (text.startsWith('RRULE:')) text = text.slice('RRULE:'.length);
  if (text.length === 0) return { ok: false, message: 'is empty; write a rule such as FREQ=WEEKLY;BYDAY=SA' };
  if (/DTSTART|TZID|\n|EXDATE|RDATE/.test(text)) {
    return {
      ok: false,
      message:
        'must hold the rule only (such as FREQ=WEEKLY;BYDAY=SA): the window’s start and timeZone give DTSTART and TZID',
    };
  }
  const parts = new Map<string, string>();
  for (const part of text.split(';')) {
    const match = /^([A-Z]+)=([A-Z0-9,+-]+)$/.exec(part);
    if (match === null) return { ok: false, message: `has a part "${part}" that is not NAME=VALUE` };
    const [, name = '', value = ''] = match;
    if (partChecks[name] === undefined) {
      return {
        ok: false,
        message: `has an unknown part ${name}; known parts are ${Object.keys(partChecks).join(', ')}`,
      };
    }
    if (parts.has(name)) return { ok: false, message: `names ${name} twice` };
    parts.set(name, value);
  }
  if (!parts.has('FREQ')) return { ok: false, message: 'needs a FREQ part, such as FREQ=WEEKLY' };
  if (parts.has('COUNT') && parts.has('UNTIL')) {
    return { ok: false, message: 'may give COUNT or UNTIL, not both' };
  }
  for (const [name, value] of parts) {
    const problem = partChecks[name]?.(value, parts);
    if (problem !== undefined) return { ok: false, message: `${name} ${problem}` };
  }
  const until = parts.get('UNTIL');
  const count = parts.get('COUNT');
  return {
    ok: true,
    value: {
      text,
      ...(until !== undefined && { until }),
      ...(count !== undefined && { count: Number(count) }),
    },
  };
}

/**
 * The last floating wall-clock time an occurrence may start at under UNTIL: a UTC time is read
 * in the window's zone, a local time as written, and a date includes that whole day.
 */
export function floatingUntil(until: string, timeZone: string): number {
  const [, year, month, day, time, hour, minute, second, utc] = untilPattern.exec(until) ?? [];
  const calendar = [Number(year), Number(month) - 1, Number(day)] as const;
  if (time === undefined) return Date.UTC(...calendar, 23, 59, 59, 999);
  const clock = [Number(hour), Number(minute), Number(second)] as const;
  if (utc === undefined) return Date.UTC(...calendar, ...clock);
  return floatingOfLocal(localOfInstant(Date.UTC(...calendar, ...clock), timeZone));
}

/** A recurrence anchored at a window's first local start, able to list its starts. */
export interface RecurrenceExpander {
  /**
   * Starts as floating wall-clock times from `from` to `to` inclusive, both floating; fails when
   * there would be more than `limit`.
   */
  startsBetween(from: number, to: number, limit: number): number[] | 'too-many';
  /** The first start (floating) up to `until` (floating), or undefined when the rule yields none by then. */
  first(until: number): number | undefined;
}

/** Prepares a checked recurrence for expansion from `start` (wall-clock) in `timeZone`. */
export function recurrenceExpander(
  recurrence: Recurrence,
  start: Temporal.PlainDateTime,
  timeZone: string,
): RecurrenceExpander {
  const options = RRule.parseString(recurrence.text);
  delete options.until;
  const rule = new RRule({
    ...options,
    dtstart: new Date(floatingOfLocal(start)),
    tzid: null,
    ...(recurrence.until !== undefined && { until: new Date(floatingUntil(recurrence.until, timeZone)) }),
  });
  return {
    startsBetween(from, to, limit) {
      let tooMany = false;
      const dates = rule.between(new Date(from), new Date(to), true, (_date, index) => {
        if (index >= limit) tooMany = true;
        return !tooMany;
      });
      return tooMany ? 'too-many' : dates.map((date) => date.getTime());
    },
    first(until) {
      const [date] = rule.between(
        new Date(floatingOfLocal(start)),
        new Date(until),
        true,
        (_date, index) => index < 1,
      );
      return date?.getTime();
    },
  };
}
