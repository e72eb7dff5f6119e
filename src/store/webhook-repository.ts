import { type Kysely, sql } from 'kysely';
import { ConflictError, NotFoundError } from '../domain/index.js';
import type { AuditRepository } from './audit-repository.js';
import type {
  Database,
  WebhookDeliveryAttemptTable,
  WebhookDeliveryTable,
  WebhookSubscriptionTable,
} from './schema.js';
import { decodeCursor, fromJson, newId, type Page, type PageRequest, pageOf } from './support.js';

/** The state of an outbound webhook delivery. */
export const WebhookDeliveryState = {
  pending: 'pending',
  delivering: 'delivering',
  succeeded: 'succeeded',
  failed: 'failed',
} as const;
export type WebhookDeliveryState = (typeof WebhookDeliveryState)[keyof typeof WebhookDeliveryState];

/** An outbound webhook subscription as callers see it (its secret is never shown). */
export interface WebhookSubscription {
  id: string;
  description: string;
  url: string;
  /** Only events about this service (absent: any). */
  serviceId?: string;
  /** Only events about this environment (absent: any). */
  environmentId?: string;
  /** Only these event types (empty: every type). */
  eventTypes: string[];
  /** The payload format: a name in notify's format registry. */
  format: string;
  active: boolean;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** A subscription with the secret its payloads are signed with; for the delivery worker only. */
export interface SigningSubscription extends WebhookSubscription {
  secret: string;
}

/** A subscription to create. */
export interface NewWebhookSubscription {
  description?: string;
  url: string;
  /**
   * The shared secret payloads are signed with. Stored as given: Slipway has no key facility
   * for encryption at rest yet, so the database must be protected like the secret itself.
   */
  secret: string;
  serviceId?: string;
  environmentId?: string;
  eventTypes?: string[];
  format: string;
  active?: boolean;
}

/** Changes to a subscription; `null` clears a filter, absent leaves a field as it is. */
export interface WebhookSubscriptionChanges {
  description?: string;
  url?: string;
  secret?: string;
  serviceId?: string | null;
  environmentId?: string | null;
  eventTypes?: string[];
  format?: string;
  active?: boolean;
}

/** One signed payload for one subscription. */
export interface WebhookDelivery {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  format: string;
  contentType: string;
  /** The exact body sent, which the signature covers. */
  payload: string;
  signature: string;
  state: WebhookDeliveryState;
  attemptCount: number;
  nextAttemptAt?: string;
  /** The delivery this one re-sends. */
  redeliveryOf?: string;
  lastStatusCode?: number;
  lastResponseExcerpt?: string;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

/** One HTTP attempt of a delivery. */
export interface WebhookDeliveryAttempt {
  id: string;
  deliveryId: string;
  attempt: number;
  startedAt: string;
  finishedAt: string;
  durationMilliseconds: number;
  outcome: 'succeeded' | 'failed';
  statusCode?: number;
  responseExcerpt?: string;
  error?: string;
}

/** A delivery to create when an event is fanned out. */
export interface NewWebhookDelivery {
  subscriptionId: string;
  eventId: string;
  eventType: string;
  format: string;
  contentType: string;
  payload: string;
  signature: string;
}

/** A delivery a worker has claimed: send it, then report with this fence. */
export interface ClaimedDelivery {
  id: string;
  fence: number;
  /** The number of the attempt about to be made (1 for the first). */
  attempt: number;
  url: string;
  eventId: string;
  eventType: string;
  contentType: string;
  payload: string;
  signature: string;
}

/** The result of one attempt, and what happens next. */
export interface DeliveryAttemptResult {
  outcome: 'succeeded' | 'failed';
  startedAt: Date;
  finishedAt: Date;
  statusCode?: number;
  responseExcerpt?: string;
  error?: string;
  /** When to try again after a failure; absent after a failure: the delivery has failed for good. */
  retryAt?: Date;
}

/** Filters of the delivery list. */
export interface WebhookDeliveryFilter {
  subscriptionId?: string;
  eventId?: string;
  state?: WebhookDeliveryState;
}

function toSubscription(row: WebhookSubscriptionTable): WebhookSubscription {
  return {
    id: row.id,
    description: row.description,
    url: row.url,
    ...(row.service_id !== null && { serviceId: row.service_id }),
    ...(row.environment_id !== null && { environmentId: row.environment_id }),
    eventTypes: fromJson<string[]>(row.event_types),
    format: row.format,
    active: row.active === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toDelivery(row: WebhookDeliveryTable): WebhookDelivery {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    eventId: row.event_id,
    eventType: row.event_type,
    format: row.format,
    contentType: row.content_type,
    payload: row.payload,
    signature: row.signature,
    state: row.state as WebhookDeliveryState,
    attemptCount: Number(row.attempt_count),
    ...(row.next_attempt_at !== null && { nextAttemptAt: row.next_attempt_at }),
    ...(row.redelivery_of !== null && { redeliveryOf: row.redelivery_of }),
    ...(row.last_status_code !== null && { lastStatusCode: Number(row.last_status_code) }),
    ...(row.last_response_excerpt !== null && { lastResponseExcerpt: row.last_response_excerpt }),
    ...(row.last_error !== null && { lastError: row.last_error }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.finished_at !== null && { finishedAt: row.finished_at }),
  };
}

function toAttempt(row: WebhookDeliveryAttemptTable): WebhookDeliveryAttempt {
  return {
    id: row.id,
    deliveryId: row.delivery_id,
    attempt: Number(row.attempt),
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMilliseconds: Number(row.duration_ms),
    outcome: row.outcome as 'succeeded' | 'failed',
    ...(row.status_code !== null && { statusCode: Number(row.status_code) }),
    ...(row.response_excerpt !== null && { responseExcerpt: row.response_excerpt }),
    ...(row.error !== null && { error: row.error }),
  };
}

/**
 * Outbound webhook subscriptions, their deliveries and every attempt of each. Deliveries are
 * claimed like engine work: a claim raises the delivery's fence and leases it until its
 * request can no longer be running, so a worker that lost its lease cannot record a result.
 */
export class WebhookRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly dialect: 'sqlite' | 'postgres',
    private readonly audit: AuditRepository,
  ) {}

