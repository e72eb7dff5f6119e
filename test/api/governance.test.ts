import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/domain/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dialectsUnderTest } from '../support/stores.js';
import { type Call, digestOf, expectError, expectStatus, send } from './http.js';

const webModel = `apiVersion: slipway/v1
kind: DeploymentModel
name: web
appliesTo: { componentKinds: [software] }
stages:
  - name: live
    environment: live
    steps:
      - name: install
        type: shell
        command: "echo {{ version }}"
`;

interface Window {
  id: string;
  name: string;
  kind: string;
}
interface Occurrence {
  window: string;
  kind: string;
  start: string;
  end: string;
  localStart: string;
  timeZone: string;
}
interface Conflict {
  kind: string;
  message: string;
  other: { type: string; id?: string; name?: string };
  nextFreeSlot?: { start: string; end: string };
}
interface Schedule {
  deployments: { id: string; start: string; end: string; planned: boolean }[];
  occurrences: Occurrence[];
  conflicts: (Conflict & { deploymentId: string })[];
}
interface Change {
  id: string;
  number: string;
  state: string;
  type: string;
  outcome?: string;
  authorizedBy?: string;
  stateReason?: string;
  deployments: string[];
}
interface Policy {
  id: string;
  environment?: string;
  tier?: string;
  model?: string;
  requiresChange: boolean;
}

