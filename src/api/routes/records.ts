import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { MatrixCellSchema, NotificationSchema } from '../../domain/index.js';
import type { Store } from '../../store/index.js';
import { callerOf } from '../auth.js';
import { Body, errorResponses, Reference } from '../schemas.js';

/** What is where, record integrity, and what people are told. */
export function recordRoutes(store: Store): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/matrix',
      {
        config: { access: 'deployment.read' },
        schema: {
          tags: ['deployments'],
          summary:
            'What is where: per component and environment, the version last deployed and any deployment in flight',
          querystring: Type.Object({
            service: Type.Optional(Reference),
            environment: Type.Optional(Reference),
            component: Type.Optional(Reference),
          }),
          response: { 200: Type.Object({ items: Type.Array(MatrixCellSchema) }), ...errorResponses },
        },
      },
      async (request) => {
        const { service, environment, component } = request.query;
        const serviceId = service === undefined ? undefined : (await store.catalog.getService(service)).id;
        const environmentId =
          environment === undefined ? undefined : (await store.environments.get(environment)).id;
        const componentId =
          component === undefined ? undefined : (await store.catalog.getComponent(component)).id;
        return {
          items: await store.matrix.cells({
            ...(serviceId !== undefined && { serviceId }),
            ...(environmentId !== undefined && { environmentId }),
            ...(componentId !== undefined && { componentId }),
          }),
        };
      },
    );

    app.get(
      '/records/verify',
      {
        config: { access: 'record.verify' },
        schema: {
          tags: ['deployments'],
          summary: 'Walk the record hash chains and report the first broken link',
          querystring: Type.Object({ deployment: Type.Optional(Type.String({ format: 'uuid' })) }),
          response: {
            200: Type.Object({
              intact: Type.Boolean(),
              deploymentsChecked: Type.Integer(),
              eventsChecked: Type.Integer(),
              broken: Type.Optional(
                Type.Object({
                  deploymentId: Type.String(),
                  eventId: Type.String(),
                  sequence: Type.Integer(),
                  reason: Type.String(),
                  message: Type.String(),
                }),
              ),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const result = await store.records.verify(request.query.deployment);
        return { intact: result.broken === undefined, ...result };
      },
    );

    app.get(
      '/notifications',
      {
        config: { access: 'self.read' },
        schema: {
          tags: ['deployments'],
          summary: 'Your notifications, newest first',
          response: { 200: Type.Object({ items: Type.Array(NotificationSchema) }), ...errorResponses },
        },
      },
      async (request) => ({ items: await store.notifications.list(callerOf(request).principal.id) }),
    );

    app.post(
      '/subscriptions',
      {
        config: { access: 'subscription.manage' },
        schema: {
          tags: ['deployments'],
          summary: 'Be told when deployments of a service and/or into an environment end',
          body: Body({ service: Type.Optional(Reference), environment: Type.Optional(Reference) }),
          response: { 201: Type.Object({ id: Type.String() }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const serviceId =
          request.body.service === undefined
            ? undefined
            : (await store.catalog.getService(request.body.service)).id;
        const environmentId =
          request.body.environment === undefined
            ? undefined
            : (await store.environments.get(request.body.environment)).id;
        const id = await store.notifications.subscribe(callerOf(request).principal.id, {
          ...(serviceId !== undefined && { serviceId }),
          ...(environmentId !== undefined && { environmentId }),
        });
        return reply.status(201).send({ id });
      },
    );
  };
}
