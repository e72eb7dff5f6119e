import { InputError } from '../../domain/index.js';
import { constantTimeEqual } from '../signing.js';
import {
  bodyText,
  field,
  headerValue,
  type InboundRequest,
  isNullSha,
  isoTime,
  refParts,
  type SourcePush,
  type TriggerSource,
  textField,
  type Verification,
} from './source.js';

/** GitLab's webhook headers. */
export const GitLabHeader = {
  token: 'X-Gitlab-Token',
  event: 'X-Gitlab-Event',
  eventUuid: 'X-Gitlab-Event-UUID',
  idempotencyKey: 'Idempotency-Key',
} as const;

/**
 * GitLab webhooks. GitLab sends the configured secret token as it is in `X-Gitlab-Token`
 * (no signature). `Idempotency-Key` stays the same when GitLab retries a delivery; older
 * GitLab versions send only `X-Gitlab-Event-UUID`. Push and tag push payloads share one
 * shape, told apart by `object_kind` (`push`, `tag_push`).
 */
export const gitlabSource: TriggerSource = {
  name: 'gitlab',

  verify(request: InboundRequest, secret: string): Verification {
    if (secret.length === 0) return { valid: false, reason: 'no secret is configured for GitLab webhooks' };
    const token = headerValue(request, GitLabHeader.token);
    if (token === undefined) return { valid: false, reason: `the ${GitLabHeader.token} header is missing` };
    return constantTimeEqual(token, secret)
      ? { valid: true }
      : { valid: false, reason: `the ${GitLabHeader.token} header does not match the secret` };
  },

  deliveryId: (request) =>
    headerValue(request, GitLabHeader.idempotencyKey) ?? headerValue(request, GitLabHeader.eventUuid),

  eventName: (request) => headerValue(request, GitLabHeader.event),

  parseBody: (request) => JSON.parse(bodyText(request)),

  toPush(_eventName: string | undefined, payload: unknown): SourcePush | undefined {
    const kind = textField(payload, 'object_kind');
    if (kind !== 'push' && kind !== 'tag_push') return undefined;
    const ref = textField(payload, 'ref');
    const repository = textField(field(payload, 'project'), 'path_with_namespace');
    if (ref === undefined || repository === undefined) {
      throw new InputError(`A GitLab ${kind} payload needs "ref" and "project.path_with_namespace".`);
    }
    // checkout_sha is the commit (for an annotated tag, `after` is the tag object); it is
    // null when the ref was deleted.
    const commitSha = textField(payload, 'checkout_sha') ?? textField(payload, 'after');
    if (isNullSha(commitSha) || commitSha === undefined) return undefined;
    const parts = refParts(ref);
    if (parts.branch === undefined && parts.tag === undefined) return undefined;
    const commits = field(payload, 'commits');
    const commit = Array.isArray(commits)
      ? commits.find((candidate: unknown) => textField(candidate, 'id') === commitSha)
      : undefined;
    const committedAt = isoTime(textField(commit, 'timestamp'));
    const message = textField(commit, 'message');
    const commitUrl = textField(commit, 'url');
    const pusher = textField(payload, 'user_username') ?? textField(payload, 'user_name') ?? 'unknown';
    return {
      source: 'gitlab',
      repository,
      ref,
      ...parts,
      commitSha,
      ...(committedAt !== undefined && { committedAt }),
      ...(message !== undefined && { message }),
      ...(commitUrl !== undefined && { commitUrl }),
      pusher,
    };
  },
};
