import { describe, expect, it } from 'vitest';
import {
  type ConflictContext,
  detectConflicts,
  nextFreeSlot,
  type PlannedDeployment,
  type ScheduledDeployment,
} from './conflicts.js';
import { dayMilliseconds, hourMilliseconds, type Interval, minuteMilliseconds } from './time.js';
import { compileWindow } from './windows.js';

const at = (text: string) => Date.parse(text);
const span = (start: string, end: string): Interval => ({ start: at(start), end: at(end) });
const utc = (interval: Interval | undefined) =>
  interval === undefined
    ? undefined
    : `${new Date(interval.start).toISOString().replace(':00.000Z', 'Z')}/${new Date(interval.end)
        .toISOString()
        .replace(':00.000Z', 'Z')}`;

// Saturdays 22:00 to Sundays 04:00 Berlin time: in April (CEST) 20:00 to 02:00 UTC.
const saturdayNights = compileWindow({
  kind: 'maintenance',
  name: 'saturday-nights',
  scope: { environment: 'live' },
  start: '2025-03-22T22:00',
  end: '2025-03-23T04:00',
  timeZone: 'Europe/Berlin',
  recurrence: 'FREQ=WEEKLY;BYDAY=SA',
});
// Friday 18 April 00:00 to Tuesday 22 April 00:00 Berlin time.
const easter = compileWindow({
  kind: 'freeze',
  name: 'easter',
  start: '2025-04-18',
  end: '2025-04-22',
  timeZone: 'Europe/Berlin',
  emergencyAllowed: true,
});
const windows = [saturdayNights, easter];

const plan = (overrides: Partial<PlannedDeployment> = {}): PlannedDeployment => ({
  id: 'dep-1',
  interval: span('2025-04-05T20:00Z', '2025-04-05T22:00Z'),
  environment: 'live',
  services: ['shop'],
  components: ['shop-web'],
  targets: ['web-1'],
  ...overrides,
});

const other = (
  overrides: Partial<ScheduledDeployment> & { id: string; interval: Interval },
): ScheduledDeployment => ({
  environment: 'live',
  services: ['shop'],
  components: ['shop-web'],
  targets: ['web-1'],
  ...overrides,
});

const context = (overrides: Partial<ConflictContext> = {}): ConflictContext => ({
  deployments: [],
  windows,
  ...overrides,
});

