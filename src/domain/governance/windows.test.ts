import { describe, expect, it } from 'vitest';
import { formatInterval } from './time.js';
import {
  activeAt,
  type CompiledWindow,
  compileWindow,
  inside,
  occurrences,
  occurrencesOf,
  startGate,
  validateWindow,
  validateWindows,
  type WindowDefinition,
} from './windows.js';

const at = (text: string) => Date.parse(text);
const utc = (instant: number) => new Date(instant).toISOString().replace(':00.000Z', 'Z');
const spans = (found: { interval: { start: number; end: number } }[]) =>
  found.map(({ interval }) => `${utc(interval.start)}/${utc(interval.end)}`);

const saturdayNights: WindowDefinition = {
  kind: 'maintenance',
  name: 'saturday-nights',
  start: '2025-03-22T22:00',
  end: '2025-03-23T04:00',
  timeZone: 'Europe/Berlin',
  recurrence: 'FREQ=WEEKLY;BYDAY=SA',
};

function problemsOf(value: unknown) {
  const result = validateWindow(value);
  if (result.valid) throw new Error('expected the window to be refused');
  return result.problems;
}

describe('window occurrences across daylight-saving changes', () => {
  it('keeps a Saturday 22:00 Europe/Berlin window at 22:00 local in winter and summer (March change)', () => {
    const window = compileWindow(saturdayNights);
    expect(spans(occurrences(window, at('2025-03-20T00:00Z'), at('2025-04-10T00:00Z')))).toEqual([
      // CET (+01:00): 22:00 local is 21:00 UTC, 04:00 is 03:00 UTC.
      '2025-03-22T21:00Z/2025-03-23T03:00Z',
      // The clocks go forward at 02:00 that night: still 22:00 to 04:00 local, but five hours long.
      '2025-03-29T21:00Z/2025-03-30T02:00Z',
      // CEST (+02:00): 22:00 local is 20:00 UTC.
      '2025-04-05T20:00Z/2025-04-06T02:00Z',
    ]);
  });

  it('keeps the window at 22:00 local when the clocks go back in October, seven hours long that night', () => {
    const window = compileWindow(saturdayNights);
    expect(spans(occurrences(window, at('2025-10-18T00:00Z'), at('2025-11-02T00:00Z')))).toEqual([
      '2025-10-18T20:00Z/2025-10-19T02:00Z',
      '2025-10-25T20:00Z/2025-10-26T03:00Z',
      '2025-11-01T21:00Z/2025-11-02T03:00Z',
    ]);
  });

  it('makes a duration exact elapsed time: 6h from 22:00 ends at 05:00 local on the spring-forward night', () => {
    const { end: _end, ...withoutEnd } = saturdayNights;
    const window = compileWindow({ ...withoutEnd, duration: '6h' });
    const [night] = occurrences(window, at('2025-03-29T00:00Z'), at('2025-03-30T12:00Z'));
    expect(night === undefined ? undefined : spans([night])).toEqual(['2025-03-29T21:00Z/2025-03-30T03:00Z']);
    expect(night?.localStart).toBe('2025-03-29T22:00:00');
    expect(night?.localEnd).toBe('2025-03-30T05:00:00');
  });

  it('counts days of a duration as calendar days: 1d from 12:00 ends at 12:00 local the next day across the change', () => {
    const window = compileWindow({
      kind: 'freeze',
      name: 'day',
      start: '2025-03-29T12:00',
      duration: '1d',
      timeZone: 'Europe/Berlin',
    });
    expect(spans(occurrences(window, at('2025-03-01T00:00Z'), at('2025-04-01T00:00Z')))).toEqual([
      '2025-03-29T11:00Z/2025-03-30T10:00Z',
    ]);
  });

  it('moves a start the spring-forward gap skips to after the gap, as RFC 5545 says', () => {
    const window = compileWindow({
      kind: 'maintenance',
      name: 'daily-0230',
      start: '2025-03-29T02:30',
      duration: '30m',
      timeZone: 'Europe/Berlin',
      recurrence: 'FREQ=DAILY;COUNT=3',
    });
    expect(spans(occurrences(window, at('2025-03-28T00:00Z'), at('2025-04-01T00:00Z')))).toEqual([
      '2025-03-29T01:30Z/2025-03-29T02:00Z',
      // 02:30 does not exist on 30 March; it is read as 03:30 CEST.
      '2025-03-30T01:30Z/2025-03-30T02:00Z',
      '2025-03-31T00:30Z/2025-03-31T01:00Z',
    ]);
  });

  it('reads a repeated local time in the autumn as its first occurrence', () => {
    const window = compileWindow({
      kind: 'maintenance',
      name: 'daily-0230',
      start: '2025-10-25T02:30',
      duration: '30m',
      timeZone: 'Europe/Berlin',
      recurrence: 'FREQ=DAILY;COUNT=3',
    });
    expect(spans(occurrences(window, at('2025-10-24T00:00Z'), at('2025-10-29T00:00Z')))).toEqual([
      '2025-10-25T00:30Z/2025-10-25T01:00Z',
      // 02:30 happens twice on 26 October; the first is 02:30 CEST, 00:30 UTC.
      '2025-10-26T00:30Z/2025-10-26T01:00Z',
      '2025-10-27T01:30Z/2025-10-27T02:00Z',
    ]);
  });

  it('follows America/New_York, whose clocks change on other Sundays than Europe’s', () => {
    const window = compileWindow({
      kind: 'maintenance',
      name: 'nightly',
      start: '2025-03-07T22:00',
      end: '2025-03-08T01:00',
      timeZone: 'America/New_York',
      recurrence: 'FREQ=DAILY',
    });
    expect(spans(occurrences(window, at('2025-03-08T00:00Z'), at('2025-03-11T00:00Z')))).toEqual([
      '2025-03-08T03:00Z/2025-03-08T06:00Z',
      // EST (-05:00) until 9 March 02:00, EDT (-04:00) after.
      '2025-03-09T03:00Z/2025-03-09T06:00Z',
      '2025-03-10T02:00Z/2025-03-10T05:00Z',
    ]);
    expect(spans(occurrences(window, at('2025-11-01T00:00Z'), at('2025-11-04T00:00Z')))).toEqual([
      '2025-11-01T02:00Z/2025-11-01T05:00Z',
      // The night of 1 to 2 November: 01:00 happens twice, and the window ends at the first (EDT).
      '2025-11-02T02:00Z/2025-11-02T05:00Z',
      '2025-11-03T03:00Z/2025-11-03T06:00Z',
    ]);
  });

  it('reads the first occurrence of the ambiguous 01:30 on 2 November in New York as EDT', () => {
    const window = compileWindow({
      kind: 'maintenance',
      name: 'once',
      start: '2025-11-02T01:30',
      duration: '1h',
      timeZone: 'America/New_York',
    });
    expect(spans(occurrences(window, at('2025-11-01T00:00Z'), at('2025-11-03T00:00Z')))).toEqual([
      '2025-11-02T05:30Z/2025-11-02T06:30Z',
    ]);
  });

  it('finds a monthly window on the last Sunday of the month, the days Europe changes its clocks', () => {
    const window = compileWindow({
      kind: 'maintenance',
      name: 'last-sunday',
      start: '2025-01-26T01:00',
      duration: '3h',
      timeZone: 'Europe/Berlin',
      recurrence: 'FREQ=MONTHLY;BYDAY=-1SU',
    });
    const found = occurrences(window, at('2025-03-01T00:00Z'), at('2025-11-01T00:00Z'));
    expect(found.map((occurrence) => occurrence.localStart.slice(0, 10))).toEqual([
      '2025-03-30',
      '2025-04-27',
      '2025-05-25',
      '2025-06-29',
      '2025-07-27',
      '2025-08-31',
      '2025-09-28',
      '2025-10-26',
    ]);
    // 01:00 CET is 00:00 UTC; three elapsed hours later the clocks read 05:00 CEST.
    expect(spans(found.slice(0, 1))).toEqual(['2025-03-30T00:00Z/2025-03-30T03:00Z']);
  });
});