  /** Creates a subscription. */
  async createSubscription(input: NewWebhookSubscription, actorId: string): Promise<WebhookSubscription> {
    const id = newId();
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('webhook_subscriptions')
        .values({
          id,
          description: input.description ?? '',
          url: input.url,
          secret: input.secret,
          service_id: input.serviceId ?? null,
          environment_id: input.environmentId ?? null,
          event_types: JSON.stringify(input.eventTypes ?? []),
          format: input.format,
          active: input.active === false ? 0 : 1,
          created_by: actorId,
          created_at: at,
          updated_at: at,
        })
        .execute();
      await this.audit.record(trx, {
        actorId,
        action: 'webhook-subscription.created',
        subjectType: 'webhook-subscription',
        subjectId: id,
        details: {
          url: input.url,
          format: input.format,
          ...(input.serviceId !== undefined && { serviceId: input.serviceId }),
          ...(input.environmentId !== undefined && { environmentId: input.environmentId }),
          eventTypes: input.eventTypes ?? [],
        },
      });
    });
    return this.getSubscription(id);
  }

  /** One subscription, or `not_found`. */
  async getSubscription(id: string): Promise<WebhookSubscription> {
    const row = await this.db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('webhook subscription', id);
    return toSubscription(row);
  }

  /** Subscriptions, oldest first. */
  async listSubscriptions(page: PageRequest): Promise<Page<WebhookSubscription>> {
    let query = this.db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .orderBy('id')
      .limit(page.limit + 1);
    const after = decodeCursor(page.cursor);
    if (after !== undefined) query = query.where('id', '>', after);
    return pageOf(await query.execute(), page.limit, toSubscription);
  }

  /** The active subscriptions with their secrets, for fanning events out. */
  async activeSubscriptions(): Promise<SigningSubscription[]> {
    const rows = await this.db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .where('active', '=', 1)
      .orderBy('id')
      .execute();
    return rows.map((row) => ({ ...toSubscription(row), secret: row.secret }));
  }

  /** The secret of one subscription, for signing a redelivery. */
  async secretOf(id: string): Promise<string> {
    const row = await this.db
      .selectFrom('webhook_subscriptions')
      .select('secret')
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('webhook subscription', id);
    return row.secret;
  }

  /** Changes a subscription; deliveries already made keep the payload and signature they had. */
  async updateSubscription(
    id: string,
    changes: WebhookSubscriptionChanges,
    actorId: string,
  ): Promise<WebhookSubscription> {
    await this.getSubscription(id);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('webhook_subscriptions')
        .set({
          ...(changes.description !== undefined && { description: changes.description }),
          ...(changes.url !== undefined && { url: changes.url }),
          ...(changes.secret !== undefined && { secret: changes.secret }),
          ...(changes.serviceId !== undefined && { service_id: changes.serviceId }),
          ...(changes.environmentId !== undefined && { environment_id: changes.environmentId }),
          ...(changes.eventTypes !== undefined && { event_types: JSON.stringify(changes.eventTypes) }),
          ...(changes.format !== undefined && { format: changes.format }),
          ...(changes.active !== undefined && { active: changes.active ? 1 : 0 }),
          updated_at: this.now().toISOString(),
        })
        .where('id', '=', id)
        .execute();
      const { secret, ...shown } = changes;
      await this.audit.record(trx, {
        actorId,
        action: 'webhook-subscription.updated',
        subjectType: 'webhook-subscription',
        subjectId: id,
        details: { ...shown, ...(secret !== undefined && { secretChanged: true }) },
      });
    });
    return this.getSubscription(id);
  }

  /**
   * Deletes a subscription that never delivered anything. One with deliveries keeps them as
   * its record: deactivate it instead.
   */
  async deleteSubscription(id: string, actorId: string): Promise<void> {
    await this.getSubscription(id);
    await this.db.transaction().execute(async (trx) => {
      const deliveries = await trx
        .selectFrom('webhook_deliveries')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('subscription_id', '=', id)
        .executeTakeFirstOrThrow();
      if (Number(deliveries.count) > 0) {
        throw new ConflictError(
          `Webhook subscription ${id} has ${deliveries.count} recorded deliveries; deactivate it instead of deleting it.`,
          { deliveries: Number(deliveries.count) },
          'subscription_in_use',
        );
      }
      await trx.deleteFrom('webhook_subscriptions').where('id', '=', id).execute();
      await this.audit.record(trx, {
        actorId,
        action: 'webhook-subscription.deleted',
        subjectType: 'webhook-subscription',
        subjectId: id,
      });
    });
  }

  /** Creates deliveries, due now; over a transaction's handle they commit with it. */
  async addDeliveries(deliveries: readonly NewWebhookDelivery[]): Promise<string[]> {
    if (deliveries.length === 0) return [];
    const at = this.now().toISOString();
    const rows = deliveries.map((delivery) => ({
      id: newId(),
      subscription_id: delivery.subscriptionId,
      event_id: delivery.eventId,
      event_type: delivery.eventType,
      format: delivery.format,
      content_type: delivery.contentType,
      payload: delivery.payload,
      signature: delivery.signature,
      state: WebhookDeliveryState.pending,
      attempt_count: 0,
      next_attempt_at: at,
      fence: 0,
      redelivery_of: null,
      last_status_code: null,
      last_response_excerpt: null,
      last_error: null,
      created_at: at,
      updated_at: at,
      finished_at: null,
    }));
    await this.db.insertInto('webhook_deliveries').values(rows).execute();
    return rows.map((row) => row.id);
  }

  /**
   * Claims up to `limit` due deliveries (pending ones whose time has come, and deliveries whose
   * worker's lease ran out) until now + leaseMilliseconds.
   */
  async claimDue(limit: number, leaseMilliseconds: number): Promise<ClaimedDelivery[]> {
    const now = this.now();
    const nowText = now.toISOString();
    const until = new Date(now.getTime() + leaseMilliseconds).toISOString();
    // PostgreSQL nodes skip rows another node is claiming; SQLite has one writer.
    const lock = this.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    const claimed = await sql<{ id: string; fence: number; attempt_count: number }>`
      update webhook_deliveries
         set state = ${WebhookDeliveryState.delivering}, next_attempt_at = ${until},
             fence = fence + 1, updated_at = ${nowText}
       where id in (
             select id from webhook_deliveries
              where state in (${WebhookDeliveryState.pending}, ${WebhookDeliveryState.delivering})
                and next_attempt_at <= ${nowText}
              order by next_attempt_at, id
              limit ${limit}
              ${lock})
      returning id, fence, attempt_count`.execute(this.db);
    if (claimed.rows.length === 0) return [];
    const details = await this.db
      .selectFrom('webhook_deliveries')
      .innerJoin('webhook_subscriptions', 'webhook_subscriptions.id', 'webhook_deliveries.subscription_id')
      .select([
        'webhook_deliveries.id',
        'webhook_subscriptions.url',
        'webhook_deliveries.event_id',
        'webhook_deliveries.event_type',
        'webhook_deliveries.content_type',
        'webhook_deliveries.payload',
        'webhook_deliveries.signature',
      ])
      .where(
        'webhook_deliveries.id',
        'in',
        claimed.rows.map((row) => row.id),
      )
      .execute();
    const byId = new Map(details.map((row) => [row.id, row]));
    return claimed.rows.flatMap((row) => {
      const detail = byId.get(row.id);
      if (detail === undefined) return [];
      return [
        {
          id: row.id,
          fence: Number(row.fence),
          attempt: Number(row.attempt_count) + 1,
          url: detail.url,
          eventId: detail.event_id,
          eventType: detail.event_type,
          contentType: detail.content_type,
          payload: detail.payload,
          signature: detail.signature,
        },
      ];
    });
  }

  /**
   * Records one attempt and moves the delivery on: succeeded, pending until `retryAt`, or
   * failed. Returns false (and records nothing) when the claim's lease was lost.
   */
  async recordAttempt(claim: ClaimedDelivery, result: DeliveryAttemptResult): Promise<boolean> {
    const finishedAt = result.finishedAt.toISOString();
    const state =
      result.outcome === 'succeeded'
        ? WebhookDeliveryState.succeeded
        : result.retryAt === undefined
          ? WebhookDeliveryState.failed
          : WebhookDeliveryState.pending;
    return this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('webhook_deliveries')
        .set({
          state,
          attempt_count: claim.attempt,
          next_attempt_at:
            state === WebhookDeliveryState.pending ? (result.retryAt?.toISOString() ?? null) : null,
          last_status_code: result.statusCode ?? null,
          last_response_excerpt: result.responseExcerpt ?? null,
          last_error: result.error ?? null,
          updated_at: finishedAt,
          finished_at: state === WebhookDeliveryState.pending ? null : finishedAt,
        })
        .where('id', '=', claim.id)
        .where('fence', '=', claim.fence)
        .where('state', '=', WebhookDeliveryState.delivering)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      await trx
        .insertInto('webhook_delivery_attempts')
        .values({
          id: newId(),
          delivery_id: claim.id,
          attempt: claim.attempt,
          started_at: result.startedAt.toISOString(),
          finished_at: finishedAt,
          duration_ms: Math.max(0, result.finishedAt.getTime() - result.startedAt.getTime()),
          outcome: result.outcome,
          status_code: result.statusCode ?? null,
          response_excerpt: result.responseExcerpt ?? null,
          error: result.error ?? null,
        })
        .execute();
      return true;
    });
  }

  /** When the next pending delivery becomes due, if any. */
  async nextDueAt(): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.min('next_attempt_at').as('due_at'))
      .where('state', 'in', [WebhookDeliveryState.pending, WebhookDeliveryState.delivering])
      .executeTakeFirst();
    return row?.due_at == null ? undefined : new Date(row.due_at);
  }

  /** One delivery, or `not_found`. */
  async getDelivery(id: string): Promise<WebhookDelivery> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('webhook delivery', id);
    return toDelivery(row);
  }

  /** Deliveries, newest first. */
  async listDeliveries(filter: WebhookDeliveryFilter, page: PageRequest): Promise<Page<WebhookDelivery>> {
    let query = this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(page.limit + 1);
    const before = decodeCursor(page.cursor);
    if (before !== undefined) query = query.where('id', '<', before);
    if (filter.subscriptionId !== undefined)
      query = query.where('subscription_id', '=', filter.subscriptionId);
    if (filter.eventId !== undefined) query = query.where('event_id', '=', filter.eventId);
    if (filter.state !== undefined) query = query.where('state', '=', filter.state);
    return pageOf(await query.execute(), page.limit, toDelivery);
  }

  /** Every attempt of a delivery, in order. */
  async attempts(deliveryId: string): Promise<WebhookDeliveryAttempt[]> {
    const rows = await this.db
      .selectFrom('webhook_delivery_attempts')
      .selectAll()
      .where('delivery_id', '=', deliveryId)
      .orderBy('attempt')
      .execute();
    return rows.map(toAttempt);
  }

  /**
   * Re-sends a finished delivery as a new delivery of the same payload, due now and signed
   * with `signature` (the subscription's current secret). The original keeps its record.
   */
  async createRedelivery(originalId: string, signature: string, actorId: string): Promise<WebhookDelivery> {
    const original = await this.getDelivery(originalId);
    if (
      original.state === WebhookDeliveryState.pending ||
      original.state === WebhookDeliveryState.delivering
    ) {
      throw new ConflictError(
        `Webhook delivery ${originalId} is still ${original.state}; wait for it to finish before redelivering it.`,
        { state: original.state },
        'delivery_in_progress',
      );
    }
    const id = newId();
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('webhook_deliveries')
        .values({
          id,
          subscription_id: original.subscriptionId,
          event_id: original.eventId,
          event_type: original.eventType,
          format: original.format,
          content_type: original.contentType,
          payload: original.payload,
          signature,
          state: WebhookDeliveryState.pending,
          attempt_count: 0,
          next_attempt_at: at,
          fence: 0,
          redelivery_of: original.id,
          last_status_code: null,
          last_response_excerpt: null,
          last_error: null,
          created_at: at,
          updated_at: at,
          finished_at: null,
        })
        .execute();
      await this.audit.record(trx, {
        actorId,
        action: 'webhook-delivery.redelivered',
        subjectType: 'webhook-delivery',
        subjectId: id,
        details: { redeliveryOf: original.id, subscriptionId: original.subscriptionId },
      });
    });
    return this.getDelivery(id);
  }
}
