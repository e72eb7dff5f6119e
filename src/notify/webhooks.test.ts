import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleDeploymentEvent, exampleIds, exampleVersion } from '../../test/support/notify-events.js';
import { closedPort, type Receiver, startReceiver } from '../../test/support/receiver.js';
import { dialectsUnderTest, openTestStore } from '../../test/support/stores.js';
import type { Store } from '../store/index.js';
import { verifyBodySignature, WebhookHeader } from './signing.js';
import { retryDelay, WebhookWorker, type WebhookWorkerOptions } from './webhooks.js';

describe('retry delays', () => {
  const settings = { baseDelayMilliseconds: 1000, maxDelayMilliseconds: 60_000, jitter: 0.2 };

  it('double with each failure around the base and never pass the maximum', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4, 5].map((failures) => retryDelay(failures, settings, middle))).toEqual([
      1000, 2000, 4000, 8000, 16000,
    ]);
    expect(retryDelay(30, settings, middle)).toBe(60_000);
    expect(retryDelay(30, settings, () => 0.999)).toBe(60_000);
  });

  it('spread by the jitter share on either side', () => {
    expect(retryDelay(3, settings, () => 0)).toBe(3200);
    expect(retryDelay(3, settings, () => 0.999_999)).toBe(4800);
    expect(retryDelay(3, { ...settings, jitter: 0 }, () => 0.123)).toBe(4000);
  });
});