describe('conflict detection', () => {
  it('finds nothing wrong with a deployment inside a window, and offers its own time as the slot', () => {
    const report = detectConflicts(plan(), context());
    expect(report.conflicts).toEqual([]);
    expect(utc(report.nextFreeSlot)).toBe('2025-04-05T20:00Z/2025-04-05T22:00Z');
  });

  it('reports an overlapping deployment on the same target with the next free slot after it', () => {
    const running = other({
      id: 'dep-2',
      state: 'executing',
      interval: span('2025-04-05T19:00Z', '2025-04-05T21:00Z'),
    });
    const report = detectConflicts(plan(), context({ deployments: [running] }));
    expect(report.conflicts).toHaveLength(1);
    const [conflict] = report.conflicts;
    expect(conflict).toMatchObject({
      kind: 'overlap',
      other: { type: 'deployment', id: 'dep-2', state: 'executing' },
      shared: { targets: ['web-1'], environment: 'live', components: ['shop-web'] },
    });
    expect(utc(conflict?.interval)).toBe('2025-04-05T20:00Z/2025-04-05T21:00Z');
    expect(utc(conflict?.nextFreeSlot)).toBe('2025-04-05T21:00Z/2025-04-05T23:00Z');
    expect(conflict?.message).toBe(
      'Deployment dep-2 (executing) runs 2025-04-05 19:00–21:00 UTC on target web-1, environment live and ' +
        'component shop-web, overlapping this one (2025-04-05 20:00–22:00 UTC). Move this deployment or dep-2: ' +
        'the next free slot is 2025-04-05 21:00–23:00 UTC.',
    );
  });

  it('writes times in the zone it is asked to', () => {
    const running = other({ id: 'dep-2', interval: span('2025-04-05T19:00Z', '2025-04-05T21:00Z') });
    const [conflict] = detectConflicts(
      plan(),
      context({ deployments: [running], timeZone: 'Europe/Berlin' }),
    ).conflicts;
    expect(conflict?.message).toMatch(/runs 2025-04-05 21:00–23:00 Europe\/Berlin/);
    expect(conflict?.message).toMatch(/next free slot is 2025-04-05 23:00 – 2025-04-06 01:00 Europe\/Berlin/);
  });

  it('counts the same component in another environment as an overlap unless told to ignore components', () => {
    const staging = other({
      id: 'dep-3',
      environment: 'staging',
      targets: ['stg-1'],
      interval: span('2025-04-05T21:00Z', '2025-04-05T23:00Z'),
    });
    const [conflict] = detectConflicts(plan(), context({ deployments: [staging] })).conflicts;
    expect(conflict?.shared).toEqual({ targets: [], components: ['shop-web'] });
    expect(
      detectConflicts(plan(), context({ deployments: [staging], overlapOn: ['target', 'environment'] }))
        .conflicts,
    ).toEqual([]);
  });

  it('ignores deployments that share nothing, that do not overlap in time, and the deployment itself', () => {
    const elsewhere = other({
      id: 'dep-4',
      environment: 'test',
      services: ['search'],
      components: ['search-api'],
      targets: ['test-1'],
      interval: span('2025-04-05T20:00Z', '2025-04-05T22:00Z'),
    });
    const before = other({ id: 'dep-5', interval: span('2025-04-05T18:00Z', '2025-04-05T20:00Z') });
    const itself = other({ id: 'dep-1', interval: span('2025-04-05T20:00Z', '2025-04-05T22:00Z') });
    expect(detectConflicts(plan(), context({ deployments: [elsewhere, before, itself] })).conflicts).toEqual(
      [],
    );
  });

  it('reports a planned time outside the maintenance windows, naming the next window and slot', () => {
    const report = detectConflicts(
      plan({ interval: span('2025-04-02T10:00Z', '2025-04-02T12:00Z') }),
      context(),
    );
    expect(report.conflicts).toHaveLength(1);
    const [conflict] = report.conflicts;
    expect(conflict?.kind).toBe('outside-maintenance-window');
    expect(conflict?.other).toEqual({ type: 'maintenance-window', name: 'saturday-nights' });
    expect(conflict?.message).toMatch(
      /not inside the maintenance windows .* \(saturday-nights\); the next one is saturday-nights, 2025-04-05 22:00 – 2025-04-06 04:00 Europe\/Berlin/,
    );
    expect(utc(conflict?.nextFreeSlot)).toBe('2025-04-05T20:00Z/2025-04-05T22:00Z');
  });

  it('reports a deployment that would outlast its window, and finds the next window long enough', () => {
    const late = plan({ interval: span('2025-04-06T01:00Z', '2025-04-06T03:00Z') });
    const [conflict] = detectConflicts(late, context()).conflicts;
    expect(conflict?.kind).toBe('outside-maintenance-window');
    expect(utc(conflict?.nextFreeSlot)).toBe('2025-04-12T20:00Z/2025-04-12T22:00Z');
  });

  it('needs no window in an environment that has none', () => {
    const test = plan({ environment: 'test', interval: span('2025-04-02T10:00Z', '2025-04-02T12:00Z') });
    expect(detectConflicts(test, context()).conflicts).toEqual([]);
  });

  it('reports a freeze and moves the slot to the first window after it', () => {
    const easterSaturday = plan({ interval: span('2025-04-19T20:00Z', '2025-04-19T22:00Z') });
    const report = detectConflicts(easterSaturday, context());
    expect(report.conflicts).toHaveLength(1);
    const [conflict] = report.conflicts;
    expect(conflict).toMatchObject({ kind: 'freeze', other: { type: 'freeze', name: 'easter' } });
    expect(conflict?.message).toMatch(
      /falls in freeze easter \(2025-04-18 00:00 – 2025-04-22 00:00 Europe\/Berlin\)\. Only an emergency change may pass it\./,
    );
    expect(utc(conflict?.nextFreeSlot)).toBe('2025-04-26T20:00Z/2025-04-26T22:00Z');
  });

  it('moves the slot past both a freeze and a deployment already planned in the first free window', () => {
    const easterSaturday = plan({ interval: span('2025-04-19T20:00Z', '2025-04-19T22:00Z') });
    const nextWeek = other({
      id: 'dep-7',
      state: 'planned',
      interval: span('2025-04-26T20:00Z', '2025-04-26T21:30Z'),
    });
    const report = detectConflicts(easterSaturday, context({ deployments: [nextWeek] }));
    expect(report.conflicts.map((conflict) => conflict.kind)).toEqual(['freeze']);
    expect(utc(report.nextFreeSlot)).toBe('2025-04-26T21:30Z/2025-04-26T23:30Z');
  });

  it('lets an emergency through a freeze that allows it, but not through one that does not', () => {
    const strict = compileWindow({
      kind: 'freeze',
      name: 'datacenter-move',
      start: '2025-04-19T23:00',
      end: '2025-04-20T01:00',
      timeZone: 'Europe/Berlin',
    });
    const easterSaturday = plan({
      interval: span('2025-04-19T20:00Z', '2025-04-19T22:00Z'),
      emergency: true,
    });
    const report = detectConflicts(easterSaturday, context({ windows: [...windows, strict] }));
    expect(report.conflicts.map((conflict) => conflict.other)).toEqual([
      { type: 'freeze', name: 'datacenter-move' },
    ]);
    // The emergency may run right after the strict freeze, still inside the window and the easter freeze.
    expect(utc(report.nextFreeSlot)).toBe('2025-04-19T23:00Z/2025-04-20T01:00Z');
  });

  it('lets an overridden freeze through', () => {
    const easterSaturday = plan({
      interval: span('2025-04-19T20:00Z', '2025-04-19T22:00Z'),
      overriddenFreezes: ['easter'],
    });
    expect(detectConflicts(easterSaturday, context()).conflicts).toEqual([]);
  });

  it('reports an assignee booked on another deployment’s task and shifts the slot so the task fits', () => {
    const racking = plan({
      environment: 'test',
      interval: span('2025-04-02T10:00Z', '2025-04-02T12:00Z'),
      tasks: [
        { assignee: 'alice', task: 'rack server', interval: span('2025-04-02T10:30Z', '2025-04-02T11:00Z') },
      ],
    });
    const cabling = other({
      id: 'dep-8',
      environment: 'lab',
      services: ['network'],
      components: ['switches'],
      targets: ['lab-1'],
      interval: span('2025-04-02T09:00Z', '2025-04-02T12:00Z'),
      tasks: [
        { assignee: 'alice', task: 'cable rack', interval: span('2025-04-02T10:00Z', '2025-04-02T11:30Z') },
      ],
    });
    const report = detectConflicts(racking, context({ deployments: [cabling] }));
    expect(report.conflicts).toHaveLength(1);
    const [conflict] = report.conflicts;
    expect(conflict).toMatchObject({
      kind: 'assignee-double-booked',
      other: { type: 'assignee', assignee: 'alice', task: 'cable rack', deploymentId: 'dep-8' },
    });
    expect(conflict?.message).toBe(
      'alice is booked on task "cable rack" of deployment dep-8 (2025-04-02 10:00–11:30 UTC) while task ' +
        '"rack server" needs them (2025-04-02 10:30–11:00 UTC). Assign someone else or move this deployment: ' +
        'the next free slot is 2025-04-02 11:00–13:00 UTC.',
    );
    // The task starts 30 minutes into the deployment: starting at 11:00 puts it at 11:30, after alice is free.
    expect(utc(conflict?.nextFreeSlot)).toBe('2025-04-02T11:00Z/2025-04-02T13:00Z');
  });

  it('counts bookings outside deployments, such as leave', () => {
    const racking = plan({
      environment: 'test',
      interval: span('2025-04-02T10:00Z', '2025-04-02T12:00Z'),
      tasks: [
        { assignee: 'bob', task: 'sign off', interval: span('2025-04-02T11:30Z', '2025-04-02T12:00Z') },
      ],
    });
    const leave = {
      assignee: 'bob',
      task: 'leave',
      interval: span('2025-04-02T00:00Z', '2025-04-04T00:00Z'),
    };
    const report = detectConflicts(racking, context({ bookings: [leave] }));
    expect(report.conflicts.map((conflict) => conflict.other)).toEqual([
      { type: 'assignee', assignee: 'bob', task: 'leave' },
    ]);
    expect(utc(report.nextFreeSlot)).toBe('2025-04-03T22:30Z/2025-04-04T00:30Z');
  });

  it('reports one person on two tasks of the same deployment at once, with no slot since moving cannot help', () => {
    const both = plan({
      environment: 'test',
      interval: span('2025-04-02T10:00Z', '2025-04-02T12:00Z'),
      tasks: [
        { assignee: 'carol', task: 'unpack', interval: span('2025-04-02T10:00Z', '2025-04-02T11:00Z') },
        { assignee: 'carol', task: 'label', interval: span('2025-04-02T10:30Z', '2025-04-02T11:30Z') },
        { assignee: 'dave', task: 'check', interval: span('2025-04-02T10:30Z', '2025-04-02T11:30Z') },
      ],
    });
    const [conflict, ...rest] = detectConflicts(both, context()).conflicts;
    expect(rest).toEqual([]);
    expect(conflict?.other).toEqual({
      type: 'assignee',
      assignee: 'carol',
      task: 'label',
      deploymentId: 'dep-1',
    });
    expect(conflict?.nextFreeSlot).toBeUndefined();
    expect(conflict?.message).toMatch(
      /carol has two tasks of this deployment at once.*Assign one of them to someone else/,
    );
  });

  it('says when no free slot exists within the horizon', () => {
    const report = detectConflicts(
      plan({ interval: span('2025-04-02T10:00Z', '2025-04-02T12:00Z') }),
      context({ horizon: dayMilliseconds }),
    );
    expect(report.nextFreeSlot).toBeUndefined();
    expect(report.conflicts[0]?.nextFreeSlot).toBeUndefined();
    expect(report.conflicts[0]?.message).toMatch(/no free slot exists within 1 day/);
  });

  it('starts the search no earlier than notBefore', () => {
    const report = detectConflicts(plan(), context({ notBefore: at('2025-04-05T23:30Z') }));
    expect(utc(report.nextFreeSlot)).toBe('2025-04-05T23:30Z/2025-04-06T01:30Z');
  });

  it('refuses a planned interval that does not end after it starts', () => {
    expect(() =>
      detectConflicts(plan({ interval: span('2025-04-05T20:00Z', '2025-04-05T20:00Z') }), context()),
    ).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });

  it('lists conflicts by kind, each with the same slot that clears all of them', () => {
    const crowded = plan({
      interval: span('2025-04-19T21:00Z', '2025-04-19T23:00Z'),
      tasks: [{ assignee: 'erin', interval: span('2025-04-19T21:00Z', '2025-04-19T22:00Z') }],
      dependencies: [{ service: 'db', minimum: '2.0.0' }],
    });
    const planned = other({
      id: 'dep-9',
      interval: span('2025-04-19T20:00Z', '2025-04-19T21:30Z'),
      tasks: [{ assignee: 'erin', interval: span('2025-04-19T20:00Z', '2025-04-19T21:30Z') }],
    });
    const report = detectConflicts(
      crowded,
      context({
        deployments: [planned],
        deployed: [{ environment: 'live', service: 'db', version: '2.3.1' }],
      }),
    );
    expect(report.conflicts.map((conflict) => conflict.kind)).toEqual([
      'overlap',
      'freeze',
      'assignee-double-booked',
    ]);
    for (const conflict of report.conflicts) expect(conflict.nextFreeSlot).toEqual(report.nextFreeSlot);
    expect(utc(report.nextFreeSlot)).toBe('2025-04-26T20:00Z/2025-04-26T22:00Z');
  });
});