describe('window occurrences', () => {
  it('handles a one-off window that crosses midnight', () => {
    const window = compileWindow({
      kind: 'maintenance',
      name: 'migration',
      start: '2025-06-01T23:00',
      end: '2025-06-02T01:30',
      timeZone: 'UTC',
    });
    expect(spans(occurrences(window, at('2025-06-02T00:00Z'), at('2025-06-03T00:00Z')))).toEqual([
      '2025-06-01T23:00Z/2025-06-02T01:30Z',
    ]);
    expect(occurrences(window, at('2025-06-02T01:30Z'), at('2025-06-03T00:00Z'))).toEqual([]);
  });

  it('includes an occurrence that began before the range and is still going on', () => {
    const window = compileWindow(saturdayNights);
    expect(spans(occurrences(window, at('2025-03-23T01:00Z'), at('2025-03-23T02:00Z')))).toEqual([
      '2025-03-22T21:00Z/2025-03-23T03:00Z',
    ]);
  });

  it('stops after COUNT occurrences', () => {
    const window = compileWindow({ ...saturdayNights, recurrence: 'FREQ=WEEKLY;BYDAY=SA;COUNT=2' });
    expect(occurrences(window, at('2025-01-01T00:00Z'), at('2026-01-01T00:00Z'))).toHaveLength(2);
  });

  it('includes an occurrence that starts exactly at a UTC UNTIL and none after', () => {
    // 12 April 22:00 CEST is 20:00 UTC.
    const including = compileWindow({
      ...saturdayNights,
      recurrence: 'FREQ=WEEKLY;BYDAY=SA;UNTIL=20250412T200000Z',
    });
    const excluding = compileWindow({
      ...saturdayNights,
      recurrence: 'FREQ=WEEKLY;BYDAY=SA;UNTIL=20250412T195959Z',
    });
    const range = [at('2025-03-01T00:00Z'), at('2025-06-01T00:00Z')] as const;
    expect(occurrences(including, ...range).map((occurrence) => occurrence.localStart)).toEqual([
      '2025-03-22T22:00:00',
      '2025-03-29T22:00:00',
      '2025-04-05T22:00:00',
      '2025-04-12T22:00:00',
    ]);
    expect(occurrences(excluding, ...range)).toHaveLength(3);
  });

  it('reads a date UNTIL as including that whole day, and a local UNTIL in the window’s zone', () => {
    const byDate = compileWindow({ ...saturdayNights, recurrence: 'FREQ=WEEKLY;BYDAY=SA;UNTIL=20250412' });
    const byLocal = compileWindow({
      ...saturdayNights,
      recurrence: 'FREQ=WEEKLY;BYDAY=SA;UNTIL=20250412T220000',
    });
    const range = [at('2025-03-01T00:00Z'), at('2025-06-01T00:00Z')] as const;
    expect(occurrences(byDate, ...range)).toHaveLength(4);
    expect(occurrences(byLocal, ...range)).toHaveLength(4);
  });

  it('uses the hour of BYHOUR and the minutes of start', () => {
    const window = compileWindow({
      kind: 'maintenance',
      name: 'sundays',
      start: '2025-01-05T00:15',
      duration: '1h',
      timeZone: 'Europe/Berlin',
      recurrence: 'FREQ=WEEKLY;BYDAY=SU;BYHOUR=6;COUNT=2',
    });
    expect(
      occurrences(window, at('2025-01-01T00:00Z'), at('2025-02-01T00:00Z')).map(
        (occurrence) => occurrence.localStart,
      ),
    ).toEqual(['2025-01-05T06:15:00', '2025-01-12T06:15:00']);
  });

  it('accepts an instant as start and keeps its wall-clock time for the recurrence', () => {
    const window = compileWindow({
      ...saturdayNights,
      start: '2025-03-22T21:00:00Z',
      end: '2025-03-23T03:00:00Z',
    });
    expect(spans(occurrences(window, at('2025-04-01T00:00Z'), at('2025-04-07T00:00Z')))).toEqual([
      '2025-04-05T20:00Z/2025-04-06T02:00Z',
    ]);
  });

  it('still expands a window that was stored as JSON and read back', () => {
    const stored = JSON.parse(JSON.stringify(compileWindow(saturdayNights))) as CompiledWindow;
    expect(spans(occurrences(stored, at('2025-03-29T00:00Z'), at('2025-03-30T00:00Z')))).toEqual([
      '2025-03-29T21:00Z/2025-03-30T02:00Z',
    ]);
  });

  it('refuses a query that would produce an unreasonable number of occurrences', () => {
    const hourly = compileWindow({
      kind: 'maintenance',
      name: 'hourly',
      start: '2025-01-01T00:00',
      duration: '10m',
      timeZone: 'UTC',
      recurrence: 'FREQ=HOURLY',
    });
    expect(() => occurrences(hourly, at('2025-01-01T00:00Z'), at('2035-01-01T00:00Z'))).toThrow(
      /shorter range/,
    );
    expect(occurrences(hourly, at('2025-01-01T00:00Z'), at('2025-01-02T00:00Z'))).toHaveLength(24);
  });
});

