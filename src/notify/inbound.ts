import { ErrorCode, InputError, NotFoundError, UnauthenticatedError } from '../domain/index.js';
import {
  type InboundCompletion,
  type InboundDelivery,
  type InboundDeliveryRepository,
  InboundOutcome,
} from '../store/index.js';
import { bodyDigest } from './signing.js';
import { type InboundRequest, type SourcePush, type TriggerSource, triggerSources } from './sources/index.js';

/** What became of an inbound webhook request that passed verification. */
export type InboundResult =
  /** A push to act on; finish it with `complete` once acted on. */
  | { outcome: typeof InboundOutcome.accepted; delivery: InboundDelivery; push: SourcePush }
  /** A verified request Slipway does not act on (a ping, a deleted branch…). */
  | { outcome: typeof InboundOutcome.ignored; delivery: InboundDelivery }
  /** A delivery id already processed: nothing is done again. */
  | { outcome: typeof InboundOutcome.replay; delivery: InboundDelivery; original?: InboundDelivery };

/** The longest delivery id kept; a longer one is cut (ids are UUIDs in practice). */
const maxDeliveryIdLength = 200;

/**
 * Receives inbound webhooks: verifies each request with its source's scheme, records every
 * request (bad signatures included), recognises replayed delivery ids, and maps pushes and
 * tags to a `SourcePush` for the trigger rules to act on.
 */
export class InboundWebhooks {
  constructor(
    private readonly store: { readonly inbound: InboundDeliveryRepository },
    private readonly sources: Readonly<Record<string, TriggerSource>> = triggerSources,
  ) {}

  /**
   * Verifies and records one request. Throws `UnauthenticatedError` (HTTP 401) for a wrong or
   * missing signature or token, `InputError` (400) for a body that cannot be read, and
   * `NotFoundError` (404) for an unknown source.
   */
  async receive(sourceName: string, request: InboundRequest, secret: string): Promise<InboundResult> {
    if (!Object.hasOwn(this.sources, sourceName)) throw new NotFoundError('webhook source', sourceName);
    const source = this.sources[sourceName] as TriggerSource;
    const digest = bodyDigest(request.body);
    const event = source.eventName(request);
    const deliveryId = (source.deliveryId(request) ?? digest).slice(0, maxDeliveryIdLength);
    const base = {
      source: source.name,
      deliveryId,
      ...(event !== undefined && { event }),
      bodyDigest: digest,
      ...(request.remoteAddress !== undefined && { remoteAddress: request.remoteAddress }),
    };

    const verification = source.verify(request, secret);
    if (!verification.valid) {
      await this.store.inbound.record({
        ...base,
        signatureValid: false,
        outcome: InboundOutcome.rejected,
        detail: verification.reason,
      });
      throw new UnauthenticatedError(
        `The ${source.name} webhook request was refused: ${verification.reason}. Check the secret configured on both sides.`,
      );
    }

    let push: SourcePush | undefined;
    try {
      push = source.toPush(event, source.parseBody(request));
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      await this.store.inbound.record({
        ...base,
        signatureValid: true,
        outcome: InboundOutcome.malformed,
        detail,
      });
      throw new InputError(
        `The ${source.name} webhook body could not be read: ${detail}`,
        [{ path: '/body', message: detail }],
        ErrorCode.malformedRequest,
      );
    }

    const claim = await this.store.inbound.claim(
      push === undefined
        ? {
            ...base,
            detail: `${event ?? 'this event'} is not a push of a branch or tag that Slipway acts on`,
          }
        : base,
      push === undefined ? InboundOutcome.ignored : InboundOutcome.accepted,
    );
    if (!claim.claimed) {
      return {
        outcome: InboundOutcome.replay,
        delivery: claim.delivery,
        ...(claim.original !== undefined && { original: claim.original }),
      };
    }
    if (push === undefined) return { outcome: InboundOutcome.ignored, delivery: claim.delivery };
    return { outcome: InboundOutcome.accepted, delivery: claim.delivery, push };
  }

  /**
   * Finishes an accepted delivery once acted on: `processed`, `ignored` (no rule matched) or
   * `failed` (which lets the sender's retry of the same delivery be processed).
   */
  async complete(inboundId: string, outcome: InboundCompletion, detail?: string): Promise<InboundDelivery> {
    return this.store.inbound.complete(inboundId, outcome, detail);
  }
}
