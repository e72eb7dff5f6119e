import { describe, expect, it } from 'vitest';
import {
  assertChangeTransition,
  type ChangeRequest,
  type ChangeState,
  type ChangeType,
  canTransitionChange,
  changeStates,
  changeTypes,
  createChange,
  linkDeployment,
  transitionChange,
  validateCreateChange,
} from './changes.js';

const request = {
  title: 'Upgrade the shop to 5.0',
  description: 'New checkout; rolled back by redeploying 4.9.',
  type: 'normal',
  risk: 'medium',
  impact: 'high',
  impactDescription: 'Checkout unavailable for up to 10 minutes',
  plannedWindow: { start: '2025-04-05T22:00', end: '2025-04-06T02:00', timeZone: 'Europe/Berlin' },
  externalReference: { system: 'servicenow', id: 'CHG0031337', url: 'https://itsm.example/CHG0031337' },
  deployments: ['dep-1'],
};
const creation = { id: 'chg-1', at: Date.parse('2025-04-01T09:00:00Z'), requestedBy: 'alice' };
const later = (minutes: number) => creation.at + minutes * 60_000;

/** Every allowed transition, written out independently of the module's table. */
const expected: Record<ChangeType, Record<ChangeState, ChangeState[]>> = {
  standard: {
    submitted: ['authorized', 'rejected', 'cancelled'],
    authorized: ['scheduled', 'implementing', 'cancelled'],
    scheduled: ['implementing', 'cancelled'],
    implementing: ['closed'],
    closed: [],
    rejected: [],
    cancelled: [],
  },
  normal: {
    submitted: ['authorized', 'rejected', 'cancelled'],
    authorized: ['scheduled', 'implementing', 'cancelled'],
    scheduled: ['implementing', 'cancelled'],
    implementing: ['closed'],
    closed: [],
    rejected: [],
    cancelled: [],
  },
  emergency: {
    submitted: ['authorized', 'rejected', 'cancelled', 'scheduled', 'implementing'],
    authorized: ['scheduled', 'implementing', 'cancelled'],
    scheduled: ['implementing', 'cancelled'],
    implementing: ['closed'],
    closed: [],
    rejected: [],
    cancelled: [],
  },
};

function changeIn(state: ChangeState, type: ChangeType = 'normal'): ChangeRequest {
  return { ...createChange({ ...request, type }, creation), state };
}

describe('change transitions', () => {
  it.each(
    changeTypes.flatMap((type) =>
      changeStates.flatMap((from) => changeStates.map((to) => [type, from, to] as const)),
    ),
  )('a %s change going from %s to %s follows the table', (type, from, to) => {
    const allowed = expected[type][from].includes(to);
    expect(canTransitionChange(from, to, type)).toBe(allowed);
    if (allowed) expect(() => assertChangeTransition(from, to, type)).not.toThrow();
    else
      expect(() => assertChangeTransition(from, to, type)).toThrow(
        expect.objectContaining({ code: 'invalid_transition' }),
      );
  });

  it('says what may follow when refusing a transition', () => {
    expect(() => assertChangeTransition('submitted', 'implementing', 'normal')).toThrow(
      'A normal change that is submitted cannot become implementing (it may become authorized, rejected, cancelled).',
    );
    expect(() => assertChangeTransition('closed', 'implementing', 'normal')).toThrow(/\(it is finished\)/);
  });
});

