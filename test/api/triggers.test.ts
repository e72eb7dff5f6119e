import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment, Version } from '../../src/domain/index.js';
import { commitDigest } from '../../src/governance/index.js';
import type { InboundDelivery, InboundRequest } from '../../src/notify/index.js';
import { waitForState } from '../support/engine.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { githubPush, githubRequest, gitlabPush, gitlabRequest } from '../support/source-payloads.js';
import { dialectsUnderTest } from '../support/stores.js';
import { type Call, expectError, expectFieldProblem, expectStatus, type Page, send } from './http.js';

/** Every push to a branch runs in dev by itself. */
const webModel = `apiVersion: slipway/v1
kind: DeploymentModel
name: web
appliesTo: { componentKinds: [software] }
stages:
  - name: dev
    environment: dev
    steps:
      - name: install
        type: shell
        command: "echo installing {{ component }} {{ version }} on {{ target.name }}"
`;

const githubSecret = 'github-hook-secret-0123456789';
const gitlabSecret = 'gitlab-hook-token-0123456789';

interface HookAnswer {
  inboundId: string;
  outcome: string;
  detail?: string;
  results?: { rule: string; version?: string; deploymentId?: string; error?: { code: string } }[];
}

/** Sends a source's request to its hook route as the source would, byte for byte. */
function hook(server: TestServer, source: string, request: InboundRequest) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string' && name.toLowerCase() !== 'content-type') headers[name] = value;
  }
  return send(server.app, {
    method: 'POST',
    url: `/api/v1/hooks/${source}`,
    raw: typeof request.body === 'string' ? request.body : request.body.toString('utf8'),
    headers,
  });
}

