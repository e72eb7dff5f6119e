import { describe, expect, it } from 'vitest';
import {
  type ApprovalRule,
  type AuthorizationSubject,
  type ChangePolicy,
  decideAuthorization,
  evaluateApprovals,
  type RecordedApproval,
  selectChangePolicy,
  validateChangePolicies,
  validateChangePolicy,
} from './policies.js';

const live = { name: 'live', tier: 'live', protected: true } as const;
const staging = { name: 'staging', tier: 'staging', protected: false } as const;

const livePolicy: ChangePolicy = {
  environment: 'live',
  requiresChange: true,
  standardModels: ['certificate-renewal'],
  allowEmergency: true,
};

const subject = (overrides: Partial<AuthorizationSubject> = {}): AuthorizationSubject => ({
  model: 'web-service',
  environment: live,
  ...overrides,
});

describe('change policy selection', () => {
  const policies: ChangePolicy[] = [
    { requiresChange: false },
    { tier: 'live', requiresChange: true },
    { tier: 'live', model: 'hotfix', requiresChange: false },
    { environment: 'live', requiresChange: true, allowEmergency: true },
    { environment: 'live', model: 'docs', requiresChange: false },
    { model: 'database', requiresChange: true },
  ];
  const pick = (model: string, environment: { name: string; tier: 'live' | 'staging'; protected: boolean }) =>
    policies.indexOf(selectChangePolicy(policies, { model, environment }) as ChangePolicy);

  it('prefers environment and model, then environment, tier and model, tier, model, and the default', () => {
    expect(pick('docs', live)).toBe(4);
    expect(pick('web', live)).toBe(3);
    expect(pick('hotfix', { name: 'live-eu', tier: 'live', protected: true })).toBe(2);
    expect(pick('web', { name: 'live-eu', tier: 'live', protected: true })).toBe(1);
    expect(pick('database', staging)).toBe(5);
    expect(pick('web', staging)).toBe(0);
  });

  it('finds none when no policy matches and there is no default', () => {
    expect(
      selectChangePolicy([{ environment: 'live', requiresChange: true }], {
        model: 'web',
        environment: staging,
      }),
    ).toBe(undefined);
  });

  it('refuses a policy naming both environment and tier, and two policies for the same thing', () => {
    const both = validateChangePolicy({ environment: 'live', tier: 'live', requiresChange: true });
    expect(both.valid).toBe(false);
    if (!both.valid) expect(both.problems[0]?.path).toBe('/tier');
    const twice = validateChangePolicies([livePolicy, { environment: 'live', requiresChange: false }]);
    expect(twice.valid).toBe(false);
    if (!twice.valid)
      expect(twice.problems).toEqual([
        { path: '/1', message: 'governs the same environment live as policy 0' },
      ]);
  });

  it('refuses more approvals than the named people can give, and unknown roles', () => {
    const tooMany = validateChangePolicy({
      requiresChange: false,
      approvals: { count: 3, principals: ['ann', 'bo'] },
    });
    expect(tooMany.valid).toBe(false);
    const badRole = validateChangePolicy({ requiresChange: false, approvals: { count: 1, roles: ['boss'] } });
    expect(badRole.valid).toBe(false);
    if (!badRole.valid) expect(badRole.problems[0]?.path).toBe('/approvals/roles/0');
  });
});

