import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { Timestamp } from '../../domain/index.js';
import { notifyEventTypes, type WebhookWorker, webhookFormatNames } from '../../notify/index.js';
import { type Store, WebhookDeliveryState } from '../../store/index.js';
import { callerOf } from '../auth.js';
import { Body, errorResponses, PageOf, PageQuery, Reference } from '../schemas.js';

const Url = Type.String({
  minLength: 1,
  maxLength: 2000,
  pattern: '^https?://[^\\s]+$',
  description: 'Where deliveries are POSTed (http or https)',
});
const Secret = Type.String({
  minLength: 16,
  maxLength: 200,
  description: 'Signs each payload with HMAC-SHA256; never shown again',
});
const EventTypes = Type.Array(Type.Union(notifyEventTypes.map((type) => Type.Literal(type))), {
  maxItems: notifyEventTypes.length,
  uniqueItems: true,
  description: 'Empty: every type',
});
const Format = Type.Union(
  webhookFormatNames.map((name) => Type.Literal(name)),
  { description: 'Payload format' },
);
const Id = Type.String({ minLength: 1, maxLength: 200 });

/** An outbound webhook subscription as the API returns it (without its secret). */
export const WebhookSubscriptionSchema = Type.Object({
  id: Type.String(),
  description: Type.String(),
  url: Type.String(),
  serviceId: Type.Optional(Type.String()),
  environmentId: Type.Optional(Type.String()),
  eventTypes: Type.Array(Type.String()),
  format: Type.String(),
  active: Type.Boolean(),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

/** One delivery of one event to one subscription. */
export const WebhookDeliverySchema = Type.Object({
  id: Type.String(),
  subscriptionId: Type.String(),
  eventId: Type.String(),
  eventType: Type.String(),
  format: Type.String(),
  contentType: Type.String(),
  payload: Type.String({ description: 'The exact body sent, which the signature covers' }),
  signature: Type.String(),
  state: Type.Union(Object.values(WebhookDeliveryState).map((state) => Type.Literal(state))),
  attemptCount: Type.Integer(),
  nextAttemptAt: Type.Optional(Timestamp),
  redeliveryOf: Type.Optional(Type.String()),
  lastStatusCode: Type.Optional(Type.Integer()),
  lastResponseExcerpt: Type.Optional(Type.String()),
  lastError: Type.Optional(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  finishedAt: Type.Optional(Timestamp),
});

/** One HTTP attempt of a delivery and what the receiver answered. */
export const WebhookDeliveryAttemptSchema = Type.Object({
  id: Type.String(),
  deliveryId: Type.String(),
  attempt: Type.Integer(),
  startedAt: Timestamp,
  finishedAt: Timestamp,
  durationMilliseconds: Type.Integer(),
  outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
  statusCode: Type.Optional(Type.Integer()),
  responseExcerpt: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
});

/**
 * Outbound webhook subscriptions, their deliveries with every attempt, and redelivery. The
 * worker is the one that sends deliveries; redelivering through it wakes it at once.
 */
export function webhookRoutes(store: Store, worker: WebhookWorker): FastifyPluginAsyncTypebox {
  return async (app) => {
    const SubscriptionParams = Type.Object({ subscription: Id });
    const DeliveryParams = Type.Object({ delivery: Id });

    /** Service and environment filters by id or name, as the ids the store keeps. */
    const scopeIds = async (service: string | null | undefined, environment: string | null | undefined) => ({
      ...(service !== undefined && {
        serviceId: service === null ? null : (await store.catalog.getService(service)).id,
      }),
      ...(environment !== undefined && {
        environmentId: environment === null ? null : (await store.environments.get(environment)).id,
      }),
    });

    app.post(
      '/webhook-subscriptions',
      {
        config: { access: 'webhook.write' },
        schema: {
          tags: ['webhooks'],
          summary: 'Subscribe a URL to events',
          body: Body({
            description: Type.Optional(Type.String({ maxLength: 2000 })),
            url: Url,
            secret: Secret,
            service: Type.Optional(Reference),
            environment: Type.Optional(Reference),
            eventTypes: Type.Optional(EventTypes),
            format: Format,
            active: Type.Optional(Type.Boolean()),
          }),
          response: { 201: WebhookSubscriptionSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { service, environment, ...rest } = request.body;
        const { serviceId, environmentId } = await scopeIds(service, environment);
        const subscription = await store.webhooks.createSubscription(
          {
            ...rest,
            ...(typeof serviceId === 'string' && { serviceId }),
            ...(typeof environmentId === 'string' && { environmentId }),
          },
          callerOf(request).principal.id,
        );
        return reply.status(201).send(subscription);
      },
    );

    app.get(
      '/webhook-subscriptions',
      {
        config: { access: 'webhook.read' },
        schema: {
          tags: ['webhooks'],
          summary: 'List webhook subscriptions',
          querystring: Type.Object({ ...PageQuery }),
          response: { 200: PageOf(WebhookSubscriptionSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        return store.webhooks.listSubscriptions({ limit, ...(cursor !== undefined && { cursor }) });
      },
    );

    app.get(
      '/webhook-subscriptions/:subscription',
      {
        config: { access: 'webhook.read' },
        schema: {
          tags: ['webhooks'],
          summary: 'Show a webhook subscription',
          params: SubscriptionParams,
          response: { 200: WebhookSubscriptionSchema, ...errorResponses },
        },
      },
      async (request) => store.webhooks.getSubscription(request.params.subscription),
    );

    app.patch(
      '/webhook-subscriptions/:subscription',
      {
        config: { access: 'webhook.write' },
        schema: {
          tags: ['webhooks'],
          summary: 'Change a webhook subscription; null clears a service or environment filter',
          params: SubscriptionParams,
          body: Type.Object(
            {
              description: Type.Optional(Type.String({ maxLength: 2000 })),
              url: Type.Optional(Url),
              secret: Type.Optional(Secret),
              service: Type.Optional(Type.Union([Reference, Type.Null()])),
              environment: Type.Optional(Type.Union([Reference, Type.Null()])),
              eventTypes: Type.Optional(EventTypes),
              format: Type.Optional(Format),
              active: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: WebhookSubscriptionSchema, ...errorResponses },
        },
      },
      async (request) => {
        const { service, environment, ...rest } = request.body;
        return store.webhooks.updateSubscription(
          request.params.subscription,
          { ...rest, ...(await scopeIds(service, environment)) },
          callerOf(request).principal.id,
        );
      },
    );

    app.delete(
      '/webhook-subscriptions/:subscription',
      {
        config: { access: 'webhook.write' },
        schema: {
          tags: ['webhooks'],
          summary: 'Delete a webhook subscription',
          params: SubscriptionParams,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await store.webhooks.deleteSubscription(request.params.subscription, callerOf(request).principal.id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/webhook-deliveries',
      {
        config: { access: 'webhook.read' },
        schema: {
          tags: ['webhooks'],
          summary: 'List deliveries, newest first',
          querystring: Type.Object({
            ...PageQuery,
            subscription: Type.Optional(Id),
            event: Type.Optional(Id),
            state: Type.Optional(
              Type.Union(Object.values(WebhookDeliveryState).map((state) => Type.Literal(state))),
            ),
          }),
          response: { 200: PageOf(WebhookDeliverySchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, subscription, event, state } = request.query;
        return store.webhooks.listDeliveries(
          {
            ...(subscription !== undefined && { subscriptionId: subscription }),
            ...(event !== undefined && { eventId: event }),
            ...(state !== undefined && { state }),
          },
          { limit, ...(cursor !== undefined && { cursor }) },
        );
      },
    );

    app.get(
      '/webhook-deliveries/:delivery',
      {
        config: { access: 'webhook.read' },
        schema: {
          tags: ['webhooks'],
          summary: 'Show a delivery with every attempt and response',
          params: DeliveryParams,
          response: {
            200: Type.Object({
              delivery: WebhookDeliverySchema,
              attempts: Type.Array(WebhookDeliveryAttemptSchema),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const delivery = await store.webhooks.getDelivery(request.params.delivery);
        return { delivery, attempts: await store.webhooks.attempts(delivery.id) };
      },
    );

    app.post(
      '/webhook-deliveries/:delivery/redeliver',
      {
        config: { access: 'webhook.write' },
        schema: {
          tags: ['webhooks'],
          summary: 'Send a finished delivery again, as a new delivery signed with the current secret',
          params: DeliveryParams,
          body: Body({}),
          response: { 201: WebhookDeliverySchema, ...errorResponses },
        },
        // Nothing needs saying to redeliver: a request without a body is an empty object.
        preValidation: async (request) => {
          request.body ??= {};
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await worker.redeliver(request.params.delivery, callerOf(request).principal.id)),
    );
  };
}
