import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import {
  DeploymentEventSchema,
  DeploymentSchema,
  DeploymentStateSchema,
  GateSchema,
  ManualTaskSchema,
  StepRunSchema,
} from '../../domain/index.js';
import type { DeploymentCommands } from '../../engine/index.js';
import type { Store } from '../../store/index.js';
import { callerOf } from '../auth.js';
import { Body, errorResponses, PageOf, PageQuery, Reference } from '../schemas.js';
import { streamDeployment } from './deployment-stream.js';

const Reason = Type.String({ minLength: 1, maxLength: 2000 });
const VersionPair = Type.Object(
  { component: Reference, version: Reference },
  { additionalProperties: false },
);
const DeploymentParams = Type.Object({ deployment: Type.String({ format: 'uuid' }) });

/** Deployments: requests, reads, the record and live stream, and the commands people give. */
export function deploymentRoutes(store: Store, commands: DeploymentCommands): FastifyPluginAsyncTypebox {
  return async (app) => {
    // A live stream lasts until its deployment ends; without this, closing the server would
    // wait for every watched deployment to finish.
    const openStreams = new Set<() => void>();
    app.addHook('preClose', async () => {
      for (const close of [...openStreams]) close();
    });

    app.post(
      '/deployments',
      {
        config: { access: 'deployment.request' },
        schema: {
          tags: ['deployments'],
          summary: 'Request a deployment of versions or a release into an environment',
          body: Body({
            component: Type.Optional(Reference),
            version: Type.Optional(Reference),
            versions: Type.Optional(Type.Array(VersionPair, { minItems: 1, maxItems: 100 })),
            release: Type.Optional(Reference),
            environment: Reference,
            model: Type.Optional(Reference),
            removal: Type.Optional(
              Type.Boolean({
                description: 'Remove the versions from the environment instead of installing them',
              }),
            ),
            reason: Type.Optional(Reason),
          }),
          response: { 201: DeploymentSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { component, version, versions, ...rest } = request.body;
        const pairs =
          versions ??
          (component !== undefined && version !== undefined ? [{ component, version }] : undefined);
        const deployment = await commands.request(
          { ...rest, ...(pairs !== undefined && { versions: pairs }) },
          callerOf(request).principal,
        );
        return reply.status(201).send(deployment);
      },
    );

    app.get(
      '/deployments',
      {
        config: { access: 'deployment.read' },
        schema: {
          tags: ['deployments'],
          summary: 'List deployments, newest first',
          querystring: Type.Object({
            ...PageQuery,
            state: Type.Optional(Type.Array(DeploymentStateSchema, { maxItems: 14 })),
            environment: Type.Optional(Reference),
            component: Type.Optional(Reference),
            model: Type.Optional(Reference),
            requestedBy: Type.Optional(Reference),
            flow: Type.Optional(Type.String({ format: 'uuid' })),
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
          }),
          response: { 200: PageOf(DeploymentSchema), ...errorResponses },
        },
      },
      async (request) => {
        const query = request.query;
        const environmentId =
          query.environment === undefined ? undefined : (await store.environments.get(query.environment)).id;
        const componentId =
          query.component === undefined ? undefined : (await store.catalog.getComponent(query.component)).id;
        const modelId =
          query.model === undefined ? undefined : (await store.models.getVersion(query.model)).modelId;
        const requestedBy =
          query.requestedBy === undefined ? undefined : (await store.principals.get(query.requestedBy)).id;
        return store.deployments.list(
          {
            ...(query.state !== undefined && { states: query.state }),
            ...(environmentId !== undefined && { environmentId }),
            ...(componentId !== undefined && { componentId }),
            ...(modelId !== undefined && { modelId }),
            ...(requestedBy !== undefined && { requestedBy }),
            ...(query.flow !== undefined && { flowId: query.flow }),
            ...(query.from !== undefined && { requestedAfter: new Date(query.from).toISOString() }),
            ...(query.to !== undefined && { requestedBefore: new Date(query.to).toISOString() }),
          },
          { limit: query.limit, ...(query.cursor !== undefined && { cursor: query.cursor }) },
        );
      },
    );

    app.get(
      '/deployments/:deployment',
      {
        config: { access: 'deployment.read' },
        schema: {
          tags: ['deployments'],
          summary: 'Show a deployment with its step runs, gates and manual tasks',
          params: DeploymentParams,
          response: {
            200: Type.Object({
              deployment: DeploymentSchema,
              stepRuns: Type.Array(StepRunSchema),
              gates: Type.Array(GateSchema),
              tasks: Type.Array(ManualTaskSchema),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const deployment = await store.deployments.get(request.params.deployment);
        const [stepRuns, gates, tasks] = await Promise.all([
          store.tasks.stepRuns(deployment.id),
          store.tasks.listGates({ deploymentId: deployment.id }),
          store.tasks.listTasks({ deploymentId: deployment.id }),
        ]);
        return { deployment, stepRuns, gates, tasks };
      },
    );

    app.get(
      '/deployments/:deployment/events',
      {
        config: { access: 'deployment.read' },
        schema: {
          tags: ['deployments'],
          summary: "The deployment's record: every event in order, each chained to the one before",
          params: DeploymentParams,
          querystring: Type.Object({
            after: Type.Integer({
              minimum: 0,
              maximum: 2_000_000_000,
              default: 0,
              description: 'Only events after this sequence number',
            }),
            limit: Type.Integer({ minimum: 1, maximum: 5000, default: 1000 }),
          }),
          response: { 200: Type.Object({ items: Type.Array(DeploymentEventSchema) }), ...errorResponses },
        },
      },
      async (request) => ({
        items: await store.records.events(
          request.params.deployment,
          request.query.after,
          request.query.limit,
        ),
      }),
    );

    app.get(
      '/deployments/:deployment/stream',
      {
        config: { access: 'deployment.read' },
        schema: {
          tags: ['deployments'],
          summary: 'Live record events as Server-Sent Events; ends after the deployment finishes',
          params: DeploymentParams,
          querystring: Type.Object({
            after: Type.Integer({ minimum: 0, maximum: 2_000_000_000, default: 0 }),
          }),
        },
      },
      async (request, reply) =>
        streamDeployment(store, request, reply, request.params.deployment, request.query.after, openStreams),
    );

    for (const action of ['cancel', 'rollback'] as const) {
      app.post(
        `/deployments/:deployment/${action}`,
        {
          config: { access: action === 'cancel' ? 'deployment.cancel' : 'deployment.rollback' },
          schema: {
            tags: ['deployments'],
            summary:
              action === 'cancel'
                ? 'Cancel a deployment that has not started executing'
                : 'Roll back a failed deployment',
            params: DeploymentParams,
            body: Body({ reason: Reason }),
            response: { 200: DeploymentSchema, ...errorResponses },
          },
        },
        async (request) => {
          const caller = callerOf(request).principal;
          return action === 'cancel'
            ? commands.cancel(request.params.deployment, request.body.reason, caller)
            : commands.rollback(request.params.deployment, request.body.reason, caller);
        },
      );
    }

    app.post(
      '/promotions',
      {
        config: { access: 'deployment.promote' },
        schema: {
          tags: ['deployments'],
          summary: 'Promote a version that succeeded in the previous stage into an environment',
          body: Body({
            component: Reference,
            version: Reference,
            environment: Reference,
            reason: Type.Optional(Reason),
          }),
          response: { 201: DeploymentSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await commands.promote(request.body, callerOf(request).principal)),
    );
  };
}