describe.each(await dialectsUnderTest())('outbound webhooks on %s', (dialect) => {
  let now: Date;
  let store: Store;
  let close: () => Promise<void>;
  let actorId: string;
  let receiver: Receiver;
  const secret = 'receiver-shared-secret';

  const advance = (milliseconds: number) => {
    now = new Date(now.getTime() + milliseconds);
  };
  const worker = (options: WebhookWorkerOptions = {}) =>
    new WebhookWorker(store, { random: () => 0.5, baseDelayMilliseconds: 10_000, ...options });

  beforeEach(async () => {
    now = new Date('2030-01-01T00:00:00.000Z');
    ({ store, close } = await openTestStore(dialect, { clock: () => now }));
    actorId = (
      await store.principals.create({ name: 'ops', kind: 'person', roles: ['deployment-manager'] }, undefined)
    ).id;
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await receiver.close();
    await close();
  });

  it('a receiver that fails three times then succeeds gets exactly one successful delivery recorded with three failures before it', async () => {
    receiver.answer((_request, index) =>
      index < 3 ? { status: 500, body: `down ${index + 1}` } : { status: 204 },
    );
    const subscription = await store.webhooks.createSubscription(
      { url: receiver.url, secret, format: 'plain' },
      actorId,
    );
    const event = await store.outbox.append(exampleDeploymentEvent());
    const webhooks = worker();

    const first = await webhooks.runOnce();
    expect(first.created).toBe(1);
    expect(first.reports).toMatchObject([{ attempt: 1, outcome: 'failed', statusCode: 500, recorded: true }]);
    // Nothing is sent again before the backoff has passed.
    expect((await webhooks.runOnce()).reports).toEqual([]);
    expect(receiver.requests).toHaveLength(1);

    const waits: number[] = [];
    for (let attempt = 2; attempt <= 4; attempt += 1) {
      const delivery = (
        await store.webhooks.listDeliveries({ subscriptionId: subscription.id }, { limit: 10 })
      ).items[0];
      const dueAt = new Date(delivery?.nextAttemptAt ?? '');
      waits.push(dueAt.getTime() - now.getTime());
      now = dueAt;
      const { reports } = await webhooks.runOnce();
      expect(reports).toMatchObject([{ attempt, outcome: attempt < 4 ? 'failed' : 'succeeded' }]);
    }
    expect(waits).toEqual([10_000, 20_000, 40_000]);

    const deliveries = await store.webhooks.listDeliveries(
      { subscriptionId: subscription.id },
      { limit: 10 },
    );
    expect(deliveries.items).toHaveLength(1);
    const delivery = deliveries.items[0];
    expect(delivery).toMatchObject({
      eventId: event.id,
      eventType: 'deployment.succeeded',
      state: 'succeeded',
      attemptCount: 4,
      lastStatusCode: 204,
      finishedAt: now.toISOString(),
    });
    expect(delivery?.nextAttemptAt).toBeUndefined();
    const attempts = await store.webhooks.attempts(delivery?.id ?? '');
    expect(attempts.map((attempt) => [attempt.attempt, attempt.outcome, attempt.statusCode])).toEqual([
      [1, 'failed', 500],
      [2, 'failed', 500],
      [3, 'failed', 500],
      [4, 'succeeded', 204],
    ]);
    expect(attempts.map((attempt) => attempt.responseExcerpt)).toEqual([
      'down 1',
      'down 2',
      'down 3',
      undefined,
    ]);

    // Every attempt carried the same delivery id and a signature the receiver can check.
    expect(receiver.requests).toHaveLength(4);
    for (const [index, request] of receiver.requests.entries()) {
      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers[WebhookHeader.delivery.toLowerCase()]).toBe(delivery?.id);
      expect(request.headers[WebhookHeader.attempt.toLowerCase()]).toBe(String(index + 1));
      expect(request.headers[WebhookHeader.event.toLowerCase()]).toBe('deployment.succeeded');
      const signature = request.headers[WebhookHeader.signature.toLowerCase()];
      expect(verifyBodySignature(secret, request.body, String(signature))).toBe(true);
      expect(verifyBodySignature('another-secret', request.body, String(signature))).toBe(false);
    }
    expect(JSON.parse(receiver.requests[3]?.body ?? '')).toMatchObject({
      id: event.id,
      type: 'deployment.succeeded',
      occurredAt: event.occurredAt,
      data: { environment: { name: 'production' }, versions: [{ component: 'shop-web', version: '1.2.0' }] },
    });
  });

  it('gives up after the maximum number of attempts and marks the delivery failed', async () => {
    receiver.answer(() => ({ status: 503 }));
    await store.webhooks.createSubscription({ url: receiver.url, secret, format: 'plain' }, actorId);
    await store.outbox.append(exampleDeploymentEvent());
    const webhooks = worker({ maxAttempts: 3 });
    const outcomes: Array<Date | undefined> = [];
    for (let pass = 0; pass < 3; pass += 1) {
      const { reports } = await webhooks.runOnce();
      outcomes.push(reports[0]?.retryAt);
      advance(3_600_000);
    }
    expect(outcomes[2]).toBeUndefined();
    advance(86_400_000);
    expect((await webhooks.runOnce()).reports).toEqual([]);
    const [delivery] = (await store.webhooks.listDeliveries({}, { limit: 10 })).items;
    expect(delivery).toMatchObject({ state: 'failed', attemptCount: 3, lastStatusCode: 503 });
    expect(delivery?.lastError).toContain('503');
    expect(receiver.requests).toHaveLength(3);
  });

  it('redelivers a finished delivery as a new one signed with the current secret, keeping the original', async () => {
    receiver.answer(() => ({ status: 500 }));
    const subscription = await store.webhooks.createSubscription(
      { url: receiver.url, secret, format: 'plain' },
      actorId,
    );
    await store.outbox.append(exampleDeploymentEvent());
    const webhooks = worker({ maxAttempts: 1 });
    await webhooks.runOnce();
    const [original] = (await store.webhooks.listDeliveries({}, { limit: 10 })).items;
    expect(original?.state).toBe('failed');

    await store.webhooks.updateSubscription(subscription.id, { secret: 'rotated-secret' }, actorId);
    receiver.answer(() => ({ status: 200, body: 'thanks' }));
    const again = await webhooks.redeliver(original?.id ?? '', actorId);
    expect(again).toMatchObject({ state: 'pending', redeliveryOf: original?.id, payload: original?.payload });
    await expect(webhooks.redeliver(again.id, actorId)).rejects.toMatchObject({
      code: 'delivery_in_progress',
    });

    const { reports } = await webhooks.runOnce();
    expect(reports).toMatchObject([{ deliveryId: again.id, outcome: 'succeeded', statusCode: 200 }]);
    const request = receiver.requests[1];
    expect(request?.headers[WebhookHeader.delivery.toLowerCase()]).toBe(again.id);
    const signature = String(request?.headers[WebhookHeader.signature.toLowerCase()]);
    expect(verifyBodySignature('rotated-secret', request?.body ?? '', signature)).toBe(true);
    expect(await store.webhooks.getDelivery(original?.id ?? '')).toMatchObject({
      state: 'failed',
      attemptCount: 1,
    });
    expect((await store.webhooks.attempts(again.id)).map((attempt) => attempt.responseExcerpt)).toEqual([
      'thanks',
    ]);
    const trail = await store.audit.list({ action: 'webhook-delivery.redelivered' }, { limit: 10 });
    expect(trail.items.map((entry) => entry.subjectId)).toEqual([again.id]);
    await expect(webhooks.redeliver('01900000-0000-7000-8000-000000000000', actorId)).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('fans an event out once, to the active subscriptions whose filters match, in the format each chose', async () => {
    const create = (
      description: string,
      extra: Partial<Parameters<Store['webhooks']['createSubscription']>[0]>,
    ) =>
      store.webhooks.createSubscription(
        { description, url: receiver.url, secret, format: 'plain', ...extra },
        actorId,
      );
    const everything = await create('everything', {});
    const production = await create('production', { environmentId: exampleIds.production });
    const staging = await create('staging', { environmentId: exampleIds.staging });
    const billing = await create('billing', { serviceId: exampleIds.billing });
    const shop = await create('shop failures', {
      serviceId: exampleIds.shop,
      eventTypes: ['deployment.failed'],
    });
    await create('inactive', { active: false });
    const cdevents = await create('cdevents', { format: 'cdevents' });

    const event = await store.outbox.append(
      exampleDeploymentEvent('deployment.succeeded', {
        versions: [
          exampleVersion(),
          exampleVersion({ component: 'shop-api', componentId: 'c2', versionId: 'v2' }),
        ],
      }),
    );
    const webhooks = worker();
    expect(await webhooks.fanOut()).toBe(4);
    expect(await webhooks.fanOut()).toBe(0);
    expect(await store.outbox.pendingCount()).toBe(0);
    const deliveries = (await store.webhooks.listDeliveries({ eventId: event.id }, { limit: 20 })).items;
    const bySubscription = (id: string) => deliveries.filter((delivery) => delivery.subscriptionId === id);
    expect(bySubscription(everything.id)).toHaveLength(1);
    expect(bySubscription(production.id)).toHaveLength(1);
    expect(bySubscription(staging.id)).toHaveLength(0);
    expect(bySubscription(billing.id)).toHaveLength(0);
    expect(bySubscription(shop.id)).toHaveLength(0);
    // CDEvents describe one running artifact per event: one delivery per component.
    expect(bySubscription(cdevents.id).map((delivery) => JSON.parse(delivery.payload).subject)).toEqual([
      'shop/shop-api',
      'shop/shop-web',
    ]);
    expect(bySubscription(cdevents.id)[0]?.contentType).toBe('application/cloudevents+json; charset=utf-8');

    // A failed deployment has no CDEvents predicate; the service filter with the type matches now.
    const failed = await store.outbox.append(exampleDeploymentEvent('deployment.failed'));
    expect(await webhooks.fanOut()).toBe(3);
    const failedDeliveries = (await store.webhooks.listDeliveries({ eventId: failed.id }, { limit: 20 }))
      .items;
    expect(failedDeliveries.map((delivery) => delivery.subscriptionId).sort()).toEqual(
      [everything.id, production.id, shop.id].sort(),
    );
  });

  it('reports an event it cannot format and goes on with the events after it', async () => {
    await store.webhooks.createSubscription({ url: receiver.url, secret, format: 'cdevents' }, actorId);
    await store.db
      .insertInto('notify_outbox')
      .values({
        id: '01900000-0000-7000-8000-000000000b0b',
        type: 'deployment.succeeded',
        payload: JSON.stringify({
          id: 'broken',
          type: 'deployment.succeeded',
          occurredAt: now.toISOString(),
          data: {},
        }),
        created_at: now.toISOString(),
        processed_at: null,
      })
      .execute();
    const good = await store.outbox.append(exampleDeploymentEvent());
    const errors: unknown[] = [];
    expect(await worker({ onError: (error) => errors.push(error) }).fanOut()).toBe(1);
    expect(String(errors[0])).toContain('could not be formatted');
    expect(await store.outbox.pendingCount()).toBe(0);
    const deliveries = (await store.webhooks.listDeliveries({}, { limit: 10 })).items;
    expect(deliveries.map((delivery) => delivery.eventId)).toEqual([good.id]);
  });

  it('records timeouts and refused connections as failed attempts with their reason', async () => {
    receiver.answer(() => ({ status: 200, delayMilliseconds: 2_000 }));
    const slow = await store.webhooks.createSubscription(
      { url: receiver.url, secret, format: 'plain' },
      actorId,
    );
    const port = await closedPort();
    const refused = await store.webhooks.createSubscription(
      { url: `http://127.0.0.1:${port}/hook`, secret, format: 'plain' },
      actorId,
    );
    await store.outbox.append(exampleDeploymentEvent());
    const { reports } = await worker({ requestTimeoutMilliseconds: 200 }).runOnce();
    expect(reports).toHaveLength(2);
    const [slowDelivery] = (await store.webhooks.listDeliveries({ subscriptionId: slow.id }, { limit: 1 }))
      .items;
    const [refusedDelivery] = (
      await store.webhooks.listDeliveries({ subscriptionId: refused.id }, { limit: 1 })
    ).items;
    expect(slowDelivery).toMatchObject({
      state: 'pending',
      attemptCount: 1,
      lastError: 'no answer within 200 ms',
    });
    expect(slowDelivery?.lastStatusCode).toBeUndefined();
    expect(refusedDelivery).toMatchObject({ state: 'pending', attemptCount: 1 });
    expect(refusedDelivery?.lastError).toContain('ECONNREFUSED');
  });

  it('does not follow redirects: a redirect is a failed attempt', async () => {
    receiver.answer(() => ({ status: 302, body: 'moved' }));
    await store.webhooks.createSubscription({ url: receiver.url, secret, format: 'plain' }, actorId);
    await store.outbox.append(exampleDeploymentEvent());
    const { reports } = await worker().runOnce();
    expect(reports).toMatchObject([{ outcome: 'failed', statusCode: 302 }]);
    expect(receiver.requests).toHaveLength(1);
  });

  it('refuses the result of a worker whose lease ran out, so an attempt is recorded once', async () => {
    await store.webhooks.createSubscription({ url: receiver.url, secret, format: 'plain' }, actorId);
    await store.outbox.append(exampleDeploymentEvent());
    await worker().fanOut();
    const [stale] = await store.webhooks.claimDue(10, 1_000);
    expect(await store.webhooks.claimDue(10, 1_000)).toEqual([]);
    advance(1_001);
    const [fresh] = await store.webhooks.claimDue(10, 1_000);
    expect(fresh?.id).toBe(stale?.id);
    expect(fresh?.fence).toBe((stale?.fence ?? 0) + 1);
    const result = { outcome: 'succeeded' as const, startedAt: now, finishedAt: now, statusCode: 200 };
    expect(stale && (await store.webhooks.recordAttempt(stale, result))).toBe(false);
    expect(fresh && (await store.webhooks.recordAttempt(fresh, result))).toBe(true);
    expect(await store.webhooks.attempts(fresh?.id ?? '')).toHaveLength(1);
  });

  it('runs on its own when started, and stops cleanly', async () => {
    await store.webhooks.createSubscription({ url: receiver.url, secret, format: 'plain' }, actorId);
    const webhooks = worker({ pollMilliseconds: 20 });
    webhooks.start();
    webhooks.start();
    await store.outbox.append(exampleDeploymentEvent());
    webhooks.wake();
    const deadline = Date.now() + 10_000;
    while (receiver.requests.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(receiver.requests).toHaveLength(1);
    await webhooks.stop();
    await store.outbox.append(exampleDeploymentEvent());
    webhooks.wake();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.requests).toHaveLength(1);
    expect(await store.outbox.pendingCount()).toBe(1);
    const [delivered] = (await store.webhooks.listDeliveries({ state: 'succeeded' }, { limit: 10 })).items;
    expect(delivered?.attemptCount).toBe(1);
  });

  it('keeps subscriptions with their filters, hides their secret, and audits changes', async () => {
    const subscription = await store.webhooks.createSubscription(
      {
        description: 'CD dashboard',
        url: receiver.url,
        secret,
        format: 'cdevents',
        serviceId: exampleIds.shop,
        eventTypes: ['deployment.succeeded', 'deployment.rolled-back'],
      },
      actorId,
    );
    expect(subscription).toMatchObject({
      description: 'CD dashboard',
      format: 'cdevents',
      serviceId: exampleIds.shop,
      eventTypes: ['deployment.succeeded', 'deployment.rolled-back'],
      active: true,
      createdBy: actorId,
    });
    expect(JSON.stringify(subscription)).not.toContain(secret);
    const changed = await store.webhooks.updateSubscription(
      subscription.id,
      { serviceId: null, active: false, secret: 'new-secret' },
      actorId,
    );
    expect(changed.serviceId).toBeUndefined();
    expect(changed.active).toBe(false);
    expect(await store.webhooks.secretOf(subscription.id)).toBe('new-secret');
    const trail = await store.audit.list({ subjectId: subscription.id }, { limit: 10 });
    expect(trail.items.map((entry) => entry.action)).toEqual([
      'webhook-subscription.created',
      'webhook-subscription.updated',
    ]);
    expect(JSON.stringify(trail.items)).not.toContain('new-secret');
    await store.webhooks.deleteSubscription(subscription.id, actorId);
    await expect(store.webhooks.getSubscription(subscription.id)).rejects.toMatchObject({
      code: 'not_found',
    });

    const used = await store.webhooks.createSubscription(
      { url: receiver.url, secret, format: 'plain' },
      actorId,
    );
    await store.outbox.append(exampleDeploymentEvent());
    await worker().fanOut();
    await expect(store.webhooks.deleteSubscription(used.id, actorId)).rejects.toMatchObject({
      code: 'subscription_in_use',
    });
  });
});
