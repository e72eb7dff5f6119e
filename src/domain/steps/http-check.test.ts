import { describe, expect, it } from 'vitest';
import { httpCheckStep } from './http-check.js';

describe('http-check step', () => {
  it('describes the request, the expectation and the tries', () => {
    expect(
      httpCheckStep.describe(
        {
          type: 'http-check',
          name: 'health',
          url: 'https://{{ target.facts.hostname }}/health',
          expect: { status: 204, bodyContains: '{{ version }}' },
          retries: 4,
          interval: '10s',
          timeout: '2s',
        },
        { version: '9.9', target: { name: 'a', facts: { hostname: 'a.example' } } },
      ),
    ).toEqual({
      summary:
        'GET https://a.example/health expecting status 204 and a body containing "9.9" (up to 5 tries 10s apart, 2s per request)',
      details: [],
    });
  });

  it('expects 200 from one try by default', () => {
    const step = { type: 'http-check' as const, name: 'health', url: 'http://localhost/health' };
    expect(httpCheckStep.describe(step, {}).summary).toBe(
      'GET http://localhost/health expecting status 200 (one try, 10s per request)',
    );
    expect(httpCheckStep.safeToRepeat(step)).toBe(true);
  });

  it('lists the fields that may hold placeholders and durations', () => {
    const step = {
      type: 'http-check' as const,
      name: 'health',
      url: 'http://x',
      expect: { bodyContains: 'ok' },
      interval: '1s',
    };
    expect(httpCheckStep.templateFields(step).map((field) => field.field)).toEqual([
      '/url',
      '/expect/bodyContains',
    ]);
    expect(httpCheckStep.durationFields(step).map((field) => field.field)).toEqual(['/interval']);
  });
});