describe('authorization decisions', () => {
  it('needs nothing without a policy or when the policy requires no change', () => {
    expect(decideAuthorization(undefined, subject()).outcome).toBe('not-needed');
    expect(decideAuthorization({ requiresChange: false }, subject()).outcome).toBe('not-needed');
  });

  it('authorizes a standard model without a change request', () => {
    expect(decideAuthorization(livePolicy, subject({ model: 'certificate-renewal' }))).toEqual({
      outcome: 'authorized',
      basis: 'standard-model',
      retroactiveReview: false,
      reason: 'Model certificate-renewal is a standard change in live: pre-authorized.',
    });
  });

  it('waits for a change when none is linked, and says what to request', () => {
    const decision = decideAuthorization(livePolicy, subject());
    expect(decision).toMatchObject({ outcome: 'awaiting', needs: 'change' });
    expect(decision.reason).toMatch(
      /need an authorized change and none is linked.*normal change \(or an emergency change\)/,
    );
  });

  it('waits while a normal change is submitted, and goes ahead once it is authorized, scheduled or implementing', () => {
    const waiting = decideAuthorization(
      livePolicy,
      subject({ change: { id: 'chg-1', type: 'normal', state: 'submitted' } }),
    );
    expect(waiting).toMatchObject({ outcome: 'awaiting', needs: 'authorization', changeId: 'chg-1' });
    expect(waiting.reason).toBe(
      'Change chg-1 is submitted; a change authority (or the external change system) must authorize it.',
    );
    for (const state of ['authorized', 'scheduled', 'implementing'] as const) {
      expect(
        decideAuthorization(livePolicy, subject({ change: { id: 'chg-1', type: 'normal', state } })),
      ).toMatchObject({
        outcome: 'authorized',
        basis: 'authorized-change',
        retroactiveReview: false,
      });
    }
  });

  it('refuses under a rejected, cancelled or closed change, whatever the policy', () => {
    for (const state of ['rejected', 'cancelled', 'closed'] as const) {
      expect(
        decideAuthorization(livePolicy, subject({ change: { id: 'chg-2', type: 'normal', state } })),
      ).toMatchObject({
        outcome: 'refused',
        changeId: 'chg-2',
      });
    }
    expect(
      decideAuthorization(undefined, subject({ change: { id: 'chg-2', type: 'normal', state: 'rejected' } }))
        .outcome,
    ).toBe('refused');
  });

  it('lets an emergency change go ahead with retroactive review where the policy allows it', () => {
    const emergency = { id: 'chg-3', type: 'emergency', state: 'submitted' } as const;
    expect(decideAuthorization(livePolicy, subject({ change: emergency }))).toMatchObject({
      outcome: 'authorized',
      basis: 'emergency',
      retroactiveReview: true,
    });
    const strict = { ...livePolicy, allowEmergency: false };
    const decision = decideAuthorization(strict, subject({ change: emergency }));
    expect(decision).toMatchObject({ outcome: 'awaiting', needs: 'authorization' });
    expect(decision.reason).toMatch(/Emergency changes may not go ahead before authorization in live/);
  });

  it('refuses an emergency that already went ahead unauthorized in an environment that does not allow that', () => {
    const wentAhead = {
      id: 'chg-4',
      type: 'emergency',
      state: 'implementing',
      retroactiveReview: true,
    } as const;
    expect(decideAuthorization(livePolicy, subject({ change: wentAhead }))).toMatchObject({
      outcome: 'authorized',
      basis: 'emergency',
    });
    expect(
      decideAuthorization({ ...livePolicy, allowEmergency: false }, subject({ change: wentAhead })),
    ).toMatchObject({
      outcome: 'refused',
    });
  });
});

