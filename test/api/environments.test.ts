import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Environment, Target } from '../../src/domain/index.js';
import { tiers } from '../../src/domain/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dialectsUnderTest } from '../support/stores.js';
import { type Call, expectError, expectFieldProblem, expectStatus, send, walkPages } from './http.js';

describe.each(await dialectsUnderTest())('environments and targets over HTTP on %s', (dialect) => {
  let server: TestServer;
  const call = (request: Omit<Call, 'token'>) => send(server.app, { token: server.adminToken, ...request });
  const createEnvironment = async (body: Record<string, unknown>): Promise<Environment> =>
    expectStatus<Environment>(await call({ method: 'POST', url: '/api/v1/environments', body }), 201);
  const createTarget = async (environment: string, body: Record<string, unknown>): Promise<Target> =>
    expectStatus<Target>(
      await call({ method: 'POST', url: `/api/v1/environments/${environment}/targets`, body }),
      201,
    );
  const listEnvironments = async (query = ''): Promise<Environment[]> =>
    (await walkPages<Environment>(server.app, server.adminToken, `/api/v1/environments${query}`, 2)).flat();
  const targetNames = async (environment: string, query: string): Promise<string[]> =>
    (
      await walkPages<Target>(
        server.app,
        server.adminToken,
        `/api/v1/environments/${environment}/targets${query}`,
        2,
      )
    )
      .flat()
      .map((target) => target.name);

  beforeAll(async () => {
    server = await startTestServer(dialect);
  });
  afterAll(async () => server?.close());

  describe('environments', () => {
    beforeAll(async () => {
      // Created out of flow order on purpose: the list must follow `order`, not creation.
      await createEnvironment({
        name: 'live',
        tier: 'live',
        order: 50,
        protected: true,
        purpose: 'Customers',
      });
      await createEnvironment({ name: 'dev', tier: 'development', order: 10 });
      await createEnvironment({
        name: 'staging',
        tier: 'staging',
        order: 40,
        attributes: { region: 'eu-west' },
      });
      await createEnvironment({ name: 'integration', tier: 'integration', order: 20 });
      await createEnvironment({ name: 'test', tier: 'test', order: 30 });
    });

    it('lists environments of every tier in flow order across pages', async () => {
      const listed = await listEnvironments();
      expect(listed.map((environment) => environment.name)).toEqual([
        'dev',
        'integration',
        'test',
        'staging',
        'live',
      ]);
      expect(listed.map((environment) => environment.tier)).toEqual([...tiers]);
      expect(listed.map((environment) => environment.order)).toEqual([10, 20, 30, 40, 50]);
    });

    it('keeps attributes, purpose and the protected flag, and shows by id and by name', async () => {
      const live = expectStatus<Environment>(await call({ url: '/api/v1/environments/live' }), 200);
      expect(live).toMatchObject({ tier: 'live', protected: true, purpose: 'Customers', attributes: {} });
      const staging = expectStatus<Environment>(await call({ url: '/api/v1/environments/staging' }), 200);
      expect(staging).toMatchObject({ protected: false, attributes: { region: 'eu-west' } });
      expect(expectStatus<Environment>(await call({ url: `/api/v1/environments/${live.id}` }), 200)).toEqual(
        live,
      );
    });

    it('filters by tier and by the protected flag', async () => {
      expect((await listEnvironments('?tier=staging')).map((environment) => environment.name)).toEqual([
        'staging',
      ]);
      expect((await listEnvironments('?protected=true')).map((environment) => environment.name)).toEqual([
        'live',
      ]);
      expect(
        (await listEnvironments('?protected=false')).map((environment) => environment.name),
      ).not.toContain('live');
      expectFieldProblem(await call({ url: '/api/v1/environments?tier=production' }), '/querystring/tier');
    });

    it('places an environment without an order after the last one', async () => {
      const dr = await createEnvironment({ name: 'disaster-recovery', tier: 'live' });
      expect(dr.order).toBeGreaterThan(50);
      expect((await listEnvironments()).at(-1)?.name).toBe('disaster-recovery');
    });

    it('changes purpose, order, attributes and protection with PATCH', async () => {
      const before = expectStatus<Environment>(await call({ url: '/api/v1/environments/test' }), 200);
      const patched = expectStatus<Environment>(
        await call({
          method: 'PATCH',
          url: '/api/v1/environments/test',
          body: { order: 5, protected: true, attributes: { owner: 'qa' }, purpose: 'Acceptance' },
        }),
        200,
      );
      expect(patched).toMatchObject({
        id: before.id,
        name: 'test',
        tier: 'test',
        order: 5,
        protected: true,
        attributes: { owner: 'qa' },
        purpose: 'Acceptance',
      });
      expect(expectStatus<Environment>(await call({ url: '/api/v1/environments/test' }), 200)).toEqual(
        patched,
      );
      expect((await listEnvironments()).map((environment) => environment.name)[0]).toBe('test');
      expect((await listEnvironments('?protected=true')).map((environment) => environment.name)).toEqual([
        'test',
        'live',
      ]);
    });

    it('refuses an empty or invalid PATCH and a PATCH of an unknown environment', async () => {
      const before = expectStatus<Environment>(await call({ url: '/api/v1/environments/staging' }), 200);
      expectError(
        await call({ method: 'PATCH', url: '/api/v1/environments/staging', body: {} }),
        400,
        'validation_failed',
      );
      expectFieldProblem(
        await call({ method: 'PATCH', url: '/api/v1/environments/staging', body: { tier: 'prod' } }),
        '/body/tier',
      );
      expectFieldProblem(
        await call({ method: 'PATCH', url: '/api/v1/environments/staging', body: { name: 'renamed' } }),
        '/body/name',
      );
      expectFieldProblem(
        await call({
          method: 'PATCH',
          url: '/api/v1/environments/staging',
          body: { attributes: { size: 3 } },
        }),
        '/body/attributes/size',
      );
      expectFieldProblem(
        await call({ method: 'PATCH', url: '/api/v1/environments/staging', body: { order: -1 } }),
        '/body/order',
      );
      expectError(
        await call({ method: 'PATCH', url: '/api/v1/environments/nowhere', body: { order: 1 } }),
        404,
        'not_found',
      );
      expect(expectStatus<Environment>(await call({ url: '/api/v1/environments/staging' }), 200)).toEqual(
        before,
      );
    });

    it('refuses a duplicate environment name and an unknown tier', async () => {
      expectError(
        await call({ method: 'POST', url: '/api/v1/environments', body: { name: 'dev', tier: 'test' } }),
        409,
        'conflict',
      );
      expectFieldProblem(
        await call({ method: 'POST', url: '/api/v1/environments', body: { name: 'qa', tier: 'qa' } }),
        '/body/tier',
      );
      expect(expectStatus<Environment>(await call({ url: '/api/v1/environments/dev' }), 200).tier).toBe(
        'development',
      );
      expectError(await call({ url: '/api/v1/environments/qa' }), 404, 'not_found');
    });
  });

  describe('targets', () => {
    beforeAll(async () => {
      await createEnvironment({ name: 'fleet', tier: 'staging' });
      await createTarget('fleet', { name: 'web-a', kind: 'host', labels: { role: 'web', zone: 'a' } });
      await createTarget('fleet', { name: 'web-b', kind: 'host', labels: { role: 'web', zone: 'b' } });
      await createTarget('fleet', { name: 'db-a', kind: 'host', labels: { role: 'db', zone: 'a' } });
      await createTarget('fleet', { name: 'k8s-a', kind: 'cluster', labels: { role: 'web', zone: 'a' } });
      await createTarget('fleet', {
        name: 'dc-north',
        kind: 'site',
        labels: { expr: 'a=b' },
        facts: { rackUnits: 12, upsBackup: true, airConditioning: 'in-row', powerKw: 7.5, floor: '3' },
      });
    });

    it('keeps declared facts with their JSON types', async () => {
      const site = expectStatus<Target>(
        await call({ url: '/api/v1/environments/fleet/targets/dc-north' }),
        200,
      );
      expect(site.facts).toStrictEqual({
        rackUnits: 12,
        upsBackup: true,
        airConditioning: 'in-row',
        powerKw: 7.5,
        floor: '3',
      });
      expect(typeof site.facts.rackUnits).toBe('number');
      expect(typeof site.facts.upsBackup).toBe('boolean');
      expect(typeof site.facts.floor).toBe('string');
      const byId = expectStatus<Target>(
        await call({ url: `/api/v1/environments/fleet/targets/${site.id}` }),
        200,
      );
      expect(byId).toEqual(site);
      expect(site).toMatchObject({ environment: 'fleet', kind: 'site', labels: { expr: 'a=b' } });
    });

    it('refuses facts that are not a string, number or boolean', async () => {
      for (const value of [null, { nested: 1 }, [1, 2]]) {
        expectFieldProblem(
          await call({
            method: 'POST',
            url: '/api/v1/environments/fleet/targets',
            body: { name: 'odd', kind: 'host', facts: { weird: value } },
          }),
          '/body/facts/weird',
        );
      }
      expectFieldProblem(
        await call({
          method: 'POST',
          url: '/api/v1/environments/fleet/targets',
          body: { name: 'odd', kind: 'host', labels: { count: 3 } },
        }),
        '/body/labels/count',
      );
      expectFieldProblem(
        await call({
          method: 'POST',
          url: '/api/v1/environments/fleet/targets',
          body: { name: 'odd', kind: 'vm' },
        }),
        '/body/kind',
      );
      expectError(await call({ url: '/api/v1/environments/fleet/targets/odd' }), 404, 'not_found');
    });

    it('filters by labels (every selector must match), by kind and walks pages', async () => {
      expect(await targetNames('fleet', '?label=role=web')).toEqual(['web-a', 'web-b', 'k8s-a']);
      expect(await targetNames('fleet', '?label=role=web&label=zone=a')).toEqual(['web-a', 'k8s-a']);
      expect(await targetNames('fleet', '?label=role=web&label=zone=a&kind=host')).toEqual(['web-a']);
      expect(await targetNames('fleet', '?label=zone=c')).toEqual([]);
      expect(await targetNames('fleet', `?label=${encodeURIComponent('expr=a=b')}`)).toEqual(['dc-north']);
      expect(await targetNames('fleet', '?kind=cluster')).toEqual(['k8s-a']);
      expect(await targetNames('fleet', '')).toEqual(['web-a', 'web-b', 'db-a', 'k8s-a', 'dc-north']);
      expectFieldProblem(
        await call({ url: '/api/v1/environments/fleet/targets?label=novalue' }),
        '/querystring/label/0',
      );
    });

    it('keeps target names unique per environment, not across environments', async () => {
      const before = expectStatus<Target>(
        await call({ url: '/api/v1/environments/fleet/targets/web-a' }),
        200,
      );
      expectError(
        await call({
          method: 'POST',
          url: '/api/v1/environments/fleet/targets',
          body: { name: 'web-a', kind: 'cluster', labels: { role: 'imposter' } },
        }),
        409,
        'conflict',
      );
      expect(
        expectStatus<Target>(await call({ url: '/api/v1/environments/fleet/targets/web-a' }), 200),
      ).toEqual(before);
      await createEnvironment({ name: 'fleet-2', tier: 'test' });
      const twin = await createTarget('fleet-2', { name: 'web-a', kind: 'host' });
      expect(twin.environment).toBe('fleet-2');
      expect(twin.id).not.toBe(before.id);
      // A target is found only inside its own environment, even by id.
      expectError(await call({ url: `/api/v1/environments/fleet-2/targets/${before.id}` }), 404, 'not_found');
    });

    it('changes labels and facts with PATCH', async () => {
      const patched = expectStatus<Target>(
        await call({
          method: 'PATCH',
          url: '/api/v1/environments/fleet/targets/db-a',
          body: { labels: { role: 'db', zone: 'b' }, facts: { cores: 16, ssd: false } },
        }),
        200,
      );
      expect(patched).toMatchObject({ labels: { role: 'db', zone: 'b' }, facts: { cores: 16, ssd: false } });
      expect(await targetNames('fleet', '?label=zone=b')).toEqual(['web-b', 'db-a']);
      expectError(
        await call({
          method: 'PATCH',
          url: '/api/v1/environments/fleet/targets/nothing',
          body: { labels: {} },
        }),
        404,
        'not_found',
      );
    });

    it('answers 404 for targets of an unknown environment', async () => {
      expectError(await call({ url: '/api/v1/environments/nowhere/targets' }), 404, 'not_found');
      expectError(
        await call({
          method: 'POST',
          url: '/api/v1/environments/nowhere/targets',
          body: { name: 'x', kind: 'host' },
        }),
        404,
        'not_found',
      );
    });
  });

  describe('deleting environments', () => {
    it('refuses to delete an environment that has targets and leaves it intact', async () => {
      const environment = await createEnvironment({ name: 'busy', tier: 'test', attributes: { keep: 'me' } });
      const target = await createTarget('busy', { name: 'only-host', kind: 'host', facts: { cores: 2 } });
      const error = expectError(
        await call({ method: 'DELETE', url: '/api/v1/environments/busy' }),
        409,
        'environment_in_use',
      );
      expect(error.details).toMatchObject({ targets: 1 });
      expect(expectStatus<Environment>(await call({ url: '/api/v1/environments/busy' }), 200)).toEqual(
        environment,
      );
      expect(
        expectStatus<Target>(await call({ url: '/api/v1/environments/busy/targets/only-host' }), 200),
      ).toEqual(target);
    });

    it('deletes an empty environment with 204, after which it is gone', async () => {
      await createEnvironment({ name: 'scratch', tier: 'development' });
      const response = await call({ method: 'DELETE', url: '/api/v1/environments/scratch' });
      expect(response.statusCode).toBe(204);
      expect(response.body).toBe('');
      expectError(await call({ url: '/api/v1/environments/scratch' }), 404, 'not_found');
      expect((await listEnvironments()).map((environment) => environment.name)).not.toContain('scratch');
      expectError(await call({ method: 'DELETE', url: '/api/v1/environments/scratch' }), 404, 'not_found');
    });

    it('deletes an environment once its last target is removed', async () => {
      await createEnvironment({ name: 'emptied', tier: 'test' });
      await createTarget('emptied', { name: 'h1', kind: 'host' });
      expectError(
        await call({ method: 'DELETE', url: '/api/v1/environments/emptied' }),
        409,
        'environment_in_use',
      );
      expect(
        (await call({ method: 'DELETE', url: '/api/v1/environments/emptied/targets/h1' })).statusCode,
      ).toBe(204);
      expectError(await call({ url: '/api/v1/environments/emptied/targets/h1' }), 404, 'not_found');
      expect((await call({ method: 'DELETE', url: '/api/v1/environments/emptied' })).statusCode).toBe(204);
    });
  });
});