describe.each(await dialectsUnderTest())('planning and governance over HTTP on %s', (dialect) => {
  let server: TestServer;
  const as = (token: string) => (request: Omit<Call, 'token'>) => send(server.app, { ...request, token });
  const admin = (request: Omit<Call, 'token'>) => as(server.adminToken)(request);
  const manager = (request: Omit<Call, 'token'>) => as(server.tokens['deployment-manager'])(request);
  const deployments: Deployment[] = [];

  beforeAll(async () => {
    server = await startTestServer(dialect);
    expectStatus(
      await admin({ method: 'POST', url: '/api/v1/environments', body: { name: 'live', tier: 'live' } }),
      201,
    );
    expectStatus(
      await admin({
        method: 'POST',
        url: '/api/v1/environments/live/targets',
        body: { name: 'h1', kind: 'host' },
      }),
      201,
    );
    expectStatus(await admin({ method: 'POST', url: '/api/v1/services', body: { name: 'shop' } }), 201);
    expectStatus(
      await admin({
        method: 'POST',
        url: '/api/v1/components',
        body: { service: 'shop', name: 'shop-web', kind: 'software' },
      }),
      201,
    );
    expectStatus(await manager({ method: 'POST', url: '/api/v1/models', body: { source: webModel } }), 201);
    for (const version of ['1.0.0', '1.1.0']) {
      expectStatus(
        await admin({
          method: 'POST',
          url: '/api/v1/components/shop-web/versions',
          body: { version, digest: digestOf(version), size: 1 },
        }),
        201,
      );
      // The engine is not started: the deployments stay requested and only carry plans.
      deployments.push(
        expectStatus<Deployment>(
          await admin({
            method: 'POST',
            url: '/api/v1/deployments',
            body: { component: 'shop-web', version, environment: 'live' },
          }),
          201,
        ),
      );
    }
  });
  afterAll(async () => server?.close());

  describe('windows, freezes and the schedule', () => {
    it('creates a weekly maintenance window in Europe/Berlin and a freeze, and refuses a second name', async () => {
      const window = expectStatus<Window>(
        await manager({
          method: 'POST',
          url: '/api/v1/windows',
          body: {
            kind: 'maintenance',
            name: 'live-saturday-nights',
            scope: { environment: 'live' },
            start: '2030-03-23T22:00',
            end: '2030-03-24T04:00',
            timeZone: 'Europe/Berlin',
            recurrence: 'FREQ=WEEKLY;BYDAY=SA',
          },
        }),
        201,
      );
      expect(window).toMatchObject({ name: 'live-saturday-nights', kind: 'maintenance' });
      expectStatus(
        await manager({
          method: 'POST',
          url: '/api/v1/windows',
          body: {
            kind: 'freeze',
            name: 'easter-2030',
            start: '2030-04-19',
            end: '2030-04-23',
            timeZone: 'Europe/Berlin',
          },
        }),
        201,
      );
      expectError(
        await manager({
          method: 'POST',
          url: '/api/v1/windows',
          body: { kind: 'freeze', name: 'easter-2030', start: '2031-04-19', duration: '1d', timeZone: 'UTC' },
        }),
        409,
        'conflict',
      );
      const invalid = expectError(
        await manager({
          method: 'POST',
          url: '/api/v1/windows',
          body: {
            kind: 'freeze',
            name: 'bad',
            start: '2030-12-20',
            end: '2030-12-19',
            timeZone: 'Europe/Berln',
          },
        }),
        400,
        'validation_failed',
      );
      expect(invalid.details?.problems?.map((problem) => problem.path)).toContain('/timeZone');
      expectError(
        await as(server.tokens.practitioner)({
          method: 'POST',
          url: '/api/v1/windows',
          body: { kind: 'freeze', name: 'mine', start: '2030-01-01', duration: '1d', timeZone: 'UTC' },
        }),
        403,
        'forbidden',
      );
    });

    it('shows the occurrences in the schedule, at 22:00 Berlin time across the clock change', async () => {
      const schedule = expectStatus<Schedule>(
        await as(server.tokens.auditor)({
          url: '/api/v1/schedule?from=2030-03-20T00:00:00Z&to=2030-04-21T00:00:00Z&environment=live',
        }),
        200,
      );
      const saturdays = schedule.occurrences.filter((occurrence) => occurrence.kind === 'maintenance');
      // Clocks change on Sunday 31 March 2030: UTC+1 before, UTC+2 after.
      expect(saturdays.map((occurrence) => occurrence.start)).toEqual([
        '2030-03-23T21:00:00.000Z',
        '2030-03-30T21:00:00.000Z',
        '2030-04-06T20:00:00.000Z',
        '2030-04-13T20:00:00.000Z',
        '2030-04-20T20:00:00.000Z',
      ]);
      expect(new Set(saturdays.map((occurrence) => occurrence.localStart))).toEqual(
        new Set([
          '2030-03-23T22:00:00',
          '2030-03-30T22:00:00',
          '2030-04-06T22:00:00',
          '2030-04-13T22:00:00',
          '2030-04-20T22:00:00',
        ]),
      );
      expect(schedule.occurrences.find((occurrence) => occurrence.kind === 'freeze')).toMatchObject({
        window: 'easter-2030',
        start: '2030-04-18T22:00:00.000Z',
        end: '2030-04-22T22:00:00.000Z',
      });
      const listed = expectStatus<{ items: Occurrence[] }>(
        await manager({
          url: '/api/v1/windows/occurrences?from=2030-04-01&to=2030-04-08&timeZone=Europe/Berlin',
        }),
        200,
      );
      expect(listed.items.map((occurrence) => occurrence.window)).toEqual(['live-saturday-nights']);
    });

    it('reports overlapping planned deployments with the other party and the next free slot', async () => {
      const [first, second] = deployments;
      if (first === undefined || second === undefined) throw new Error('deployments missing');
      const planned = expectStatus<{ conflicts: Conflict[] }>(
        await manager({
          method: 'PUT',
          url: `/api/v1/schedule/deployments/${first.id}`,
          body: { start: '2030-04-06T22:00', duration: '2h', timeZone: 'Europe/Berlin' },
        }),
        200,
      );
      expect(planned.conflicts).toEqual([]);
      const overlapping = expectStatus<{ conflicts: Conflict[]; nextFreeSlot?: { start: string } }>(
        await manager({
          method: 'PUT',
          url: `/api/v1/schedule/deployments/${second.id}`,
          body: { start: '2030-04-06T23:00', end: '2030-04-07T01:00', timeZone: 'Europe/Berlin' },
        }),
        200,
      );
      expect(overlapping.conflicts.map((conflict) => [conflict.kind, conflict.other])).toEqual([
        ['overlap', { type: 'deployment', id: first.id, state: 'requested' }],
      ]);
      // The first deployment ends at 00:00 Berlin (22:00 UTC); the window is still open then.
      const slot = { start: '2030-04-06T22:00:00.000Z', end: '2030-04-07T00:00:00.000Z' };
      expect(overlapping.nextFreeSlot).toEqual(slot);
      expect(overlapping.conflicts[0]?.nextFreeSlot).toEqual(slot);

      const schedule = expectStatus<Schedule>(
        await manager({ url: '/api/v1/schedule?from=2030-04-06&to=2030-04-08&service=shop' }),
        200,
      );
      expect(schedule.deployments.map((deployment) => deployment.id).sort()).toEqual(
        [first.id, second.id].sort(),
      );
      expect(schedule.conflicts.map((conflict) => [conflict.deploymentId, conflict.other.id]).sort()).toEqual(
        [
          [first.id, second.id],
          [second.id, first.id],
        ].sort(),
      );

      // The planning check creates nothing and sees the window and the freeze too.
      const check = expectStatus<{ conflicts: Conflict[]; nextFreeSlot?: { start: string } }>(
        await as(server.tokens.practitioner)({
          method: 'POST',
          url: '/api/v1/schedule/check',
          body: {
            component: 'shop-web@1.1.0',
            environment: 'live',
            start: '2030-04-20T12:00',
            duration: '1h',
            timeZone: 'Europe/Berlin',
          },
        }),
        200,
      );
      expect(check.conflicts.map((conflict) => [conflict.kind, conflict.other.name])).toEqual([
        ['outside-maintenance-window', 'live-saturday-nights'],
        ['freeze', 'easter-2030'],
      ]);
      // The next Saturday night window after Easter: 27 April 22:00 Berlin.
      expect(check.nextFreeSlot).toEqual({
        start: '2030-04-27T20:00:00.000Z',
        end: '2030-04-27T21:00:00.000Z',
      });
      expectError(
        await manager({
          method: 'POST',
          url: '/api/v1/schedule/check',
          body: { component: 'shop-web', environment: 'live', start: '2030-04-20T12:00', timeZone: 'UTC' },
        }),
        400,
        'validation_failed',
      );
    });
  });

  describe('change requests', () => {
    const request = {
      title: 'Upgrade the shop to 1.1',
      description: 'New checkout. Back-out: redeploy 1.0.0.',
      type: 'normal',
      risk: 'medium',
      impact: 'high',
      plannedWindow: { start: '2030-04-06T22:00', end: '2030-04-07T02:00', timeZone: 'Europe/Berlin' },
    };

    it('goes through its lifecycle and refuses an illegal step with invalid_transition', async () => {
      const created = expectStatus<Change>(
        await as(server.tokens['service-owner'])({ method: 'POST', url: '/api/v1/changes', body: request }),
        201,
      );
      expect(created).toMatchObject({ state: 'submitted', number: 'CHG-0001', deployments: [] });
      const illegal = expectError(
        await manager({ method: 'POST', url: `/api/v1/changes/${created.id}/implement` }),
        409,
        'invalid_transition',
      );
      expect(illegal.details).toMatchObject({ from: 'submitted', to: 'implementing' });
      expectError(
        await as(server.tokens['change-authority'])({
          method: 'POST',
          url: `/api/v1/changes/${created.number}/reject`,
          body: {},
        }),
        400,
        'validation_failed',
      );
      const authorized = expectStatus<Change>(
        await as(server.tokens['change-authority'])({
          method: 'POST',
          url: `/api/v1/changes/${created.number}/authorize`,
        }),
        200,
      );
      expect(authorized.state).toBe('authorized');
      const [deployment] = deployments;
      if (deployment === undefined) throw new Error('deployment missing');
      const linked = expectStatus<Change>(
        await manager({
          method: 'POST',
          url: `/api/v1/changes/${created.id}/deployments`,
          body: { deployment: deployment.id },
        }),
        200,
      );
      expect(linked.deployments).toEqual([deployment.id]);
      const schedule = expectStatus<{ deployments: { id: string; changeId?: string }[] }>(
        await manager({ url: '/api/v1/schedule?from=2030-04-06&to=2030-04-08' }),
        200,
      );
      expect(schedule.deployments.find((entry) => entry.id === deployment.id)?.changeId).toBe(created.id);
      for (const step of ['schedule', 'implement']) {
        expectStatus(
          await manager({ method: 'POST', url: `/api/v1/changes/${created.id}/${step}`, body: {} }),
          200,
        );
      }
      expectError(
        await manager({ method: 'POST', url: `/api/v1/changes/${created.id}/close`, body: {} }),
        400,
        'validation_failed',
      );
      const closed = expectStatus<Change>(
        await manager({
          method: 'POST',
          url: `/api/v1/changes/${created.id}/close`,
          body: { outcome: 'successful' },
        }),
        200,
      );
      expect(closed).toMatchObject({ state: 'closed', outcome: 'successful' });
      expectError(
        await manager({ method: 'POST', url: `/api/v1/changes/${created.id}/cancel` }),
        409,
        'invalid_transition',
      );
      const audit = expectStatus<{ items: { action: string }[] }>(
        await as(server.tokens.auditor)({ url: `/api/v1/audit?subjectId=${created.id}` }),
        200,
      );
      expect(audit.items.map((entry) => entry.action)).toEqual([
        'change.created',
        'change.authorized',
        'change.deployment-linked',
        'change.scheduled',
        'change.implementing',
        'change.closed',
      ]);
    });

    it('is authorized by an external change system with its own token; a practitioner may not', async () => {
      const created = expectStatus<Change>(
        await manager({ method: 'POST', url: '/api/v1/changes', body: request }),
        201,
      );
      expectError(
        await as(server.tokens.practitioner)({
          method: 'POST',
          url: `/api/v1/changes/${created.id}/authorize`,
        }),
        403,
        'forbidden',
      );
      const system = expectStatus<{ principal: { id: string }; token: string }>(
        await admin({
          method: 'POST',
          url: '/api/v1/principals',
          body: { name: 'servicenow', kind: 'system', roles: ['change-authority'] },
        }),
        201,
      );
      const authorized = expectStatus<Change>(
        await as(system.token)({
          method: 'POST',
          url: `/api/v1/changes/${created.number}/authorize`,
          body: { reason: 'CAB approved CHG0031337' },
        }),
        200,
      );
      expect(authorized).toMatchObject({
        state: 'authorized',
        authorizedBy: system.principal.id,
        stateReason: 'CAB approved CHG0031337',
      });
    });
  });

  describe('change policies', () => {
    it('are created, listed, changed and deleted, and policyFor picks the most specific one', async () => {
      const create = async (body: Record<string, unknown>) =>
        expectStatus<Policy>(await manager({ method: 'POST', url: '/api/v1/policies', body }), 201);
      const byTier = await create({ tier: 'live', requiresChange: true, allowEmergency: true });
      const byEnvironmentAndModel = await create({
        environment: 'live',
        model: 'web',
        requiresChange: false,
      });
      await create({ requiresChange: false });
      expectError(
        await manager({
          method: 'POST',
          url: '/api/v1/policies',
          body: { tier: 'live', requiresChange: false },
        }),
        409,
        'conflict',
      );
      expectError(
        await as(server.tokens['service-owner'])({
          method: 'POST',
          url: '/api/v1/policies',
          body: { tier: 'test', requiresChange: true },
        }),
        403,
        'forbidden',
      );
      const listed = expectStatus<{ items: Policy[] }>(await manager({ url: '/api/v1/policies' }), 200);
      expect(listed.items).toHaveLength(3);

      const effective = async (model: string) =>
        expectStatus<{ policy?: Policy }>(
          await as(server.tokens.auditor)({
            url: `/api/v1/policies/effective?model=${model}&environment=live`,
          }),
          200,
        ).policy;
      expect((await effective('web'))?.id).toBe(byEnvironmentAndModel.id);
      expect((await effective('other'))?.id).toBe(byTier.id);

      expectStatus(
        await manager({
          method: 'PUT',
          url: `/api/v1/policies/${byEnvironmentAndModel.id}`,
          body: { environment: 'live', model: 'web', requiresChange: true, standardModels: ['web'] },
        }),
        200,
      );
      expect(await effective('web')).toMatchObject({ requiresChange: true, standardModels: ['web'] });
      expect(
        (await manager({ method: 'DELETE', url: `/api/v1/policies/${byEnvironmentAndModel.id}` })).statusCode,
      ).toBe(204);
      expect((await effective('web'))?.id).toBe(byTier.id);
      expectError(await manager({ url: `/api/v1/policies/${byEnvironmentAndModel.id}` }), 404, 'not_found');
    });
  });
});
