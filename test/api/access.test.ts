import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/index.js';
import type { ApiToken, AuditEvent, Principal, Service } from '../../src/domain/index.js';
import { ContextLoader, DeploymentCommands } from '../../src/engine/index.js';
import { AccessControl, hashToken } from '../../src/governance/index.js';
import type { Store } from '../../src/store/index.js';
import { dialectsUnderTest, openTestStore } from '../support/stores.js';
import { type Call, digestOf, expectError, expectStatus, send, walkPages } from './http.js';

const day = 86_400_000;

interface CreatedPrincipal {
  principal: Principal;
  token: string;
  tokenMetadata: ApiToken;
}

describe.each(await dialectsUnderTest())('authentication and the audit trail on %s', (dialect) => {
  // A clock the test moves by hand, so that token expiry needs no waiting.
  let nowMs = Date.parse('2030-03-01T09:00:00.000Z');
  let store: Store;
  let app: FastifyInstance;
  let adminToken: string;
  let closeStore: () => Promise<void>;
  const plaintexts: string[] = [];

  const call = (request: Call) => send(app, request);
  const asAdmin = (request: Omit<Call, 'token'>) => send(app, { token: adminToken, ...request });
  const createPrincipal = async (name: string, roles: string[]): Promise<CreatedPrincipal> => {
    const created = expectStatus<CreatedPrincipal>(
      await asAdmin({ method: 'POST', url: '/api/v1/principals', body: { name, kind: 'system', roles } }),
      201,
    );
    plaintexts.push(created.token);
    return created;
  };

  beforeAll(async () => {
    const opened = await openTestStore(dialect, { clock: () => new Date(nowMs) });
    store = opened.store;
    closeStore = opened.close;
    const access = new AccessControl(store);
    const { generatedToken } = await access.ensureAdmin(undefined);
    if (generatedToken === undefined) throw new Error('expected a generated admin token');
    adminToken = generatedToken;
    plaintexts.push(adminToken);
    const commands = new DeploymentCommands(store, new ContextLoader(store));
    app = await buildServer({ store, access, commands, logLevel: 'silent' });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await closeStore?.();
  });

  describe('refuses with 401', () => {
    it('a request without a token, before reading its body', async () => {
      expectError(await call({ url: '/api/v1/services' }), 401, 'unauthenticated');
      expectError(
        await call({ method: 'POST', url: '/api/v1/services', body: { name: 'sneaky' } }),
        401,
        'unauthenticated',
      );
      // Authentication comes first: an anonymous caller learns nothing about the body's validity.
      expectError(
        await call({ method: 'POST', url: '/api/v1/services', body: { name: 42 } }),
        401,
        'unauthenticated',
      );
      expectError(await asAdmin({ url: '/api/v1/services/sneaky' }), 404, 'not_found');
    });

    it('a malformed Authorization header', async () => {
      const headers = [
        'Basic YWRtaW46YWRtaW4=',
        'Bearer',
        'Bearer ',
        `Token ${adminToken}`,
        `Bearer ${adminToken} ${adminToken}`,
        `Bearer${adminToken}`,
        adminToken,
      ];
      for (const authorization of headers) {
        const response = await call({ url: '/api/v1/whoami', headers: { authorization } });
        expectError(response, 401, 'unauthenticated');
      }
      // The scheme is case-insensitive (RFC 9110), so this one is well formed.
      const lower = await call({ url: '/api/v1/whoami', headers: { authorization: `bearer ${adminToken}` } });
      expect(expectStatus<Principal>(lower, 200).name).toBe('admin');
    });

    it('an unknown or absurdly long token', async () => {
      for (const token of [
        'slw_unknown',
        `${adminToken}x`,
        adminToken.slice(0, -1),
        `slw_${'a'.repeat(5000)}`,
      ]) {
        expectError(await call({ url: '/api/v1/whoami', token }), 401, 'unauthenticated');
      }
    });

    it('a revoked token, from the moment it is revoked, while the principal’s other tokens work', async () => {
      const bot = await createPrincipal('revocation-bot', ['practitioner']);
      const second = expectStatus<{ token: string; metadata: ApiToken }>(
        await asAdmin({
          method: 'POST',
          url: '/api/v1/tokens',
          body: { principal: 'revocation-bot', name: 'spare' },
        }),
        201,
      );
      plaintexts.push(second.token);
      // Use the token first so that a cached authentication would be there to go stale.
      expect(expectStatus<Principal>(await call({ url: '/api/v1/whoami', token: bot.token }), 200).id).toBe(
        bot.principal.id,
      );
      const revoked = expectStatus<ApiToken>(
        await asAdmin({ method: 'DELETE', url: `/api/v1/tokens/${bot.tokenMetadata.id}` }),
        200,
      );
      expect(revoked.revokedAt).toBe(new Date(nowMs).toISOString());
      expectError(await call({ url: '/api/v1/whoami', token: bot.token }), 401, 'unauthenticated');
      expectError(
        await call({
          method: 'PATCH',
          url: '/api/v1/environments/any',
          token: bot.token,
          body: { order: 1 },
        }),
        401,
        'unauthenticated',
      );
      expect(
        expectStatus<Principal>(await call({ url: '/api/v1/whoami', token: second.token }), 200).name,
      ).toBe('revocation-bot');
      const listed = expectStatus<{ items: ApiToken[] }>(
        await asAdmin({ url: '/api/v1/tokens?principal=revocation-bot' }),
        200,
      );
      expect(listed.items.find((token) => token.id === bot.tokenMetadata.id)?.revokedAt).toBe(
        revoked.revokedAt,
      );
      expect(listed.items.find((token) => token.id === second.metadata.id)?.revokedAt).toBeUndefined();
    });

    it('an expired token, and not a moment before it expires', async () => {
      await createPrincipal('expiry-bot', ['auditor']);
      const issued = expectStatus<{ token: string; metadata: ApiToken }>(
        await asAdmin({
          method: 'POST',
          url: '/api/v1/tokens',
          body: { principal: 'expiry-bot', name: 'short-lived', expiresInDays: 1 },
        }),
        201,
      );
      plaintexts.push(issued.token);
      expect(issued.metadata.expiresAt).toBe(new Date(nowMs + day).toISOString());
      expect((await call({ url: '/api/v1/whoami', token: issued.token })).statusCode).toBe(200);
      nowMs += day - 60_000;
      expect((await call({ url: '/api/v1/whoami', token: issued.token })).statusCode).toBe(200);
      nowMs += 120_000;
      expectError(await call({ url: '/api/v1/whoami', token: issued.token }), 401, 'unauthenticated');
      expectError(await call({ url: '/api/v1/audit', token: issued.token }), 401, 'unauthenticated');
      // A token without an expiry keeps working however far the clock moves.
      nowMs += 3650 * day;
      expect((await call({ url: '/api/v1/whoami', token: adminToken })).statusCode).toBe(200);
    });
  });

  describe('token storage', () => {
    it('keeps only hashes: no stored row holds a plaintext token or its secret part', async () => {
      const shown = await createPrincipal('hash-check', ['agent']);
      const rows = await store.db.selectFrom('api_tokens').selectAll().execute();
      expect(rows.length).toBeGreaterThanOrEqual(plaintexts.length);
      const everything = JSON.stringify([
        rows,
        await store.db.selectFrom('principals').selectAll().execute(),
        await store.db.selectFrom('audit_events').selectAll().execute(),
      ]);
      for (const token of plaintexts) {
        expect(everything).not.toContain(token);
        // The stored prefix is the first ten characters; the rest is the secret.
        expect(everything).not.toContain(token.slice(10));
        const row = rows.find((candidate) => candidate.token_hash === hashToken(token));
        expect(row, 'a row keyed by the token hash').toBeDefined();
        expect(row?.token_hash).toMatch(/^[0-9a-f]{64}$/);
        expect(token.startsWith(row?.prefix ?? '-')).toBe(true);
      }
      expect(rows.find((row) => row.id === shown.tokenMetadata.id)?.token_hash).toBe(hashToken(shown.token));
    });

    it('never shows a token again after it was issued', async () => {
      const listed = await asAdmin({ url: '/api/v1/tokens' });
      expect(listed.statusCode).toBe(200);
      for (const token of plaintexts) expect(listed.body).not.toContain(token.slice(10));
      const metadata = listed.json<{ items: ApiToken[] }>().items;
      expect(metadata.length).toBeGreaterThanOrEqual(plaintexts.length);
      expect(metadata.every((token) => !('token' in token) && !('tokenHash' in token))).toBe(true);
    });
  });

  describe('actors', () => {
    it('records the principal of every write as its actor', async () => {
      const bot = await createPrincipal('release-bot', ['deployment-manager']);
      const other = await createPrincipal('other-owner', ['service-owner']);
      const asBot = (request: Omit<Call, 'token'>) => send(app, { token: bot.token, ...request });
      const botId = bot.principal.id;

      const service = expectStatus<Service>(
        await asBot({ method: 'POST', url: '/api/v1/services', body: { name: 'actor-svc' } }),
        201,
      );
      expect(service.createdBy).toBe(botId);
      const writes: Omit<Call, 'token'>[] = [
        {
          method: 'POST',
          url: '/api/v1/components',
          body: { service: 'actor-svc', name: 'actor-app', kind: 'software' },
        },
        {
          method: 'POST',
          url: '/api/v1/components/actor-app/versions',
          body: { version: '1.0.0', digest: digestOf('actor-app'), size: 1 },
        },
        {
          method: 'POST',
          url: '/api/v1/releases',
          body: { name: 'actor-release', versions: [{ component: 'actor-app', version: '1.0.0' }] },
        },
        { method: 'POST', url: '/api/v1/environments', body: { name: 'actor-env', tier: 'test' } },
        { method: 'PATCH', url: '/api/v1/environments/actor-env', body: { protected: true } },
        { method: 'POST', url: '/api/v1/environments/actor-env/targets', body: { name: 'h1', kind: 'host' } },
        { method: 'PATCH', url: '/api/v1/environments/actor-env/targets/h1', body: { labels: { a: 'b' } } },
        { method: 'DELETE', url: '/api/v1/environments/actor-env/targets/h1' },
        { method: 'DELETE', url: '/api/v1/environments/actor-env' },
      ];
      for (const write of writes) {
        const response = await asBot(write);
        expect(response.statusCode, `${write.method} ${write.url}: ${response.body}`).toBeLessThan(300);
        if (response.statusCode !== 204) {
          const body = response.json<{ createdBy?: string }>();
          if (write.method === 'POST') expect(body.createdBy).toBe(botId);
        }
      }
      // Another principal's write must not show up under the bot.
      expectStatus<Service>(
        await send(app, {
          token: other.token,
          method: 'POST',
          url: '/api/v1/services',
          body: { name: 'not-the-bot' },
        }),
        201,
      );

      const byName = (
        await walkPages<AuditEvent>(app, adminToken, '/api/v1/audit?actor=release-bot', 3)
      ).flat();
      expect(byName.map((event) => event.action)).toEqual([
        'service.created',
        'component.created',
        'version.registered',
        'release.created',
        'environment.created',
        'environment.updated',
        'target.created',
        'target.updated',
        'target.deleted',
        'environment.deleted',
      ]);
      expect(byName.every((event) => event.actorId === botId)).toBe(true);
      expect(byName[0]?.subjectId).toBe(service.id);
      const byId = (await walkPages<AuditEvent>(app, adminToken, `/api/v1/audit?actor=${botId}`, 50)).flat();
      expect(byId).toEqual(byName);

      const byOther = expectStatus<{ items: AuditEvent[] }>(
        await asAdmin({ url: '/api/v1/audit?actor=other-owner' }),
        200,
      );
      expect(byOther.items.map((event) => [event.action, event.details.name])).toEqual([
        ['service.created', 'not-the-bot'],
      ]);
      const byAdmin = expectStatus<{ items: AuditEvent[] }>(
        await asAdmin({ url: `/api/v1/audit?actor=admin&action=principal.created&subjectId=${botId}` }),
        200,
      );
      expect(byAdmin.items).toHaveLength(1);
      expectError(await asAdmin({ url: '/api/v1/audit?actor=nobody-at-all' }), 404, 'not_found');
    });

    it('tells a caller who it is', async () => {
      const whoami = expectStatus<Principal>(await call({ url: '/api/v1/whoami', token: adminToken }), 200);
      expect(whoami).toMatchObject({ name: 'admin', roles: ['admin'] });
    });
  });
});
