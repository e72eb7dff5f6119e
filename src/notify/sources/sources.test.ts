import { describe, expect, it } from 'vitest';
import {
  githubPush,
  githubRequest,
  gitlabPush,
  gitlabRequest,
} from '../../../test/support/source-payloads.js';
import { githubSource } from './github.js';
import { gitlabSource } from './gitlab.js';
import { triggerSource, triggerSourceNames } from './index.js';

const secret = 'shared-hook-secret';

describe('GitHub source', () => {
  it('accepts the X-Hub-Signature-256 of the raw body and refuses any other', () => {
    expect(githubSource.verify(githubRequest(githubPush(), secret), secret)).toEqual({ valid: true });
    expect(githubSource.verify(githubRequest(githubPush(), 'wrong-secret'), secret)).toMatchObject({
      valid: false,
      reason: expect.stringContaining('does not match'),
    });
    expect(
      githubSource.verify(githubRequest(githubPush(), secret, { signature: null }), secret),
    ).toMatchObject({
      valid: false,
      reason: expect.stringContaining('missing'),
    });
    expect(
      githubSource.verify(githubRequest(githubPush(), secret, { signature: 'sha1=abc' }), secret).valid,
    ).toBe(false);
    // A body changed after signing (one byte) no longer verifies.
    const request = githubRequest(githubPush(), secret);
    const tampered = { ...request, body: Buffer.concat([request.body as Buffer, Buffer.from(' ')]) };
    expect(githubSource.verify(tampered, secret).valid).toBe(false);
    expect(githubSource.verify(githubRequest(githubPush(), ''), '')).toMatchObject({
      valid: false,
      reason: expect.stringContaining('no secret'),
    });
  });

  it('reads the delivery id and event from its headers', () => {
    const request = githubRequest(githubPush(), secret, { delivery: 'abc-123', event: 'push' });
    expect(githubSource.deliveryId(request)).toBe('abc-123');
    expect(githubSource.eventName(request)).toBe('push');
  });

  it('maps a branch push to the pushed commit, its time in UTC and the pusher', () => {
    const request = githubRequest(githubPush(), secret);
    expect(githubSource.toPush('push', githubSource.parseBody(request))).toEqual({
      source: 'github',
      repository: 'acme/shop-web',
      ref: 'refs/heads/main',
      branch: 'main',
      commitSha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      committedAt: '2030-01-01T08:15:00.000Z',
      message: 'Fix checkout rounding',
      commitUrl: 'https://github.com/acme/shop-web/commit/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      pusher: 'octocat',
    });
  });

  it('maps a tag push to the tagged commit, not the tag object', () => {
    const payload = githubPush({
      ref: 'refs/tags/v1.2.0',
      after: '5c8a9f0e1d2b3c4d5e6f708192a3b4c5d6e7f809',
      created: true,
      base_ref: 'refs/heads/main',
    });
    const push = githubSource.toPush('push', payload);
    expect(push).toMatchObject({
      ref: 'refs/tags/v1.2.0',
      tag: 'v1.2.0',
      commitSha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
    });
    expect(push?.branch).toBeUndefined();
  });

  it('ignores deleted refs, other refs and other events', () => {
    expect(
      githubSource.toPush(
        'push',
        githubPush({ deleted: true, after: '0000000000000000000000000000000000000000', head_commit: null }),
      ),
    ).toBeUndefined();
    expect(githubSource.toPush('push', githubPush({ ref: 'refs/pull/7/head' }))).toBeUndefined();
    expect(githubSource.toPush('ping', { zen: 'Design for failure.', hook_id: 1 })).toBeUndefined();
    expect(() => githubSource.toPush('push', { ref: 'refs/heads/main' })).toThrow(/repository.full_name/);
  });

  it('reads a payload sent as a form field', () => {
    const body = `payload=${encodeURIComponent(JSON.stringify(githubPush()))}`;
    const request = { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body };
    expect(githubSource.toPush('push', githubSource.parseBody(request))?.repository).toBe('acme/shop-web');
  });
});

describe('GitLab source', () => {
  it('accepts the secret token in X-Gitlab-Token and refuses any other', () => {
    expect(gitlabSource.verify(gitlabRequest(gitlabPush(), secret), secret)).toEqual({ valid: true });
    expect(gitlabSource.verify(gitlabRequest(gitlabPush(), `${secret}x`), secret)).toMatchObject({
      valid: false,
      reason: expect.stringContaining('does not match'),
    });
    expect(gitlabSource.verify(gitlabRequest(gitlabPush(), null), secret)).toMatchObject({
      valid: false,
      reason: expect.stringContaining('missing'),
    });
    // An unconfigured (empty) secret must not accept requests that send no token either.
    expect(gitlabSource.verify(gitlabRequest(gitlabPush(), ''), '').valid).toBe(false);
  });

  it('names a delivery by its Idempotency-Key, or its event UUID from older GitLab versions', () => {
    expect(gitlabSource.deliveryId(gitlabRequest(gitlabPush(), secret, { idempotencyKey: 'key-1' }))).toBe(
      'key-1',
    );
    expect(
      gitlabSource.deliveryId(
        gitlabRequest(gitlabPush(), secret, { idempotencyKey: null, eventUuid: 'uuid-1' }),
      ),
    ).toBe('uuid-1');
    expect(gitlabSource.eventName(gitlabRequest(gitlabPush(), secret))).toBe('Push Hook');
  });

  it('maps a push to the checked-out commit with its time and message', () => {
    expect(gitlabSource.toPush('Push Hook', gitlabPush())).toEqual({
      source: 'gitlab',
      repository: 'acme/platform/shop-web',
      ref: 'refs/heads/main',
      branch: 'main',
      commitSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      committedAt: '2030-01-01T08:15:00.000Z',
      message: 'Fix checkout rounding\n',
      commitUrl:
        'https://gitlab.example.com/acme/platform/shop-web/-/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      pusher: 'jsmith',
    });
  });

  it('maps a tag push to the tagged commit', () => {
    const push = gitlabSource.toPush(
      'Tag Push Hook',
      gitlabPush({
        object_kind: 'tag_push',
        event_name: 'tag_push',
        before: '0000000000000000000000000000000000000000',
        after: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7',
        ref: 'refs/tags/v1.0.0',
        checkout_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
        commits: [],
        total_commits_count: 0,
      }),
    );
    expect(push).toMatchObject({ tag: 'v1.0.0', commitSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' });
    expect(push?.committedAt).toBeUndefined();
  });

  it('ignores deleted refs and other kinds of event', () => {
    expect(
      gitlabSource.toPush(
        'Push Hook',
        gitlabPush({ after: '0000000000000000000000000000000000000000', checkout_sha: null, commits: [] }),
      ),
    ).toBeUndefined();
    expect(gitlabSource.toPush('Merge Request Hook', { object_kind: 'merge_request' })).toBeUndefined();
    expect(() => gitlabSource.toPush('Push Hook', { object_kind: 'push', ref: 'refs/heads/main' })).toThrow(
      /path_with_namespace/,
    );
  });
});

describe('source registry', () => {
  it('has GitHub and GitLab, and answers not_found for others', () => {
    expect(triggerSourceNames).toEqual(['github', 'gitlab']);
    expect(triggerSource('gitlab')).toBe(gitlabSource);
    expect(() => triggerSource('bitbucket')).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => triggerSource('constructor')).toThrow(expect.objectContaining({ code: 'not_found' }));
  });
});
