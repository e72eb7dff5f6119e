import {
  type ClaimedDelivery,
  type DeliveryAttemptResult,
  eventScope,
  type NewWebhookDelivery,
  type NotifyEvent,
  type SigningSubscription,
  type Store,
  type WebhookDelivery,
  type WebhookSubscription,
} from '../store/index.js';
import {
  defaultFormatContext,
  type FormatContext,
  isWebhookFormatName,
  webhookFormats,
} from './formats/index.js';
import { signBody, WebhookHeader } from './signing.js';

/**
 * How the webhook worker retries, sends and polls. Every option has a default. Time is read
 * from the store's clock (`StoreOptions.clock`), the same clock that decides what is due.
 */
export interface WebhookWorkerOptions {
  /** Randomness for the backoff jitter, in [0, 1) (default Math.random). */
  random?: () => number;
  /** Attempts per delivery before it is marked failed (default 8). */
  maxAttempts?: number;
  /** Wait before the first retry; it doubles with each failure (default 10 s). */
  baseDelayMilliseconds?: number;
  /** Longest wait between two attempts (default 1 h). */
  maxDelayMilliseconds?: number;
  /** Share of each wait that is randomised, so retries of many deliveries spread out (default 0.2: ±20 %). */
  jitter?: number;
  /** Time a receiver has to answer, body included (default 10 s). */
  requestTimeoutMilliseconds?: number;
  /** Deliveries sent at once, and outbox events fanned out per transaction (default 20). */
  batchSize?: number;
  /** Longest sleep of the running worker between two looks at the store (default 1 s). */
  pollMilliseconds?: number;
  /** Characters of a receiver's answer kept with each attempt (default 1024). */
  responseExcerptLength?: number;
  /** Names this Slipway as the producer of events (CloudEvents `source`; default `/slipway`). */
  eventSource?: string;
  /** `User-Agent` of the requests (default `Slipway-Webhooks`). */
  userAgent?: string;
  /** Told about errors of the running loop (the loop goes on). */
  onError?: (error: unknown) => void;
}

/** What became of one attempt the worker made. */
export interface DeliveryReport {
  deliveryId: string;
  attempt: number;
  outcome: 'succeeded' | 'failed';
  statusCode?: number;
  error?: string;
  /** When the next attempt is due; absent when the delivery is finished. */
  retryAt?: Date;
  /** False when the worker's lease was lost and the result was not recorded. */
  recorded: boolean;
}

const defaults = {
  maxAttempts: 8,
  baseDelayMilliseconds: 10_000,
  maxDelayMilliseconds: 3_600_000,
  jitter: 0.2,
  requestTimeoutMilliseconds: 10_000,
  batchSize: 20,
  pollMilliseconds: 1_000,
  responseExcerptLength: 1024,
  userAgent: 'Slipway-Webhooks',
};

/** The backoff settings `retryDelay` reads. */
export interface BackoffSettings {
  baseDelayMilliseconds: number;
  maxDelayMilliseconds: number;
  jitter: number;
}

/**
 * The wait after the `failedAttempts`-th failure: exponential (base × 2^(n−1)), spread by
 * ±jitter around it with `random` in [0, 1), and capped at the maximum.
 */
export function retryDelay(failedAttempts: number, settings: BackoffSettings, random: () => number): number {
  const exponential = settings.baseDelayMilliseconds * 2 ** Math.max(0, failedAttempts - 1);
  const spread = 1 - settings.jitter + 2 * settings.jitter * random();
  return Math.round(Math.min(settings.maxDelayMilliseconds, exponential * spread));
}

/** Whether a subscription wants an event: its type, its services and its environment. */
export function subscriptionMatches(subscription: WebhookSubscription, event: NotifyEvent): boolean {
  if (!subscription.active) return false;
  if (subscription.eventTypes.length > 0 && !subscription.eventTypes.includes(event.type)) return false;
  const scope = eventScope(event);
  if (subscription.serviceId !== undefined && !scope.serviceIds.includes(subscription.serviceId))
    return false;
  if (subscription.environmentId !== undefined && subscription.environmentId !== scope.environmentId)
    return false;
  return true;
}

/** The deliveries of one event: a signed body per matching subscription and formatted payload. */
export function deliveriesFor(
  event: NotifyEvent,
  subscriptions: readonly SigningSubscription[],
  context: FormatContext,
): NewWebhookDelivery[] {
  const deliveries: NewWebhookDelivery[] = [];
  for (const subscription of subscriptions) {
    if (!subscriptionMatches(subscription, event)) continue;
    // A format this version does not know (written by a newer one) is left to that version.
    if (!isWebhookFormatName(subscription.format)) continue;
    for (const payload of webhookFormats[subscription.format].format(event, context)) {
      deliveries.push({
        subscriptionId: subscription.id,
        eventId: event.id,
        eventType: event.type,
        format: subscription.format,
        contentType: payload.contentType,
        payload: payload.body,
        signature: signBody(subscription.secret, payload.body),
      });
    }
  }
  return deliveries;
}