describe('window scope, activeAt and inside', () => {
  const windows = [
    compileWindow(saturdayNights),
    compileWindow({
      ...saturdayNights,
      name: 'live-only',
      scope: { environment: 'live' },
      start: '2025-03-23T04:00',
      end: '2025-03-23T06:00',
      recurrence: 'FREQ=WEEKLY;BYDAY=SU',
    }),
    compileWindow({
      kind: 'freeze',
      name: 'shop-freeze',
      scope: { service: 'shop' },
      start: '2025-03-29',
      end: '2025-03-31',
      timeZone: 'Europe/Berlin',
    }),
    compileWindow({
      kind: 'freeze',
      name: 'staging-billing',
      scope: { environment: 'staging', service: 'billing' },
      start: '2025-03-29',
      end: '2025-03-31',
      timeZone: 'Europe/Berlin',
    }),
  ];
  const saturdayLate = at('2025-03-29T22:00Z');

  it('applies global windows everywhere and scoped ones only where their scope matches', () => {
    const names = (scope: Parameters<typeof activeAt>[2]) =>
      activeAt(windows, saturdayLate, scope).map((occurrence) => occurrence.name);
    expect(names({ environment: 'live', services: ['shop'] })).toEqual(['shop-freeze', 'saturday-nights']);
    expect(names({ environment: 'live', services: ['billing'] })).toEqual(['saturday-nights']);
    expect(names({ environment: 'staging', services: ['billing'] })).toEqual([
      'staging-billing',
      'saturday-nights',
    ]);
    expect(names({ environment: 'test', services: ['search'] })).toEqual(['saturday-nights']);
    // A calendar for every environment and service shows them all.
    expect(names({})).toEqual(['shop-freeze', 'staging-billing', 'saturday-nights']);
  });

  it('finds nothing active at the instant an occurrence ends', () => {
    expect(activeAt(windows, at('2025-03-30T02:00Z'), { environment: 'test', services: ['search'] })).toEqual(
      [],
    );
  });

  it('treats back-to-back windows as one when asking whether an interval is inside them', () => {
    const maintenance = windows.filter((window) => window.kind === 'maintenance');
    // 23 March: saturday-nights 21:00–03:00 UTC, then live-only 03:00–05:00 UTC.
    const acrossBoth = { start: at('2025-03-23T02:00Z'), end: at('2025-03-23T04:00Z') };
    expect(inside(maintenance, acrossBoth, { environment: 'live' })).toBe(true);
    expect(inside(maintenance, acrossBoth, { environment: 'test' })).toBe(false);
    expect(
      inside(
        maintenance,
        { start: at('2025-03-23T04:00Z'), end: at('2025-03-23T05:01Z') },
        { environment: 'live' },
      ),
    ).toBe(false);
  });

  it('lists a calendar in order of start', () => {
    const calendar = occurrencesOf(windows, at('2025-03-22T00:00Z'), at('2025-03-31T00:00Z'), {
      environment: 'live',
    });
    expect(calendar.map((occurrence) => occurrence.name)).toEqual([
      'saturday-nights',
      'live-only',
      'shop-freeze',
      'saturday-nights',
      'live-only',
    ]);
  });
});

