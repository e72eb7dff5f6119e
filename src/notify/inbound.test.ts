import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubPush, githubRequest, gitlabPush, gitlabRequest } from '../../test/support/source-payloads.js';
import { dialectsUnderTest, openTestStore } from '../../test/support/stores.js';
import type { Store } from '../store/index.js';
import { InboundWebhooks } from './inbound.js';
import { hmacSha256Hex } from './signing.js';

const secret = 'shared-hook-secret';

describe.each(await dialectsUnderTest())('inbound webhooks on %s', (dialect) => {
  let store: Store;
  let close: () => Promise<void>;
  let hooks: InboundWebhooks;

  beforeAll(async () => {
    ({ store, close } = await openTestStore(dialect));
    hooks = new InboundWebhooks(store);
  });
  afterAll(async () => close());

  const recorded = async (source: string, deliveryId: string) =>
    (await store.inbound.list({ source }, { limit: 100 })).items
      .filter((delivery) => delivery.deliveryId === deliveryId)
      .map((delivery) => [delivery.outcome, delivery.signatureValid])
      .reverse();

  it('accepts a signed GitHub push once and ignores its replay', async () => {
    const request = githubRequest(githubPush(), secret, { delivery: 'gh-1' });
    const result = await hooks.receive('github', request, secret);
    expect(result.outcome).toBe('accepted');
    if (result.outcome !== 'accepted') return;
    expect(result.push).toMatchObject({ repository: 'acme/shop-web', branch: 'main', pusher: 'octocat' });
    expect(result.delivery).toMatchObject({
      source: 'github',
      deliveryId: 'gh-1',
      event: 'push',
      signatureValid: true,
      outcome: 'accepted',
      remoteAddress: '127.0.0.1',
    });
    expect(result.delivery.bodyDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    await hooks.complete(result.delivery.id, 'processed', 'version shop-web 0d1a26e registered');

    const replay = await hooks.receive(
      'github',
      githubRequest(githubPush(), secret, { delivery: 'gh-1' }),
      secret,
    );
    expect(replay.outcome).toBe('replay');
    if (replay.outcome === 'replay') expect(replay.original?.id).toBe(result.delivery.id);
    expect(await recorded('github', 'gh-1')).toEqual([
      ['processed', true],
      ['replay', true],
    ]);
  });

  it('refuses a wrong GitHub signature with 401, records it, and still accepts the genuine delivery of that id', async () => {
    const forged = githubRequest(githubPush(), 'attacker-secret', { delivery: 'gh-2' });
    await expect(hooks.receive('github', forged, secret)).rejects.toMatchObject({
      name: 'UnauthenticatedError',
      code: 'unauthenticated',
      message: expect.stringContaining('X-Hub-Signature-256'),
    });
    const unsigned = githubRequest(githubPush(), secret, { delivery: 'gh-2', signature: null });
    await expect(hooks.receive('github', unsigned, secret)).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    const genuine = await hooks.receive(
      'github',
      githubRequest(githubPush(), secret, { delivery: 'gh-2' }),
      secret,
    );
    expect(genuine.outcome).toBe('accepted');
    expect(await recorded('github', 'gh-2')).toEqual([
      ['rejected', false],
      ['rejected', false],
      ['accepted', true],
    ]);
    const [rejected] = (await store.inbound.list({ outcome: 'rejected' }, { limit: 1 })).items;
    expect(rejected?.detail).toContain('missing');
  });

  it('records verified events it does not act on as ignored, and their replays as replays', async () => {
    const ping = githubRequest({ zen: 'Keep it logically awesome.', hook_id: 42 }, secret, {
      event: 'ping',
      delivery: 'gh-ping',
    });
    expect((await hooks.receive('github', ping, secret)).outcome).toBe('ignored');
    expect((await hooks.receive('github', ping, secret)).outcome).toBe('replay');
    const deleted = githubRequest(
      githubPush({ deleted: true, after: '0000000000000000000000000000000000000000', head_commit: null }),
      secret,
      { delivery: 'gh-deleted' },
    );
    const result = await hooks.receive('github', deleted, secret);
    expect(result).toMatchObject({
      outcome: 'ignored',
      delivery: { detail: expect.stringContaining('push') },
    });
  });

  it('answers 400 for a verified body it cannot read, and records it', async () => {
    const body = Buffer.from('{"ref": "refs/heads/main",');
    const request = githubRequest({}, secret, { delivery: 'gh-broken' });
    const broken = {
      ...request,
      body,
      headers: {
        ...request.headers,
        'x-hub-signature-256': `sha256=${hmacSha256Hex(secret, body)}`,
      },
    };
    await expect(hooks.receive('github', broken, secret)).rejects.toMatchObject({
      code: 'malformed_request',
    });
    expect(await recorded('github', 'gh-broken')).toEqual([['malformed', true]]);
  });

  it('lets the sender retry a delivery whose processing failed', async () => {
    const request = () => githubRequest(githubPush(), secret, { delivery: 'gh-retry' });
    const first = await hooks.receive('github', request(), secret);
    if (first.outcome !== 'accepted') throw new Error(`expected accepted, got ${first.outcome}`);
    await hooks.complete(first.delivery.id, 'failed', 'no rule matched the repository');
    const retry = await hooks.receive('github', request(), secret);
    expect(retry.outcome).toBe('accepted');
    expect((await hooks.receive('github', request(), secret)).outcome).toBe('replay');
  });

  it('accepts a GitLab push with the right token once, and refuses a wrong token with 401', async () => {
    const push = await hooks.receive(
      'gitlab',
      gitlabRequest(gitlabPush(), secret, { idempotencyKey: 'gl-1' }),
      secret,
    );
    expect(push).toMatchObject({
      outcome: 'accepted',
      push: { repository: 'acme/platform/shop-web', commitSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' },
      delivery: { deliveryId: 'gl-1', event: 'Push Hook' },
    });
    expect(
      (await hooks.receive('gitlab', gitlabRequest(gitlabPush(), secret, { idempotencyKey: 'gl-1' }), secret))
        .outcome,
    ).toBe('replay');
    await expect(
      hooks.receive('gitlab', gitlabRequest(gitlabPush(), 'guess', { idempotencyKey: 'gl-2' }), secret),
    ).rejects.toMatchObject({ code: 'unauthenticated', message: expect.stringContaining('X-Gitlab-Token') });
    expect(await recorded('gitlab', 'gl-2')).toEqual([['rejected', false]]);
    // A GitHub delivery with the same id is another source's: no replay across sources.
    const github = await hooks.receive(
      'github',
      githubRequest(githubPush(), secret, { delivery: 'gl-1' }),
      secret,
    );
    expect(github.outcome).toBe('accepted');
  });

  it('recognises a replay by the body digest when the sender names no delivery', async () => {
    const request = () =>
      gitlabRequest(gitlabPush({ checkout_sha: 'ffffffffffffffffffffffffffffffffffffffff' }), secret, {
        idempotencyKey: null,
        eventUuid: '',
      });
    const first = await hooks.receive('gitlab', request(), secret);
    expect(first.delivery.deliveryId).toMatch(/^sha256:/);
    expect((await hooks.receive('gitlab', request(), secret)).outcome).toBe('replay');
  });

  it('refuses requests for a source it does not know', async () => {
    await expect(
      hooks.receive('bitbucket', githubRequest(githubPush(), secret), secret),
    ).rejects.toMatchObject({ code: 'not_found' });
  });
});