describe.each(await dialectsUnderTest())('triggers over HTTP on %s', (dialect) => {
  let server: TestServer;
  const as = (token: string) => (request: Omit<Call, 'token'>) => send(server.app, { ...request, token });
  const admin = (request: Omit<Call, 'token'>) => as(server.adminToken)(request);
  const manager = (request: Omit<Call, 'token'>) => as(server.tokens['deployment-manager'])(request);

  const inbound = async (source: string): Promise<InboundDelivery[]> =>
    expectStatus<Page<InboundDelivery>>(
      await manager({ url: `/api/v1/inbound-deliveries?source=${source}&limit=100` }),
      200,
    ).items;
  const deploymentCount = async (): Promise<number> =>
    expectStatus<Page<Deployment>>(await manager({ url: '/api/v1/deployments?limit=500' }), 200).items.length;

  beforeAll(async () => {
    server = await startTestServer(dialect, { engine: true });
    expectStatus(
      await admin({
        method: 'POST',
        url: '/api/v1/environments',
        body: { name: 'dev', tier: 'development' },
      }),
      201,
    );
    expectStatus(
      await admin({
        method: 'POST',
        url: '/api/v1/environments/dev/targets',
        body: { name: 'dev-1', kind: 'host', facts: { os: 'linux' } },
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
    for (const rule of [
      {
        name: 'shop-web-main',
        source: 'github',
        repository: 'acme/shop-web',
        refPattern: 'main',
        secret: githubSecret,
        versionTemplate: 'main-{shortSha}',
      },
      {
        name: 'shop-web-tags',
        source: 'gitlab',
        repository: 'acme/platform/shop-web',
        refPattern: 'refs/tags/v*',
        secret: gitlabSecret,
        versionTemplate: '{tagVersion}',
      },
    ]) {
      expectStatus(
        await manager({
          method: 'POST',
          url: '/api/v1/trigger-rules',
          body: { ...rule, component: 'shop-web', model: 'web', environment: 'dev' },
        }),
        201,
      );
    }
  });
  afterAll(async () => server?.close());

  it('a GitHub push payload with a valid signature starts a flow and one with a bad signature gets 401', async () => {
    const payload = githubPush();
    const before = await deploymentCount();

    // A forged request: same payload, signed with another secret.
    const forged = await hook(
      server,
      'github',
      githubRequest(payload, 'not-the-secret', { delivery: 'gh-forged-1' }),
    );
    expectError(forged, 401, 'unauthenticated');
    expect(await deploymentCount()).toBe(before);

    const valid = await hook(server, 'github', githubRequest(payload, githubSecret, { delivery: 'gh-1' }));
    const answer = expectStatus<HookAnswer>(valid, 202);
    expect(answer.outcome).toBe('processed');
    expect(answer.results).toHaveLength(1);
    const [result] = answer.results ?? [];
    expect(result).toMatchObject({ rule: 'shop-web-main', version: 'main-0d1a26e' });
    const deploymentId = result?.deploymentId as string;

    // The version is registered from the commit, and the flow runs to the end by itself.
    const version = expectStatus<Version>(
      await manager({ url: '/api/v1/components/shop-web/versions/main-0d1a26e' }),
      200,
    );
    expect(version).toMatchObject({
      digest: commitDigest('0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c'),
      size: 0,
      commitSha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      committedAt: '2030-01-01T08:15:00.000Z',
      sourceUri: 'https://github.com/acme/shop-web/commit/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      changelog: 'Fix checkout rounding',
    });
    const finished = await waitForState(server.store, deploymentId);
    expect(finished.state).toBe('succeeded');
    expect(finished.model).toBe('web');
    expect(finished.environment).toBe('dev');
    const requester = await server.store.principals.get(finished.requestedBy);
    expect(requester).toMatchObject({ name: 'github', kind: 'system', roles: ['service-owner'] });

    // GitHub redelivering the same delivery id does nothing again.
    const replay = await hook(server, 'github', githubRequest(payload, githubSecret, { delivery: 'gh-1' }));
    expect(expectStatus<HookAnswer>(replay, 200).outcome).toBe('replay');
    expect(await deploymentCount()).toBe(before + 1);

    // Every request is recorded, the forged one included.
    const recorded = await inbound('github');
    expect(recorded.find((delivery) => delivery.deliveryId === 'gh-forged-1')).toMatchObject({
      signatureValid: false,
      outcome: 'rejected',
    });
    expect(
      recorded
        .filter((delivery) => delivery.deliveryId === 'gh-1')
        .map((delivery) => delivery.outcome)
        .sort(),
    ).toEqual(['processed', 'replay']);
  });

  it('a GitLab tag push with the right token starts a flow and one with a wrong token gets 401', async () => {
    const payload = gitlabPush({
      object_kind: 'tag_push',
      event_name: 'tag_push',
      before: '0000000000000000000000000000000000000000',
      after: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7',
      ref: 'refs/tags/v1.0.0',
      checkout_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
    });
    const options = { event: 'Tag Push Hook', idempotencyKey: 'gl-tag-1' };
    const before = await deploymentCount();

    expectError(
      await hook(
        server,
        'gitlab',
        gitlabRequest(payload, 'wrong-token', { ...options, idempotencyKey: 'gl-bad' }),
      ),
      401,
      'unauthenticated',
    );
    expectError(
      await hook(server, 'gitlab', gitlabRequest(payload, null, { ...options, idempotencyKey: 'gl-none' })),
      401,
      'unauthenticated',
    );

    const answer = expectStatus<HookAnswer>(
      await hook(server, 'gitlab', gitlabRequest(payload, gitlabSecret, options)),
      202,
    );
    expect(answer.results?.[0]).toMatchObject({ rule: 'shop-web-tags', version: '1.0.0' });
    const finished = await waitForState(server.store, answer.results?.[0]?.deploymentId as string);
    expect(finished.state).toBe('succeeded');
    expect(finished.versions[0]).toMatchObject({ component: 'shop-web', version: '1.0.0' });

    const replay = await hook(server, 'gitlab', gitlabRequest(payload, gitlabSecret, options));
    expect(expectStatus<HookAnswer>(replay, 200).outcome).toBe('replay');
    expect(await deploymentCount()).toBe(before + 1);

    const recorded = await inbound('gitlab');
    expect(
      recorded
        .filter((delivery) => ['gl-bad', 'gl-none'].includes(delivery.deliveryId))
        .map((delivery) => [delivery.outcome, delivery.signatureValid]),
    ).toEqual([
      ['rejected', false],
      ['rejected', false],
    ]);
    expect(
      recorded
        .filter((delivery) => delivery.deliveryId === 'gl-tag-1')
        .map((delivery) => delivery.outcome)
        .sort(),
    ).toEqual(['processed', 'replay']);
  });

  it('records a verified push that no rule matches as ignored, and a push from an unknown repository as refused', async () => {
    const branch = await hook(
      server,
      'github',
      githubRequest(githubPush({ ref: 'refs/heads/feature/x' }), githubSecret, { delivery: 'gh-feature' }),
    );
    expect(expectStatus<HookAnswer>(branch, 200).outcome).toBe('ignored');
    const ping = await hook(
      server,
      'github',
      githubRequest(
        { zen: 'Keep it logically awesome.', repository: { full_name: 'acme/shop-web' } },
        githubSecret,
        {
          event: 'ping',
          delivery: 'gh-ping',
        },
      ),
    );
    expect(expectStatus<HookAnswer>(ping, 200).outcome).toBe('ignored');
    const unknown = await hook(
      server,
      'github',
      githubRequest(githubPush({ repository: { full_name: 'acme/other' } }), githubSecret, {
        delivery: 'gh-other',
      }),
    );
    expectError(unknown, 401, 'unauthenticated');
    const recorded = await inbound('github');
    expect(recorded.find((delivery) => delivery.deliveryId === 'gh-feature')).toMatchObject({
      outcome: 'ignored',
      detail: expect.stringContaining('refs/heads/feature/x'),
    });
    expect(recorded.find((delivery) => delivery.deliveryId === 'gh-other')?.outcome).toBe('rejected');
  });

  it('a push whose rule cannot act is recorded as failed, so that the retry is processed', async () => {
    // The same version string for another commit is a conflict: versions are immutable.
    expectStatus(
      await manager({
        method: 'PATCH',
        url: '/api/v1/trigger-rules/shop-web-main',
        body: { versionTemplate: 'main-{branch}' },
      }),
      200,
    );
    const first = await hook(
      server,
      'github',
      githubRequest(githubPush(), githubSecret, { delivery: 'gh-fixed-1' }),
    );
    expect(expectStatus<HookAnswer>(first, 202).results?.[0]?.version).toBe('main-main');
    const second = githubPush({
      after: '1111111111111111111111111111111111111111',
      head_commit: { id: '1111111111111111111111111111111111111111', timestamp: '2030-01-02T09:00:00Z' },
    });
    const failed = await hook(
      server,
      'github',
      githubRequest(second, githubSecret, { delivery: 'gh-fixed-2' }),
    );
    const error = expectError(failed, 409, 'trigger_failed');
    expect(JSON.stringify(error.details)).toContain('version_conflict');
    expect((await inbound('github')).find((delivery) => delivery.deliveryId === 'gh-fixed-2')?.outcome).toBe(
      'failed',
    );
    expectStatus(
      await manager({
        method: 'PATCH',
        url: '/api/v1/trigger-rules/shop-web-main',
        body: { versionTemplate: 'main-{shortSha}' },
      }),
      200,
    );
    // The sender retries the same delivery: it is processed, not taken for a replay.
    const retried = await hook(
      server,
      'github',
      githubRequest(second, githubSecret, { delivery: 'gh-fixed-2' }),
    );
    expect(expectStatus<HookAnswer>(retried, 202).results?.[0]?.version).toBe('main-1111111');
    await waitForState(
      server.store,
      expectStatus<HookAnswer>(retried, 202).results?.[0]?.deploymentId as string,
    );
  });

  it('manages trigger rules without ever showing their secrets', async () => {
    const invalid = await manager({
      method: 'POST',
      url: '/api/v1/trigger-rules',
      body: {
        name: 'broken',
        source: 'github',
        repository: 'acme/shop-web',
        refPattern: 'main',
        component: 'shop-web',
        model: 'web',
        environment: 'dev',
        secret: githubSecret,
        versionTemplate: '{commit}',
      },
    });
    expectFieldProblem(invalid, '/body/versionTemplate');
    const forbidden = await as(server.tokens.practitioner)({
      method: 'DELETE',
      url: '/api/v1/trigger-rules/shop-web-tags',
    });
    expectError(forbidden, 403, 'forbidden');

    const list = expectStatus<Page<Record<string, unknown>>>(
      await manager({ url: '/api/v1/trigger-rules' }),
      200,
    );
    expect(list.items.map((rule) => rule.name)).toEqual(['shop-web-main', 'shop-web-tags']);
    expect(JSON.stringify(list)).not.toContain(githubSecret);
    expect(JSON.stringify(list)).not.toContain(gitlabSecret);

    const paused = expectStatus<{ active: boolean }>(
      await manager({ method: 'PATCH', url: '/api/v1/trigger-rules/shop-web-tags', body: { active: false } }),
      200,
    );
    expect(paused.active).toBe(false);
    // An inactive rule's secret no longer opens the hook.
    const refused = await hook(
      server,
      'gitlab',
      gitlabRequest(gitlabPush({ ref: 'refs/tags/v2.0.0', object_kind: 'tag_push' }), gitlabSecret, {
        idempotencyKey: 'gl-paused',
      }),
    );
    expectError(refused, 401, 'unauthenticated');

    expect((await manager({ method: 'DELETE', url: '/api/v1/trigger-rules/shop-web-tags' })).statusCode).toBe(
      204,
    );
    expectError(await manager({ url: '/api/v1/trigger-rules/shop-web-tags' }), 404, 'not_found');
  });
});