/**
 * Re-sends a finished delivery: a new delivery of the same body, signed with the
 * subscription's current secret and due now. The original keeps its record.
 */
export async function redeliver(store: Store, deliveryId: string, actorId: string): Promise<WebhookDelivery> {
  const original = await store.webhooks.getDelivery(deliveryId);
  const secret = await store.webhooks.secretOf(original.subscriptionId);
  return store.webhooks.createRedelivery(original.id, signBody(secret, original.payload), actorId);
}

/** Text safe to store on both dialects (PostgreSQL text refuses NUL characters). */
function storable(text: string, length: number): string {
  return text.replaceAll('\u0000', '').slice(0, length);
}

async function readExcerpt(response: Response, limit: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

function describeFailure(error: unknown, timedOut: boolean, timeoutMilliseconds: number): string {
  if (timedOut) return `no answer within ${timeoutMilliseconds} ms`;
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (typeof cause === 'object' && cause !== null) {
    const code = 'code' in cause ? String(cause.code) : undefined;
    const message = 'message' in cause ? String(cause.message) : undefined;
    return `${error.message}: ${code ?? message ?? 'unknown cause'}`;
  }
  return error.message;
}

/**
 * Delivers outbound webhooks. It fans events out of the outbox into deliveries (one per
 * matching subscription and payload, signed with the subscription's secret), claims due
 * deliveries, POSTs each with a timeout, records every attempt and its response, and
 * retries failures with exponential backoff and jitter until the maximum number of
 * attempts, after which the delivery is marked failed.
 *
 * Delivery is at least once: a worker that dies mid-request leaves its delivery to be
 * claimed again when its lease runs out. Receivers deduplicate by `X-Slipway-Delivery`.
 */
export class WebhookWorker {
  private readonly clock: () => Date;
  private readonly random: () => number;
  private readonly settings: typeof defaults;
  private readonly context: FormatContext;
  private readonly onError: (error: unknown) => void;
  private running = false;
  private loop: Promise<void> | undefined;
  private sleeper: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private wakeRequested = false;

  constructor(
    private readonly store: Store,
    options: WebhookWorkerOptions = {},
  ) {
    this.clock = store.now;
    this.random = options.random ?? Math.random;
    this.settings = {
      maxAttempts: options.maxAttempts ?? defaults.maxAttempts,
      baseDelayMilliseconds: options.baseDelayMilliseconds ?? defaults.baseDelayMilliseconds,
      maxDelayMilliseconds: options.maxDelayMilliseconds ?? defaults.maxDelayMilliseconds,
      jitter: options.jitter ?? defaults.jitter,
      requestTimeoutMilliseconds: options.requestTimeoutMilliseconds ?? defaults.requestTimeoutMilliseconds,
      batchSize: options.batchSize ?? defaults.batchSize,
      pollMilliseconds: options.pollMilliseconds ?? defaults.pollMilliseconds,
      responseExcerptLength: options.responseExcerptLength ?? defaults.responseExcerptLength,
      userAgent: options.userAgent ?? defaults.userAgent,
    };
    this.context = options.eventSource === undefined ? defaultFormatContext : { source: options.eventSource };
    this.onError = options.onError ?? (() => undefined);
  }

  /**
   * Fans unprocessed outbox events out into deliveries, in one transaction per batch, until
   * the outbox is empty. Returns the number of deliveries created. An event goes to the
   * subscriptions active when it is fanned out; one no subscription wants is simply done.
   */
  async fanOut(): Promise<number> {
    let created = 0;
    for (;;) {
      const { events, deliveries } = await this.store.db.transaction().execute(async (trx) => {
        const scope = this.store.scope(trx);
        const locked = await scope.outbox.lockUnprocessed(this.settings.batchSize);
        if (locked.length === 0) return { events: 0, deliveries: 0 };
        const subscriptions = await scope.webhooks.activeSubscriptions();
        const planned = locked.flatMap((event) => {
          try {
            return deliveriesFor(event, subscriptions, this.context);
          } catch (error) {
            // One event that cannot be formatted must not hold up every event after it.
            this.onError(
              new Error(`Outbox event ${event.id} (${event.type}) could not be formatted`, { cause: error }),
            );
            return [];
          }
        });
        for (let start = 0; start < planned.length; start += 100) {
          await scope.webhooks.addDeliveries(planned.slice(start, start + 100));
        }
        await scope.outbox.markProcessed(locked.map((event) => event.id));
        return { events: locked.length, deliveries: planned.length };
      });
      created += deliveries;
      if (events < this.settings.batchSize) return created;
    }
  }

  /** Claims the deliveries due now and makes one attempt of each, at once. */
  async deliverDue(): Promise<DeliveryReport[]> {
    // The lease outlives the request (timeout included) so that no other worker sends it meanwhile.
    const lease = this.settings.requestTimeoutMilliseconds + 30_000;
    const claimed = await this.store.webhooks.claimDue(this.settings.batchSize, lease);
    return Promise.all(claimed.map((claim) => this.attempt(claim)));
  }

  /** One pass: fan out the outbox, then send what is due. */
  async runOnce(): Promise<{ created: number; reports: DeliveryReport[] }> {
    const created = await this.fanOut();
    const reports = await this.deliverDue();
    return { created, reports };
  }

  /** Re-sends a finished delivery now (see `redeliver`). */
  async redeliver(deliveryId: string, actorId: string): Promise<WebhookDelivery> {
    const delivery = await redeliver(this.store, deliveryId, actorId);
    this.wake();
    return delivery;
  }

  /** Starts the background loop (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Asks the running loop to look at the store now (after an event was written). */
  wake(): void {
    this.wakeRequested = true;
    this.sleeper?.resolve();
  }

  /** Stops the loop and waits for the attempts under way to finish and be recorded. */
  async stop(): Promise<void> {
    this.running = false;
    this.sleeper?.resolve();
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.wakeRequested = false;
      let busy = false;
      try {
        const { reports } = await this.runOnce();
        busy = reports.length === this.settings.batchSize;
      } catch (error) {
        this.onError(error);
      }
      if (!this.running) break;
      if (busy || this.wakeRequested) continue;
      await this.sleep(await this.nextWait());
    }
  }

  private async nextWait(): Promise<number> {
    try {
      const due = await this.store.webhooks.nextDueAt();
      if (due === undefined) return this.settings.pollMilliseconds;
      return Math.max(0, Math.min(this.settings.pollMilliseconds, due.getTime() - this.clock().getTime()));
    } catch (error) {
      this.onError(error);
      return this.settings.pollMilliseconds;
    }
  }

  private sleep(milliseconds: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, milliseconds);
      this.sleeper = { timer, resolve: done };
    });
  }

  private async attempt(claim: ClaimedDelivery): Promise<DeliveryReport> {
    const startedAt = this.clock();
    const sent = await this.send(claim, startedAt);
    const finishedAt = this.clock();
    const retryAt =
      sent.outcome === 'failed' && claim.attempt < this.settings.maxAttempts
        ? new Date(finishedAt.getTime() + retryDelay(claim.attempt, this.settings, this.random))
        : undefined;
    const result: DeliveryAttemptResult = {
      ...sent,
      startedAt,
      finishedAt,
      ...(retryAt !== undefined && { retryAt }),
    };
    let recorded = false;
    try {
      recorded = await this.store.webhooks.recordAttempt(claim, result);
    } catch (error) {
      this.onError(error);
    }
    return {
      deliveryId: claim.id,
      attempt: claim.attempt,
      outcome: sent.outcome,
      ...(sent.statusCode !== undefined && { statusCode: sent.statusCode }),
      ...(sent.error !== undefined && { error: sent.error }),
      ...(retryAt !== undefined && { retryAt }),
      recorded,
    };
  }

  private async send(
    claim: ClaimedDelivery,
    at: Date,
  ): Promise<Pick<DeliveryAttemptResult, 'outcome' | 'statusCode' | 'responseExcerpt' | 'error'>> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.settings.requestTimeoutMilliseconds);
    try {
      const response = await fetch(claim.url, {
        method: 'POST',
        headers: {
          'Content-Type': claim.contentType,
          'User-Agent': this.settings.userAgent,
          [WebhookHeader.signature]: claim.signature,
          [WebhookHeader.timestamp]: at.toISOString(),
          [WebhookHeader.delivery]: claim.id,
          [WebhookHeader.event]: claim.eventType,
          [WebhookHeader.attempt]: String(claim.attempt),
        },
        body: claim.payload,
        // A redirect is an answer, not a success: following it would re-send a signed body elsewhere.
        redirect: 'manual',
        signal: controller.signal,
      });
      const excerpt = storable(
        await readExcerpt(response, this.settings.responseExcerptLength),
        this.settings.responseExcerptLength,
      );
      const succeeded = response.status >= 200 && response.status < 300;
      return {
        outcome: succeeded ? 'succeeded' : 'failed',
        statusCode: response.status,
        ...(excerpt.length > 0 && { responseExcerpt: excerpt }),
        ...(!succeeded && { error: `the receiver answered HTTP ${response.status}` }),
      };
    } catch (error) {
      return {
        outcome: 'failed',
        error: storable(describeFailure(error, timedOut, this.settings.requestTimeoutMilliseconds), 1000),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