describe('approvals', () => {
  const now = Date.parse('2025-04-05T12:00:00Z');
  const minutesAgo = (minutes: number) => now - minutes * 60_000;
  const approval = (principalId: string, overrides: Partial<RecordedApproval> = {}): RecordedApproval => ({
    principalId,
    roles: ['deployment-manager'],
    at: minutesAgo(10),
    decision: 'approved',
    ...overrides,
  });
  const twoManagers: ApprovalRule = { count: 2, roles: ['deployment-manager'] };

  it('is satisfied by enough distinct eligible people', () => {
    const result = evaluateApprovals(twoManagers, [approval('ann'), approval('bo')], 'cy', now, true);
    expect(result).toMatchObject({ satisfied: true, missing: 0, reason: 'Approved by ann, bo.' });
    expect(result.counted.map((entry) => entry.principalId)).toEqual(['ann', 'bo']);
  });

  it('never counts the requester in a protected environment, even when the rule would allow it', () => {
    const rule = { ...twoManagers, requesterMayApprove: true };
    const result = evaluateApprovals(rule, [approval('ann'), approval('cy')], 'cy', now, true);
    expect(result).toMatchObject({ satisfied: false, missing: 1 });
    expect(result.ignored).toEqual([{ approval: approval('cy'), reason: 'requester' }]);
    expect(result.reason).toBe(
      '1 of 2 approvals given; 1 more needed from a deployment-manager other than the requester. ' +
        'The requester’s own approval does not count in a protected environment.',
    );
  });

  it('counts the requester elsewhere by default, and not when the rule says so', () => {
    expect(
      evaluateApprovals(twoManagers, [approval('ann'), approval('cy')], 'cy', now, false).satisfied,
    ).toBe(true);
    const strict = { ...twoManagers, requesterMayApprove: false };
    expect(evaluateApprovals(strict, [approval('ann'), approval('cy')], 'cy', now, false).satisfied).toBe(
      false,
    );
  });

  it('counts one person once, however often they approve', () => {
    const result = evaluateApprovals(
      twoManagers,
      [approval('ann', { at: minutesAgo(30) }), approval('ann', { at: minutesAgo(20) }), approval('ann')],
      'cy',
      now,
      true,
    );
    expect(result).toMatchObject({ satisfied: false, missing: 1 });
    expect(result.counted).toHaveLength(1);
    expect(result.ignored.map((entry) => entry.reason)).toEqual(['superseded', 'superseded']);
  });

  it('does not count expired approvals, and says when satisfaction lapses', () => {
    const rule = { ...twoManagers, expiresAfterMinutes: 60 };
    const expired = evaluateApprovals(
      rule,
      [approval('ann', { at: minutesAgo(61) }), approval('bo')],
      'cy',
      now,
      true,
    );
    expect(expired).toMatchObject({ satisfied: false, missing: 1 });
    expect(expired.ignored.map((entry) => entry.reason)).toEqual(['expired']);
    expect(expired.reason).toMatch(/1 approval has expired and must be given again/);
    // Exactly at the expiry it no longer counts.
    expect(
      evaluateApprovals(rule, [approval('ann', { at: minutesAgo(60) }), approval('bo')], 'cy', now, true)
        .satisfied,
    ).toBe(false);
    const fresh = evaluateApprovals(
      rule,
      [
        approval('ann', { at: minutesAgo(50) }),
        approval('bo', { at: minutesAgo(5) }),
        approval('di', { at: minutesAgo(40) }),
      ],
      'cy',
      now,
      true,
    );
    // Three approvals, two needed: satisfied until the second oldest (di, 40 minutes ago) expires.
    expect(fresh.validUntil).toBe(minutesAgo(40) + 60 * 60_000);
  });

  it('is blocked by a rejection, which names who rejected and why', () => {
    const result = evaluateApprovals(
      twoManagers,
      [
        approval('ann'),
        approval('bo'),
        approval('di', { decision: 'rejected', comment: 'Not during the sale' }),
      ],
      'cy',
      now,
      true,
    );
    expect(result.satisfied).toBe(false);
    expect(result.rejectedBy?.map((entry) => entry.principalId)).toEqual(['di']);
    expect(result.reason).toBe('Rejected by di: Not during the sale.');
  });

  it('takes a person’s latest decision: an approval after their rejection lifts it', () => {
    const result = evaluateApprovals(
      { count: 1 },
      [approval('di', { decision: 'rejected', at: minutesAgo(20) }), approval('di', { at: minutesAgo(5) })],
      'cy',
      now,
      true,
    );
    expect(result).toMatchObject({ satisfied: true });
    expect(result.rejectedBy).toBeUndefined();
  });

  it('ignores decisions of people the rule does not name, and accepts named people whatever their roles', () => {
    const rule: ApprovalRule = { count: 2, roles: ['change-authority'], principals: ['ops-lead'] };
    const result = evaluateApprovals(
      rule,
      [
        approval('ann'),
        approval('eve', { roles: ['change-authority'] }),
        approval('ops-lead', { roles: ['practitioner'] }),
        approval('zed', { decision: 'rejected' }),
      ],
      'cy',
      now,
      true,
    );
    expect(result.satisfied).toBe(true);
    expect(result.ignored.map((entry) => [entry.approval.principalId, entry.reason])).toEqual([
      ['ann', 'not-eligible'],
      ['zed', 'not-eligible'],
    ]);
  });

  it('needs nothing when the count is zero', () => {
    expect(evaluateApprovals({ count: 0 }, [], 'cy', now, true)).toMatchObject({
      satisfied: true,
      missing: 0,
    });
  });
});
