import { createHmac } from 'node:crypto';
import type { InboundRequest } from '../../src/notify/index.js';

/** A GitHub `push` payload of a branch, trimmed to the fields GitHub documents and Slipway reads. */
export function githubPush(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ref: 'refs/heads/main',
    before: '9049f1265b7d61be4a8904a9a27120d2064dab3b',
    after: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
    repository: {
      id: 1296269,
      name: 'shop-web',
      full_name: 'acme/shop-web',
      private: true,
      html_url: 'https://github.com/acme/shop-web',
      default_branch: 'main',
    },
    pusher: { name: 'octocat', email: 'octocat@example.com' },
    sender: { login: 'octocat', id: 1 },
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: 'https://github.com/acme/shop-web/compare/9049f1265b7d...0d1a26e67d8f',
    commits: [
      {
        id: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
        message: 'Fix checkout rounding',
        timestamp: '2030-01-01T09:15:00+01:00',
        url: 'https://github.com/acme/shop-web/commit/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      },
    ],
    head_commit: {
      id: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      tree_id: 'f9d2a07e9488b91af2641b26b9407fe22a451433',
      distinct: true,
      message: 'Fix checkout rounding',
      timestamp: '2030-01-01T09:15:00+01:00',
      url: 'https://github.com/acme/shop-web/commit/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      author: { name: 'Octo Cat', email: 'octocat@example.com', username: 'octocat' },
      committer: { name: 'Octo Cat', email: 'octocat@example.com', username: 'octocat' },
      added: [],
      removed: [],
      modified: ['src/checkout.ts'],
    },
    ...overrides,
  };
}

/** A request as GitHub sends it: JSON body, event and delivery headers, HMAC-SHA256 signature. */
export function githubRequest(
  payload: unknown,
  secret: string,
  options: { event?: string; delivery?: string; signature?: string | null } = {},
): InboundRequest {
  const body = Buffer.from(JSON.stringify(payload));
  const signature =
    options.signature === undefined
      ? `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
      : options.signature;
  return {
    headers: {
      'content-type': 'application/json',
      'x-github-event': options.event ?? 'push',
      'x-github-delivery': options.delivery ?? '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      ...(signature !== null && { 'x-hub-signature-256': signature }),
      'user-agent': 'GitHub-Hookshot/044aadd',
    },
    body,
    remoteAddress: '127.0.0.1',
  };
}

/** A GitLab push (or tag push) payload, trimmed to the fields GitLab documents and Slipway reads. */
export function gitlabPush(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    object_kind: 'push',
    event_name: 'push',
    before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
    after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
    ref: 'refs/heads/main',
    checkout_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
    message: null,
    user_id: 4,
    user_name: 'John Smith',
    user_username: 'jsmith',
    user_email: 'john@example.com',
    project_id: 15,
    project: {
      id: 15,
      name: 'Shop Web',
      web_url: 'https://gitlab.example.com/acme/platform/shop-web',
      namespace: 'platform',
      path_with_namespace: 'acme/platform/shop-web',
      default_branch: 'main',
    },
    commits: [
      {
        id: 'b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327',
        message: 'Update catalog\n',
        timestamp: '2029-12-31T18:00:00+00:00',
        url: 'https://gitlab.example.com/acme/platform/shop-web/-/commit/b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327',
      },
      {
        id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
        message: 'Fix checkout rounding\n',
        timestamp: '2030-01-01T08:15:00+00:00',
        url: 'https://gitlab.example.com/acme/platform/shop-web/-/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      },
    ],
    total_commits_count: 2,
    ...overrides,
  };
}

/** A request as GitLab sends it: JSON body, event headers, the secret token as it is. */
export function gitlabRequest(
  payload: unknown,
  token: string | null,
  options: { event?: string; idempotencyKey?: string | null; eventUuid?: string } = {},
): InboundRequest {
  return {
    headers: {
      'Content-Type': 'application/json',
      'X-Gitlab-Event': options.event ?? 'Push Hook',
      'X-Gitlab-Event-UUID': options.eventUuid ?? '13792a34-cac6-4fda-95a8-c58e00a3954e',
      ...(options.idempotencyKey !== null && {
        'Idempotency-Key': options.idempotencyKey ?? 'f5e5f430-f57b-4e6e-9fac-d9128cd7232f',
      }),
      ...(token !== null && { 'X-Gitlab-Token': token }),
      'User-Agent': 'GitLab/17.0.0',
    },
    body: JSON.stringify(payload),
  };
}
