import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { GateSchema, ManualTaskSchema } from '../../domain/index.js';
import type { DeploymentCommands } from '../../engine/index.js';
import type { Store } from '../../store/index.js';
import { callerOf } from '../auth.js';
import { Body, errorResponses, Reference } from '../schemas.js';

const Reason = Type.String({ minLength: 1, maxLength: 2000 });

/** The work people do inside deployments: manual tasks and gates. */
export function workRoutes(store: Store, commands: DeploymentCommands): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/tasks',
      {
        config: { access: 'deployment.read' },
        schema: {
          tags: ['deployments'],
          summary: 'Manual tasks, newest first',
          querystring: Type.Object({
            state: Type.Optional(
              Type.Union([
                Type.Literal('open'),
                Type.Literal('completed'),
                Type.Literal('failed'),
                Type.Literal('cancelled'),
              ]),
            ),
            role: Type.Optional(Type.String({ maxLength: 50 })),
            deployment: Type.Optional(Type.String({ format: 'uuid' })),
          }),
          response: { 200: Type.Object({ items: Type.Array(ManualTaskSchema) }), ...errorResponses },
        },
      },
      async (request) => {
        const { state, role, deployment } = request.query;
        return {
          items: await store.tasks.listTasks({
            ...(state !== undefined && { state }),
            ...(role !== undefined && { role }),
            ...(deployment !== undefined && { deploymentId: deployment }),
          }),
        };
      },
    );

    app.post(
      '/tasks/:task/complete',
      {
        config: { access: 'work.decide' },
        schema: {
          tags: ['deployments'],
          summary: 'Complete a manual task with an evidence note',
          params: Type.Object({ task: Reference }),
          body: Body({
            evidence: Type.Optional(Type.String({ maxLength: 10_000 })),
            checklist: Type.Optional(
              Type.Array(Type.String({ maxLength: 1000 }), {
                maxItems: 200,
                description: 'The items ticked off',
              }),
            ),
          }),
          response: { 200: ManualTaskSchema, ...errorResponses },
        },
      },
      async (request) => {
        await commands.completeTask(request.params.task, request.body, callerOf(request).principal);
        return store.tasks.getTask(request.params.task);
      },
    );

    app.post(
      '/tasks/:task/fail',
      {
        config: { access: 'work.decide' },
        schema: {
          tags: ['deployments'],
          summary: 'Fail a manual task with a reason',
          params: Type.Object({ task: Reference }),
          body: Body({ reason: Reason }),
          response: { 200: ManualTaskSchema, ...errorResponses },
        },
      },
      async (request) => {
        await commands.failTask(request.params.task, request.body.reason, callerOf(request).principal);
        return store.tasks.getTask(request.params.task);
      },
    );

    app.get(
      '/gates',
      {
        config: { access: 'deployment.read' },
        schema: {
          tags: ['deployments'],
          summary: 'Gates deployments wait at, newest first',
          querystring: Type.Object({
            state: Type.Optional(
              Type.Union([
                Type.Literal('open'),
                Type.Literal('passed'),
                Type.Literal('rejected'),
                Type.Literal('cancelled'),
              ]),
            ),
            deployment: Type.Optional(Type.String({ format: 'uuid' })),
          }),
          response: { 200: Type.Object({ items: Type.Array(GateSchema) }), ...errorResponses },
        },
      },
      async (request) => {
        const { state, deployment } = request.query;
        return {
          items: await store.tasks.listGates({
            ...(state !== undefined && { state }),
            ...(deployment !== undefined && { deploymentId: deployment }),
          }),
        };
      },
    );

    for (const decision of ['approve', 'reject'] as const) {
      app.post(
        `/gates/:gate/${decision}`,
        {
          config: { access: 'work.decide' },
          schema: {
            tags: ['deployments'],
            summary: decision === 'approve' ? 'Approve a gate' : 'Reject a gate',
            params: Type.Object({ gate: Reference }),
            body:
              decision === 'approve' ? Body({ comment: Type.Optional(Reason) }) : Body({ comment: Reason }),
            response: { 200: GateSchema, ...errorResponses },
          },
        },
        async (request) => {
          await commands.decideGate(
            request.params.gate,
            decision === 'approve',
            request.body.comment,
            callerOf(request).principal,
          );
          return store.tasks.getGate(request.params.gate);
        },
      );
    }
  };
}