describe('start gate', () => {
  const maintenance = compileWindow({ ...saturdayNights, scope: { environment: 'live' } });
  const freeze = compileWindow({
    kind: 'freeze',
    name: 'easter',
    start: '2025-04-18',
    end: '2025-04-22',
    timeZone: 'Europe/Berlin',
    emergencyAllowed: true,
  });
  const strictFreeze = compileWindow({
    kind: 'freeze',
    name: 'midnight-freeze',
    start: '2025-04-06T00:00',
    end: '2025-04-06T01:00',
    timeZone: 'Europe/Berlin',
  });
  const windows = [maintenance, freeze, strictFreeze];
  const live = { environment: 'live', services: ['shop'] };

  it('is open without maintenance windows and freezes, with no closing time', () => {
    const gate = startGate(windows, at('2025-04-02T10:00Z'), { environment: 'test' });
    expect(gate).toMatchObject({ open: true, maintenanceRequired: false });
    // The next freeze begins at midnight on 6 April, Berlin time.
    expect(gate.closesAt).toBe(at('2025-04-05T22:00Z'));
  });

  it('is closed outside the maintenance windows and says when the next one opens', () => {
    const gate = startGate(windows, at('2025-04-02T10:00Z'), live);
    expect(gate.open).toBe(false);
    expect(gate.maintenanceRequired).toBe(true);
    expect(gate.opensAt).toBe(at('2025-04-05T20:00Z'));
    expect(gate.reason).toMatch(/No maintenance window .* open now.*2025-04-05 20:00 UTC/);
  });

  it('closes an open window early when a freeze begins inside it', () => {
    const gate = startGate(windows, at('2025-04-05T21:00Z'), live);
    expect(gate.open).toBe(true);
    // The freeze begins at midnight Berlin time, 22:00 UTC.
    expect(gate.closesAt).toBe(at('2025-04-05T22:00Z'));
    const duringFreeze = startGate(windows, at('2025-04-05T22:30Z'), live);
    expect(duringFreeze.open).toBe(false);
    expect(duringFreeze.freezes.map((occurrence) => occurrence.name)).toEqual(['midnight-freeze']);
    expect(duringFreeze.opensAt).toBe(at('2025-04-05T23:00Z'));
  });

  it('lets an emergency pass a freeze that allows it, and an override pass any freeze', () => {
    const easterSaturday = at('2025-04-19T21:00Z');
    const closed = startGate(windows, easterSaturday, live);
    expect(closed.open).toBe(false);
    expect(closed.reason).toMatch(/Freeze easter .*only emergency changes may pass it/);
    expect(closed.opensAt).toBe(at('2025-04-26T20:00Z'));
    expect(startGate(windows, easterSaturday, live, { emergency: true }).open).toBe(true);
    expect(startGate(windows, easterSaturday, live, { overriddenFreezes: ['easter'] }).open).toBe(true);
    const atMidnightFreeze = at('2025-04-05T22:30Z');
    expect(startGate(windows, atMidnightFreeze, live, { emergency: true }).open).toBe(false);
    expect(startGate(windows, atMidnightFreeze, live, { overriddenFreezes: ['midnight-freeze'] }).open).toBe(
      true,
    );
  });
});

