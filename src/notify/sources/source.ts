/** The parts of an HTTP request an inbound webhook source reads. */
export interface InboundRequest {
  /** Request headers; names in any case. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The raw body exactly as received: signatures are computed over these bytes. */
  body: Buffer | string;
  /** The sender's address, for the audit of rejected requests. */
  remoteAddress?: string;
}

/** A push of a branch or a tag, in the same shape whichever system sent it. */
export interface SourcePush {
  /** The source that sent it (`github`, `gitlab`). */
  source: string;
  /** The repository's full name (`owner/name`, or GitLab's `group/subgroup/project`). */
  repository: string;
  /** The full ref pushed (`refs/heads/main`, `refs/tags/v1.2.0`). */
  ref: string;
  /** The branch, when a branch was pushed. */
  branch?: string;
  /** The tag, when a tag was pushed. */
  tag?: string;
  /** The commit the ref now points at. */
  commitSha: string;
  /** When that commit was made, when the payload says. */
  committedAt?: string;
  /** The message of that commit, when the payload says. */
  message?: string;
  /** A link to that commit, when the payload gives one. */
  commitUrl?: string;
  /** Who pushed. */
  pusher: string;
}

/** Whether a request carries a valid signature or token, and why not. */
export type Verification = { valid: true } | { valid: false; reason: string };

/**
 * A system that calls Slipway's inbound webhooks. Each source says how its requests are
 * verified, how it names deliveries and events, and how its payloads map to a push.
 */
export interface TriggerSource {
  /** The name the webhook URL uses (`/hooks/github`). */
  readonly name: string;
  /** Checks the request's signature or token against the shared secret, in constant time. */
  verify(request: InboundRequest, secret: string): Verification;
  /** The sender's id of this delivery, the same when it retries, if it sent one. */
  deliveryId(request: InboundRequest): string | undefined;
  /** The sender's name of the event. */
  eventName(request: InboundRequest): string | undefined;
  /** Reads the verified body into a value (JSON, or a form the source sends). */
  parseBody(request: InboundRequest): unknown;
  /** Maps a verified payload to a push, or undefined for events and refs Slipway does not act on. */
  toPush(eventName: string | undefined, payload: unknown): SourcePush | undefined;
}

/** A header's value by case-insensitive name (the first, when it was sent several times). */
export function headerValue(request: InboundRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(request.headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    const first = typeof value === 'string' ? value : value[0];
    return first === undefined || first.length === 0 ? undefined : first;
  }
  return undefined;
}

/** The body as text. */
export function bodyText(request: InboundRequest): string {
  return typeof request.body === 'string' ? request.body : request.body.toString('utf8');
}

/** A property of an object, when the value is an object. */
export function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** A string property of an object, when there is one and it is not empty. */
export function textField(value: unknown, key: string): string | undefined {
  const found = field(value, key);
  return typeof found === 'string' && found.length > 0 ? found : undefined;
}

const zeroSha = /^0+$/;

/** Whether a commit id is git's "no commit" (all zeros), which a deleted ref reports. */
export function isNullSha(sha: string | undefined): boolean {
  return sha === undefined || zeroSha.test(sha);
}

/** Splits a full ref into its branch or tag. */
export function refParts(ref: string): { branch?: string; tag?: string } {
  if (ref.startsWith('refs/heads/')) return { branch: ref.slice('refs/heads/'.length) };
  if (ref.startsWith('refs/tags/')) return { tag: ref.slice('refs/tags/'.length) };
  return {};
}

/** A time from a payload as ISO-8601 UTC, or undefined when it is not a time. */
export function isoTime(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const time = new Date(text);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}
