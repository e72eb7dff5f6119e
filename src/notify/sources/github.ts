import { InputError } from '../../domain/index.js';
import { verifyBodySignature } from '../signing.js';
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

/** GitHub's webhook headers. */
export const GitHubHeader = {
  signature: 'X-Hub-Signature-256',
  delivery: 'X-GitHub-Delivery',
  event: 'X-GitHub-Event',
} as const;

/**
 * GitHub (and GitHub Enterprise Server) webhooks. Requests are signed with HMAC-SHA256 of
 * the raw body in `X-Hub-Signature-256: sha256=<hex>`; `X-GitHub-Delivery` names the
 * delivery and stays the same when GitHub redelivers it. `push` events report branch and tag
 * pushes alike; a tag push has a `refs/tags/` ref.
 */
export const githubSource: TriggerSource = {
  name: 'github',

  verify(request: InboundRequest, secret: string): Verification {
    if (secret.length === 0) return { valid: false, reason: 'no secret is configured for GitHub webhooks' };
    const header = headerValue(request, GitHubHeader.signature);
    if (header === undefined)
      return { valid: false, reason: `the ${GitHubHeader.signature} header is missing` };
    return verifyBodySignature(secret, request.body, header)
      ? { valid: true }
      : {
          valid: false,
          reason: `the ${GitHubHeader.signature} header does not match the body and the secret`,
        };
  },

  deliveryId: (request) => headerValue(request, GitHubHeader.delivery),

  eventName: (request) => headerValue(request, GitHubHeader.event),

  parseBody(request: InboundRequest): unknown {
    const text = bodyText(request);
    // A webhook may be configured to send its JSON as the `payload` field of a form.
    const contentType = headerValue(request, 'content-type') ?? '';
    if (contentType.startsWith('application/x-www-form-urlencoded')) {
      const payload = new URLSearchParams(text).get('payload');
      if (payload === null) throw new InputError('The form has no "payload" field.');
      return JSON.parse(payload);
    }
    return JSON.parse(text);
  },

  toPush(eventName: string | undefined, payload: unknown): SourcePush | undefined {
    if (eventName !== 'push') return undefined;
    const ref = textField(payload, 'ref');
    const repository = textField(field(payload, 'repository'), 'full_name');
    if (ref === undefined || repository === undefined) {
      throw new InputError('A GitHub push payload needs "ref" and "repository.full_name".');
    }
    const after = textField(payload, 'after');
    if (field(payload, 'deleted') === true || isNullSha(after)) return undefined;
    const parts = refParts(ref);
    if (parts.branch === undefined && parts.tag === undefined) return undefined;
    const headCommit = field(payload, 'head_commit');
    // For an annotated tag `after` is the tag object; head_commit is the commit it tags.
    const commitSha = textField(headCommit, 'id') ?? after;
    if (commitSha === undefined) return undefined;
    const committedAt = isoTime(textField(headCommit, 'timestamp'));
    const message = textField(headCommit, 'message');
    const commitUrl = textField(headCommit, 'url');
    const pusher =
      textField(field(payload, 'pusher'), 'name') ??
      textField(field(payload, 'sender'), 'login') ??
      'unknown';
    return {
      source: 'github',
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