describe('change requests', () => {
  it('creates a normal change as submitted, with its planned window in UTC', () => {
    const change = createChange(request, creation);
    expect(change).toMatchObject({
      id: 'chg-1',
      state: 'submitted',
      type: 'normal',
      risk: 'medium',
      impact: 'high',
      plannedStart: '2025-04-05T20:00:00.000Z',
      plannedEnd: '2025-04-06T00:00:00.000Z',
      deployments: ['dep-1'],
      retroactiveReview: false,
      requestedBy: 'alice',
      createdAt: '2025-04-01T09:00:00.000Z',
    });
    expect(change.authorizedBy).toBeUndefined();
  });

  it('creates a standard change already authorized', () => {
    const change = createChange({ ...request, type: 'standard' }, creation);
    expect(change).toMatchObject({ state: 'authorized', authorizedBy: 'standard-change' });
  });

  it('refuses a planned window that ends before it starts or names an unknown zone', () => {
    const backwards = validateCreateChange({
      ...request,
      plannedWindow: { start: '2025-04-06T02:00', end: '2025-04-05T22:00', timeZone: 'Europe/Berlin' },
    });
    expect(backwards.valid).toBe(false);
    if (!backwards.valid) {
      expect(backwards.problems).toEqual([
        {
          path: '/plannedWindow/end',
          message: 'is 2025-04-05 22:00 Europe/Berlin, not after start (2025-04-06 02:00 Europe/Berlin)',
        },
      ]);
    }
    expect(() =>
      createChange({ ...request, plannedWindow: { ...request.plannedWindow, timeZone: 'Berlin' } }, creation),
    ).toThrow(/\/plannedWindow\/timeZone "Berlin" is not an IANA time zone/);
  });

  it('refuses an unknown type, risk or field', () => {
    const result = validateCreateChange({ ...request, type: 'urgent', risk: 'extreme', owner: 'bob' });
    expect(result.valid).toBe(false);
    if (!result.valid) {
      expect(result.problems.map((problem) => problem.path).sort()).toEqual(['/owner', '/risk', '/type']);
    }
  });

  it('records who authorized a change and when, leaving the original untouched', () => {
    const submitted = createChange(request, creation);
    const authorized = transitionChange(submitted, 'authorized', { at: later(30), by: 'cab-chair' });
    expect(authorized).toMatchObject({
      state: 'authorized',
      authorizedBy: 'cab-chair',
      authorizedAt: '2025-04-01T09:30:00.000Z',
      updatedAt: '2025-04-01T09:30:00.000Z',
    });
    expect(submitted.state).toBe('submitted');
  });

  it('walks a normal change to closed with its outcome', () => {
    let change = createChange(request, creation);
    change = transitionChange(change, 'authorized', { at: later(1), by: 'cab-chair' });
    change = transitionChange(change, 'scheduled', { at: later(2), by: 'slipway' });
    change = transitionChange(change, 'implementing', { at: later(3), by: 'slipway' });
    change = transitionChange(change, 'closed', {
      at: later(4),
      by: 'slipway',
      outcome: 'unsuccessful',
      reason: 'rolled back',
    });
    expect(change).toMatchObject({
      state: 'closed',
      outcome: 'unsuccessful',
      closedAt: '2025-04-01T09:04:00.000Z',
      stateReason: 'rolled back',
      retroactiveReview: false,
    });
  });

  it('needs an outcome to close, and only to close', () => {
    expect(() => transitionChange(changeIn('implementing'), 'closed', { at: later(1), by: 'x' })).toThrow(
      expect.objectContaining({ code: 'validation_failed', message: expect.stringMatching(/outcome/) }),
    );
    expect(() =>
      transitionChange(changeIn('submitted'), 'authorized', { at: later(1), by: 'x', outcome: 'successful' }),
    ).toThrow(/Only closing a change records an outcome/);
  });

  it('needs a reason to reject', () => {
    expect(() =>
      transitionChange(changeIn('submitted'), 'rejected', { at: later(1), by: 'cab', reason: ' ' }),
    ).toThrow(/needs a reason/);
    expect(
      transitionChange(changeIn('submitted'), 'rejected', {
        at: later(1),
        by: 'cab',
        reason: 'No back-out plan',
      }),
    ).toMatchObject({ state: 'rejected', stateReason: 'No back-out plan' });
  });

  it('marks an emergency change that goes ahead before authorization for retroactive review', () => {
    const emergency = changeIn('submitted', 'emergency');
    const implementing = transitionChange(emergency, 'implementing', { at: later(1), by: 'on-call' });
    expect(implementing.retroactiveReview).toBe(true);
    const closed = transitionChange(implementing, 'closed', {
      at: later(2),
      by: 'on-call',
      outcome: 'successful',
    });
    expect(closed.retroactiveReview).toBe(true);
    const authorizedFirst = transitionChange(emergency, 'authorized', { at: later(1), by: 'ecab' });
    expect(
      transitionChange(authorizedFirst, 'implementing', { at: later(2), by: 'on-call' }).retroactiveReview,
    ).toBe(false);
  });

  it('does not let a normal change skip authorization', () => {
    expect(() => transitionChange(changeIn('submitted'), 'implementing', { at: later(1), by: 'x' })).toThrow(
      expect.objectContaining({ code: 'invalid_transition' }),
    );
  });

  it('links deployments to open changes only, each once', () => {
    const change = createChange(request, creation);
    expect(linkDeployment(change, 'dep-2').deployments).toEqual(['dep-1', 'dep-2']);
    expect(linkDeployment(change, 'dep-1')).toBe(change);
    expect(() => linkDeployment(changeIn('cancelled'), 'dep-2')).toThrow(
      expect.objectContaining({ code: 'conflict' }),
    );
  });
});
