import * as fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import {
  canonicalTimeZone,
  coversInterval,
  floatingOfInstant,
  floatingOfLocal,
  formatInstant,
  formatInterval,
  instantOfFloating,
  instantOfLocal,
  localOfFloating,
  mergeIntervals,
  offsetAt,
  resolveWrittenTime,
} from './time.js';

// Zones with ordinary and unusual rules: half-hour and 30-minute daylight saving, negative
// "winter time" (Dublin), twice-yearly switches around Ramadan (Casablanca), a skipped day (Apia).
const zones = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'America/St_Johns',
  'Asia/Kolkata',
  'Europe/Dublin',
  'Africa/Casablanca',
  'Pacific/Apia',
  'America/Sao_Paulo',
] as const;
const from2005 = Date.UTC(2005, 0, 1);
const to2035 = Date.UTC(2035, 0, 1);

describe('fast zone conversions agree with Temporal', () => {
  it('reads the wall-clock time of any instant as Temporal does', () => {
    fc.assert(
      fc.property(fc.integer({ min: from2005, max: to2035 }), fc.constantFrom(...zones), (instant, zone) => {
        const expected = Temporal.Instant.fromEpochMilliseconds(instant)
          .toZonedDateTimeISO(zone)
          .toPlainDateTime();
        expect(floatingOfInstant(instant, zone)).toBe(floatingOfLocal(expected));
      }),
      { numRuns: 3_000 },
    );
  });

  it('turns any wall-clock time into the instant Temporal chooses, skipped and repeated hours included', () => {
    fc.assert(
      fc.property(fc.integer({ min: from2005, max: to2035 }), fc.constantFrom(...zones), (floating, zone) => {
        expect(instantOfFloating(floating, zone)).toBe(instantOfLocal(localOfFloating(floating), zone));
      }),
      { numRuns: 3_000 },
    );
  });

  it('agrees at the exact instants and wall-clock times of transitions', () => {
    for (const zone of zones) {
      let zoned: Temporal.ZonedDateTime | null = Temporal.Instant.fromEpochMilliseconds(
        Date.UTC(2024, 0, 1),
      ).toZonedDateTimeISO(zone);
      for (let count = 0; count < 6 && zoned !== null; count += 1) {
        zoned = zoned.getTimeZoneTransition('next');
        if (zoned === null || zoned.epochMilliseconds > to2035) break;
        const instant = zoned.epochMilliseconds;
        for (const nearby of [instant - 1, instant, instant + 1]) {
          const expected = Temporal.Instant.fromEpochMilliseconds(nearby)
            .toZonedDateTimeISO(zone)
            .toPlainDateTime();
          expect(floatingOfInstant(nearby, zone)).toBe(floatingOfLocal(expected));
          expect(offsetAt(nearby, zone)).toBe(
            Temporal.Instant.fromEpochMilliseconds(nearby).toZonedDateTimeISO(zone).offsetNanoseconds / 1e6,
          );
        }
        const wall = floatingOfLocal(zoned.toPlainDateTime());
        for (const floating of [
          wall - 3_600_000,
          wall - 1_800_000,
          wall - 1,
          wall,
          wall + 1,
          wall + 1_800_000,
        ]) {
          expect(instantOfFloating(floating, zone)).toBe(instantOfLocal(localOfFloating(floating), zone));
        }
      }
    }
  });
});

describe('times as people write and read them', () => {
  it('resolves local times in a zone and instants as they are', () => {
    expect(resolveWrittenTime('2025-03-29T22:00', 'Europe/Berlin')).toEqual({
      ok: true,
      value: Date.parse('2025-03-29T21:00Z'),
    });
    expect(resolveWrittenTime('2025-07-01', 'America/New_York')).toEqual({
      ok: true,
      value: Date.parse('2025-07-01T04:00Z'),
    });
    expect(resolveWrittenTime('2025-03-29T21:00:00Z', 'Asia/Tokyo')).toEqual({
      ok: true,
      value: Date.parse('2025-03-29T21:00Z'),
    });
    expect(resolveWrittenTime('2025-03-29T23:00:00+02:00', 'UTC')).toEqual({
      ok: true,
      value: Date.parse('2025-03-29T21:00Z'),
    });
    expect(resolveWrittenTime('29.03.2025 22:00', 'UTC')).toMatchObject({ ok: false });
    expect(resolveWrittenTime('2025-03-29T22:00', 'Europe/Atlantis')).toEqual({
      ok: false,
      message: '"Europe/Atlantis" is not an IANA time zone',
    });
  });

  it('knows IANA zones in any case and refuses fixed offsets', () => {
    expect(canonicalTimeZone('america/new_york')).toBe('America/New_York');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('+02:00')).toBeUndefined();
    expect(canonicalTimeZone('')).toBeUndefined();
  });

  it('writes instants and intervals in a zone', () => {
    const start = Date.parse('2025-10-25T20:00Z');
    expect(formatInstant(start)).toBe('2025-10-25 20:00 UTC');
    expect(formatInstant(start + 30_000, 'Europe/Berlin')).toBe('2025-10-25 22:00:30 Europe/Berlin');
    expect(formatInterval({ start, end: start + 3_600_000 }, 'Europe/Berlin')).toBe(
      '2025-10-25 22:00–23:00 Europe/Berlin',
    );
    expect(formatInterval({ start, end: Date.parse('2025-10-26T03:00Z') }, 'Europe/Berlin')).toBe(
      '2025-10-25 22:00 – 2025-10-26 04:00 Europe/Berlin',
    );
  });

  it('joins touching and overlapping intervals and drops empty ones', () => {
    expect(
      mergeIntervals([
        { start: 30, end: 40 },
        { start: 0, end: 10 },
        { start: 10, end: 20 },
        { start: 35, end: 50 },
        { start: 60, end: 60 },
      ]),
    ).toEqual([
      { start: 0, end: 20 },
      { start: 30, end: 50 },
    ]);
    expect(
      coversInterval(
        [
          { start: 0, end: 10 },
          { start: 10, end: 20 },
        ],
        { start: 5, end: 15 },
      ),
    ).toBe(true);
    expect(
      coversInterval(
        [
          { start: 0, end: 10 },
          { start: 11, end: 20 },
        ],
        { start: 5, end: 15 },
      ),
    ).toBe(false);
  });
});