describe('dependency conflicts', () => {
  const needsDatabase = (overrides: Partial<PlannedDeployment> = {}) =>
    plan({ dependencies: [{ service: 'db', minimum: '2.0.0' }], ...overrides });
  const onlyTargets = { overlapOn: ['target'] as const };

  it('is satisfied by what is deployed in the same environment', () => {
    const deployed = [{ environment: 'live', service: 'db', version: '2.0.1' }];
    expect(detectConflicts(needsDatabase(), context({ deployed })).conflicts).toEqual([]);
  });

  it('does not count versions deployed in another environment', () => {
    const deployed = [{ environment: 'staging', service: 'db', version: '3.0.0' }];
    const [conflict] = detectConflicts(needsDatabase(), context({ deployed })).conflicts;
    expect(conflict?.kind).toBe('unmet-dependency');
    expect(conflict?.message).toBe(
      'This deployment needs service db at version 2.0.0 or later in environment live, but db is not deployed there ' +
        'and no planned deployment brings it. Plan a deployment of db 2.0.0 or later to live before this one.',
    );
    expect(conflict?.nextFreeSlot).toBeUndefined();
  });

  it('names the version found when it is too old', () => {
    const deployed = [{ environment: 'live', service: 'db', version: '1.4.2' }];
    const [conflict] = detectConflicts(needsDatabase(), context({ deployed })).conflicts;
    expect(conflict?.other).toEqual({
      type: 'dependency',
      service: 'db',
      minimum: '2.0.0',
      found: ['1.4.2'],
    });
    expect(conflict?.message).toMatch(/but db is at 1\.4\.2 there/);
  });

  it('counts a planned deployment that ends before this one starts', () => {
    const deployed = [{ environment: 'live', service: 'db', version: '1.4.2' }];
    const upgrade = other({
      id: 'dep-db',
      services: ['db'],
      components: ['db'],
      targets: ['db-1'],
      interval: span('2025-04-05T18:00Z', '2025-04-05T19:00Z'),
      versions: [{ service: 'db', version: '2.1.0' }],
    });
    expect(
      detectConflicts(needsDatabase(), context({ deployed, deployments: [upgrade], ...onlyTargets }))
        .conflicts,
    ).toEqual([]);
  });

  it('points at a planned deployment that brings the version too late, and slots this one after it', () => {
    const deployed = [{ environment: 'live', service: 'db', version: '1.4.2' }];
    const upgrade = other({
      id: 'dep-db',
      services: ['db'],
      components: ['db'],
      targets: ['db-1'],
      interval: span('2025-04-05T20:00Z', '2025-04-05T21:00Z'),
      versions: [{ service: 'db', version: '2.1.0' }],
    });
    const report = detectConflicts(
      needsDatabase(),
      context({ deployed, deployments: [upgrade], ...onlyTargets }),
    );
    expect(report.conflicts).toHaveLength(1);
    const [conflict] = report.conflicts;
    expect(conflict?.other).toEqual({
      type: 'dependency',
      service: 'db',
      minimum: '2.0.0',
      found: ['1.4.2'],
      providedBy: 'dep-db',
    });
    expect(conflict?.message).toMatch(
      /Deployment dep-db brings db 2\.1\.0 and ends after this one starts; start after it/,
    );
    expect(utc(conflict?.nextFreeSlot)).toBe('2025-04-05T21:00Z/2025-04-05T23:00Z');
  });

  it('is satisfied when the deployment moves the needed service itself', () => {
    const together = needsDatabase({
      versions: [
        { service: 'db', version: '2.0.0' },
        { service: 'shop', version: '5.0.0' },
      ],
    });
    expect(detectConflicts(together, context()).conflicts).toEqual([]);
  });

  it('checks one component when the dependency names it, and every component otherwise', () => {
    const deployed = [
      { environment: 'live', service: 'db', component: 'schema', version: '2.1' },
      { environment: 'live', service: 'db', component: 'engine', version: '1.9.9' },
    ];
    const onSchema = plan({ dependencies: [{ service: 'db', component: 'schema', minimum: '2.0' }] });
    expect(detectConflicts(onSchema, context({ deployed })).conflicts).toEqual([]);
    const [conflict] = detectConflicts(needsDatabase(), context({ deployed })).conflicts;
    expect(conflict?.other).toMatchObject({ found: ['1.9.9', '2.1'] });
    const onEngine = plan({ dependencies: [{ service: 'db', component: 'engine', minimum: '2.0' }] });
    expect(detectConflicts(onEngine, context({ deployed })).conflicts[0]?.message).toMatch(
      /needs component engine of service db at version 2\.0 or later/,
    );
  });
});