describe('window validation', () => {
  it('accepts a full definition and normalizes the zone and rule', () => {
    const window = compileWindow({
      ...saturdayNights,
      timeZone: 'europe/berlin',
      recurrence: 'rrule:freq=weekly;byday=sa',
    });
    expect(window.timeZone).toBe('Europe/Berlin');
    expect(window.recurrence).toBe('FREQ=WEEKLY;BYDAY=SA');
    expect(window.scope).toEqual({});
    expect(formatInterval(window.first, window.timeZone)).toBe(
      '2025-03-22 22:00 – 2025-03-23 04:00 Europe/Berlin',
    );
  });

  it('names an unknown time zone and refuses fixed offsets', () => {
    expect(problemsOf({ ...saturdayNights, timeZone: 'Mars/Olympus' })).toEqual([
      { path: '/timeZone', message: expect.stringMatching(/"Mars\/Olympus" is not an IANA time zone/) },
    ]);
    expect(problemsOf({ ...saturdayNights, timeZone: '+01:00' })[0]?.message).toMatch(
      /fixed offset.*daylight saving/,
    );
  });

  it('refuses an end before or equal to the start, saying both times', () => {
    expect(problemsOf({ ...saturdayNights, end: '2025-03-22T21:00' })).toEqual([
      {
        path: '/end',
        message:
          'is 2025-03-22 21:00 Europe/Berlin, before start (2025-03-22 22:00 Europe/Berlin); end must come after start',
      },
    ]);
    expect(problemsOf({ ...saturdayNights, end: '2025-03-22T22:00' })[0]?.message).toMatch(
      /same time as start/,
    );
  });

  it('wants exactly one of end and duration', () => {
    const { end: _end, ...withoutEnd } = saturdayNights;
    expect(problemsOf(withoutEnd)).toEqual([{ path: '/end', message: 'is missing; give end or duration' }]);
    expect(problemsOf({ ...saturdayNights, duration: '2h' })).toEqual([
      { path: '/duration', message: 'cannot be given with end; give end or duration' },
    ]);
  });

  it.each([
    ['FREQ=WEEKLY;BYHOUR=25', /BYHOUR expects values from 0 to 23; found 25/],
    ['FREQ=WEEKLY;BYDAY=XX', /BYDAY expects weekdays/],
    ['FREQ=WEEKLY;COUNT=abc', /COUNT expects a whole number/],
    ['FREQ=WEEKLY;FOO=BAR', /unknown part FOO/],
    ['BYDAY=SA', /needs a FREQ part/],
    ['FREQ=MINUTELY', /more often than a window can recur/],
    ['FREQ=WEEKLY;COUNT=2;UNTIL=20250101', /COUNT or UNTIL, not both/],
    ['FREQ=WEEKLY;BYDAY=-1SU', /only with FREQ=MONTHLY or FREQ=YEARLY/],
    ['FREQ=WEEKLY;BYMONTHDAY=1', /cannot be used with FREQ=WEEKLY/],
    ['FREQ=WEEKLY;UNTIL=2025', /UNTIL expects a date/],
    ['FREQ=WEEKLY;FREQ=DAILY', /names FREQ twice/],
    ['DTSTART:20250101T000000\nRRULE:FREQ=WEEKLY', /rule only/],
    ['FREQ=YEARLY;BYSETPOS=1', /needs another BY/],
    ['FREQ=WEEKLY;BYDAY=SA;UNTIL=20250301T000000Z', /no occurrence .* UNTIL before start/],
    ['FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', /no occurrence within 10 years/],
  ])('refuses the rule %s with a message that says why', (recurrence, message) => {
    const problems = problemsOf({ ...saturdayNights, recurrence });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('/recurrence');
    expect(problems[0]?.message).toMatch(message);
  });

  it('refuses dates that do not exist and times in the wrong shape', () => {
    expect(problemsOf({ ...saturdayNights, start: '2025-02-30T22:00' })).toEqual([
      { path: '/start', message: '"2025-02-30T22:00" is not a date that exists in the calendar' },
    ]);
    expect(problemsOf({ ...saturdayNights, start: 'next saturday' })[0]?.message).toMatch(
      /must be a local date-time such as 2025-03-29T22:00/,
    );
  });

  it('keeps emergencyAllowed to freezes and reports unknown fields', () => {
    expect(problemsOf({ ...saturdayNights, emergencyAllowed: true })).toEqual([
      { path: '/emergencyAllowed', message: 'applies only to freezes' },
    ]);
    expect(problemsOf({ ...saturdayNights, timezone: 'UTC' })[0]?.message).toMatch(
      /unknown field "timezone"/,
    );
  });

  it('explains the first problem in the error and keeps every problem in its details', () => {
    const result = validateWindow({ ...saturdayNights, timeZone: 'Nowhere', emergencyAllowed: true });
    expect(result.valid).toBe(false);
    if (result.valid) return;
    expect(result.error.code).toBe('validation_failed');
    expect(result.error.message).toMatch(/^The window has 2 problems; the first: \/timeZone/);
    expect(result.error.problems).toHaveLength(2);
  });

  it('refuses two windows with the same name', () => {
    const result = validateWindows([saturdayNights, saturdayNights]);
    expect(result.valid).toBe(false);
    if (result.valid) return;
    expect(result.problems).toEqual([
      { path: '/1/name', message: '"saturday-nights" is already the name of window 0' },
    ]);
  });
});

describe('the first occurrence of a recurring window', () => {
  it('is the first time the rule produces, when start is not one of them', () => {
    const window = compileWindow({ ...saturdayNights, start: '2025-03-24T22:00', end: '2025-03-25T04:00' });
    expect(formatInterval(window.first, window.timeZone)).toBe(
      '2025-03-29 22:00 – 2025-03-30 04:00 Europe/Berlin',
    );
    expect(occurrences(window, at('2025-03-24T00:00Z'), at('2025-03-29T00:00Z'))).toEqual([]);
  });
});
