import type { Kysely } from 'kysely';
import { NotFoundError } from '../domain/index.js';
import type { Database, InboundDeliveryTable } from './schema.js';
import { decodeCursor, isUniqueViolation, newId, type Page, type PageRequest, pageOf } from './support.js';

/** What became of a request received on an inbound webhook. */
export const InboundOutcome = {
  /** Verified and claimed; the caller is processing it. */
  accepted: 'accepted',
  /** Verified and acted on (a version registered, a flow started). */
  processed: 'processed',
  /** Verified, but nothing to do (an event Slipway does not act on, no matching rule). */
  ignored: 'ignored',
  /** Verified, but acting on it failed; the sender's retry will be processed. */
  failed: 'failed',
  /** The signature or token was wrong or missing. */
  rejected: 'rejected',
  /** Verified, but its delivery id was already processed. */
  replay: 'replay',
  /** Verified, but the body could not be read. */
  malformed: 'malformed',
} as const;
export type InboundOutcome = (typeof InboundOutcome)[keyof typeof InboundOutcome];

/** The outcomes a caller may finish an accepted delivery with. */
export type InboundCompletion =
  | typeof InboundOutcome.processed
  | typeof InboundOutcome.ignored
  | typeof InboundOutcome.failed;

/** One request received on an inbound webhook. */
export interface InboundDelivery {
  id: string;
  source: string;
  /** The sender's id of the delivery (or a digest of the body when it sent none). */
  deliveryId: string;
  /** The sender's event name (`push`, `Tag Push Hook`, …). */
  event?: string;
  receivedAt: string;
  signatureValid: boolean;
  outcome: InboundOutcome;
  detail?: string;
  /** SHA-256 of the raw body, written as sha256:<hex>. */
  bodyDigest: string;
  remoteAddress?: string;
  updatedAt: string;
}

/** A received request to record. */
export interface NewInboundDelivery {
  source: string;
  deliveryId: string;
  event?: string;
  signatureValid: boolean;
  outcome: InboundOutcome;
  detail?: string;
  bodyDigest: string;
  remoteAddress?: string;
}

/** The result of claiming a delivery id. */
export type InboundClaim =
  | { claimed: true; delivery: InboundDelivery }
  | { claimed: false; delivery: InboundDelivery; original: InboundDelivery | undefined };

/** Filters of the inbound delivery list. */
export interface InboundDeliveryFilter {
  source?: string;
  outcome?: InboundOutcome;
}

function toInbound(row: InboundDeliveryTable): InboundDelivery {
  return {
    id: row.id,
    source: row.source,
    deliveryId: row.delivery_id,
    ...(row.event !== null && { event: row.event }),
    receivedAt: row.received_at,
    signatureValid: row.signature_valid === 1,
    outcome: row.outcome as InboundOutcome,
    ...(row.detail !== null && { detail: row.detail }),
    bodyDigest: row.body_digest,
    ...(row.remote_address !== null && { remoteAddress: row.remote_address }),
    updatedAt: row.updated_at,
  };
}

/**
 * Inbound webhook deliveries: every request is recorded, bad signatures included, and a
 * verified delivery id is claimed once so that replays are recognised.
 */
export class InboundDeliveryRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
  ) {}

  /** Records a request with its final outcome (rejected, malformed, replay…). */
  async record(input: NewInboundDelivery): Promise<InboundDelivery> {
    const at = this.now().toISOString();
    const row: InboundDeliveryTable = {
      id: newId(),
      source: input.source,
      delivery_id: input.deliveryId,
      event: input.event ?? null,
      received_at: at,
      signature_valid: input.signatureValid ? 1 : 0,
      outcome: input.outcome,
      detail: input.detail ?? null,
      body_digest: input.bodyDigest,
      remote_address: input.remoteAddress ?? null,
      updated_at: at,
    };
    await this.db.insertInto('inbound_deliveries').values(row).execute();
    return toInbound(row);
  }

  /**
   * Claims a verified delivery id: `accepted` for processing, or `ignored` when there is
   * nothing to do. When the id was already claimed (and not released by a failure) the
   * request is recorded as a replay and not claimed.
   */
  async claim(
    input: Omit<NewInboundDelivery, 'outcome' | 'signatureValid'>,
    outcome: typeof InboundOutcome.accepted | typeof InboundOutcome.ignored = InboundOutcome.accepted,
  ): Promise<InboundClaim> {
    try {
      const delivery = await this.record({ ...input, signatureValid: true, outcome });
      return { claimed: true, delivery };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    const original = await this.db
      .selectFrom('inbound_deliveries')
      .selectAll()
      .where('source', '=', input.source)
      .where('delivery_id', '=', input.deliveryId)
      .where('outcome', 'in', [InboundOutcome.accepted, InboundOutcome.processed, InboundOutcome.ignored])
      .executeTakeFirst();
    const delivery = await this.record({
      ...input,
      signatureValid: true,
      outcome: InboundOutcome.replay,
      ...(original !== undefined && { detail: `replay of ${original.id}` }),
    });
    return { claimed: false, delivery, original: original === undefined ? undefined : toInbound(original) };
  }

  /** Finishes an accepted delivery; `failed` releases its id for the sender's retry. */
  async complete(id: string, outcome: InboundCompletion, detail?: string): Promise<InboundDelivery> {
    await this.db
      .updateTable('inbound_deliveries')
      .set({
        outcome,
        ...(detail !== undefined && { detail }),
        updated_at: this.now().toISOString(),
      })
      .where('id', '=', id)
      .execute();
    return this.get(id);
  }

  /** One delivery, or `not_found`. */
  async get(id: string): Promise<InboundDelivery> {
    const row = await this.db
      .selectFrom('inbound_deliveries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('inbound delivery', id);
    return toInbound(row);
  }

  /** Deliveries, newest first. */
  async list(filter: InboundDeliveryFilter, page: PageRequest): Promise<Page<InboundDelivery>> {
    let query = this.db
      .selectFrom('inbound_deliveries')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(page.limit + 1);
    const before = decodeCursor(page.cursor);
    if (before !== undefined) query = query.where('id', '<', before);
    if (filter.source !== undefined) query = query.where('source', '=', filter.source);
    if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome);
    return pageOf(await query.execute(), page.limit, toInbound);
  }
}
