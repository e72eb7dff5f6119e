import { describe, expect, it } from 'vitest';
import { correlationLinks, describeDuration } from './incidents.js';

const start = '2030-03-01T12:00:00.000Z';
const minutesBefore = (minutes: number) => new Date(Date.parse(start) - minutes * 60_000).toISOString();
const day = 24 * 60 * 60_000;

describe('incident correlation', () => {
  it('suspects recent deployments most, newest first, and leaves out those outside the window', () => {
    const links = correlationLinks(
      [
        {
          deploymentId: 'old',
          state: 'succeeded',
          requestedAt: minutesBefore(26 * 60),
          finishedAt: minutesBefore(25 * 60),
          environment: 'live',
          versions: [{ component: 'shop-web', version: '1.4.1' }],
        },
        {
          deploymentId: 'recent',
          state: 'succeeded',
          requestedAt: minutesBefore(50),
          finishedAt: minutesBefore(35),
          environment: 'live',
          versions: [{ component: 'shop-web', version: '1.4.2' }],
        },
        {
          deploymentId: 'running',
          state: 'executing',
          requestedAt: minutesBefore(5),
          environment: 'live',
          versions: [{ component: 'shop-api', version: '3.0.0' }],
        },
        {
          deploymentId: 'later',
          state: 'succeeded',
          requestedAt: minutesBefore(-10),
          finishedAt: minutesBefore(-20),
          environment: 'live',
          versions: [{ component: 'shop-api', version: '3.0.1' }],
        },
      ],
      start,
      day,
    );
    expect(links.map((link) => link.deploymentId)).toEqual(['running', 'recent']);
    expect(links[0]).toMatchObject({ score: 100 });
    expect(links[0]?.reason).toBe(
      'shop-api 3.0.0 was being deployed to live when the incident started (requested 5 min before; now executing).',
    );
    expect(links[1]?.reason).toBe('shop-web 1.4.2 succeeded in live 35 min before the incident started.');
    expect(links[1]?.score).toBe(98);
  });

  it('writes durations in words', () => {
    expect(describeDuration(35 * 60_000)).toBe('35 min');
    expect(describeDuration(125 * 60_000)).toBe('2 h 5 min');
    expect(describeDuration(3 * day)).toBe('3 days');
  });
});