describe('next free slot', () => {
  const ten = at('2025-04-02T10:00Z');

  it('is the requested time when nothing stands in the way', () => {
    expect(utc(nextFreeSlot(hourMilliseconds, ten))).toBe('2025-04-02T10:00Z/2025-04-02T11:00Z');
  });

  it('skips back-to-back busy times and gaps too short for the deployment', () => {
    const busy = [
      span('2025-04-02T10:00Z', '2025-04-02T11:00Z'),
      span('2025-04-02T11:00Z', '2025-04-02T11:45Z'),
      span('2025-04-02T12:30Z', '2025-04-02T13:00Z'),
    ];
    expect(utc(nextFreeSlot(hourMilliseconds, ten, { busy }))).toBe('2025-04-02T13:00Z/2025-04-02T14:00Z');
    expect(utc(nextFreeSlot(45 * minuteMilliseconds, ten, { busy }))).toBe(
      '2025-04-02T11:45Z/2025-04-02T12:30Z',
    );
  });

  it('finds nothing when every window is shorter than the deployment', () => {
    const short = compileWindow({
      kind: 'maintenance',
      name: 'lunch',
      start: '2025-04-01T12:00',
      duration: '1h',
      timeZone: 'UTC',
      recurrence: 'FREQ=DAILY',
    });
    const constraints = { windows: [short], scope: { environment: 'live' } };
    expect(nextFreeSlot(2 * hourMilliseconds, ten, constraints)).toBeUndefined();
    expect(utc(nextFreeSlot(hourMilliseconds, ten, constraints))).toBe('2025-04-02T12:00Z/2025-04-02T13:00Z');
  });

  it('stops at the horizon', () => {
    const busy = [span('2025-04-02T10:00Z', '2025-04-09T10:00Z')];
    expect(nextFreeSlot(hourMilliseconds, ten, { busy, horizon: 7 * dayMilliseconds - 1 })).toBeUndefined();
    expect(utc(nextFreeSlot(hourMilliseconds, ten, { busy, horizon: 7 * dayMilliseconds }))).toBe(
      '2025-04-09T10:00Z/2025-04-09T11:00Z',
    );
  });

  it('places manual tasks by their offset inside the deployment', () => {
    const tasks = [
      {
        offset: 90 * minuteMilliseconds,
        duration: 30 * minuteMilliseconds,
        busy: [span('2025-04-02T11:00Z', '2025-04-02T12:00Z')],
      },
    ];
    // The task at +1h30 would fall in 11:30–12:00; starting at 10:30 puts it at 12:00, when its assignee is free.
    expect(utc(nextFreeSlot(2 * hourMilliseconds, ten, { tasks }))).toBe(
      '2025-04-02T10:30Z/2025-04-02T12:30Z',
    );
    expect(utc(nextFreeSlot(2 * hourMilliseconds, at('2025-04-02T08:00Z'), { tasks }))).toBe(
      '2025-04-02T08:00Z/2025-04-02T10:00Z',
    );
  });
});
