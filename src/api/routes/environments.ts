import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import {
  EnvironmentSchema,
  FactMap,
  LabelMap,
  Name,
  TargetKindSchema,
  TargetSchema,
  TierSchema,
} from '../../domain/index.js';
import type { Store } from '../../store/index.js';
import { callerOf } from '../auth.js';
import { Body, errorResponses, PageOf, PageQuery, Reference } from '../schemas.js';

const Order = Type.Integer({
  minimum: 0,
  maximum: 1_000_000,
  description: 'Position in the flow; lower comes first',
});
const LabelSelector = Type.String({
  pattern: '^[^=]+=.*$',
  maxLength: 300,
  description: 'key=value; repeat to require several',
});

function parseLabels(selectors: readonly string[] | undefined): Record<string, string> | undefined {
  if (selectors === undefined) return undefined;
  return Object.fromEntries(
    selectors.map((selector) => [
      selector.slice(0, selector.indexOf('=')),
      selector.slice(selector.indexOf('=') + 1),
    ]),
  );
}

/** Environments and the targets inside them. */
export function environmentRoutes(store: Store): FastifyPluginAsyncTypebox {
  return async (app) => {
    const EnvironmentParams = Type.Object({ environment: Reference });
    const TargetParams = Type.Object({ environment: Reference, target: Reference });

    app.post(
      '/environments',
      {
        config: { access: 'environment.write' },
        schema: {
          tags: ['environments'],
          summary: 'Create an environment',
          body: Body({
            name: Name,
            purpose: Type.Optional(Type.String({ maxLength: 2000 })),
            tier: TierSchema,
            order: Type.Optional(Order),
            attributes: Type.Optional(LabelMap),
            protected: Type.Optional(Type.Boolean()),
          }),
          response: { 201: EnvironmentSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await store.environments.create(request.body, callerOf(request).principal.id)),
    );

    app.get(
      '/environments',
      {
        config: { access: 'environment.read' },
        schema: {
          tags: ['environments'],
          summary: 'List environments in flow order',
          querystring: Type.Object({
            ...PageQuery,
            tier: Type.Optional(TierSchema),
            protected: Type.Optional(Type.Boolean()),
          }),
          response: { 200: PageOf(EnvironmentSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, tier, protected: isProtected } = request.query;
        return store.environments.list(
          {
            ...(tier !== undefined && { tier }),
            ...(isProtected !== undefined && { protected: isProtected }),
          },
          { limit, ...(cursor !== undefined && { cursor }) },
        );
      },
    );

    app.get(
      '/environments/:environment',
      {
        config: { access: 'environment.read' },
        schema: {
          tags: ['environments'],
          summary: 'Show an environment',
          params: EnvironmentParams,
          response: { 200: EnvironmentSchema, ...errorResponses },
        },
      },
      async (request) => store.environments.get(request.params.environment),
    );

    app.patch(
      '/environments/:environment',
      {
        config: { access: 'environment.write' },
        schema: {
          tags: ['environments'],
          summary: 'Change an environment',
          params: EnvironmentParams,
          body: Type.Object(
            {
              purpose: Type.Optional(Type.String({ maxLength: 2000 })),
              tier: Type.Optional(TierSchema),
              order: Type.Optional(Order),
              attributes: Type.Optional(LabelMap),
              protected: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: EnvironmentSchema, ...errorResponses },
        },
      },
      async (request) =>
        store.environments.update(request.params.environment, request.body, callerOf(request).principal.id),
    );

    app.delete(
      '/environments/:environment',
      {
        config: { access: 'environment.write' },
        schema: {
          tags: ['environments'],
          summary: 'Delete an environment that has no targets or records',
          params: EnvironmentParams,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await store.environments.delete(request.params.environment, callerOf(request).principal.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/environments/:environment/targets',
      {
        config: { access: 'target.write' },
        schema: {
          tags: ['environments'],
          summary: 'Declare a target in an environment',
          params: EnvironmentParams,
          body: Body({
            name: Name,
            kind: TargetKindSchema,
            labels: Type.Optional(LabelMap),
            facts: Type.Optional(FactMap),
          }),
          response: { 201: TargetSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(
            await store.environments.createTarget(
              request.params.environment,
              request.body,
              callerOf(request).principal.id,
            ),
          ),
    );

    app.get(
      '/environments/:environment/targets',
      {
        config: { access: 'environment.read' },
        schema: {
          tags: ['environments'],
          summary: 'List the targets of an environment',
          params: EnvironmentParams,
          querystring: Type.Object({
            ...PageQuery,
            kind: Type.Optional(TargetKindSchema),
            label: Type.Optional(Type.Array(LabelSelector, { maxItems: 20 })),
          }),
          response: { 200: PageOf(TargetSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, kind, label } = request.query;
        const labels = parseLabels(label);
        return store.environments.listTargets(
          request.params.environment,
          { ...(kind !== undefined && { kind }), ...(labels !== undefined && { labels }) },
          { limit, ...(cursor !== undefined && { cursor }) },
        );
      },
    );

    app.get(
      '/environments/:environment/targets/:target',
      {
        config: { access: 'environment.read' },
        schema: {
          tags: ['environments'],
          summary: 'Show a target',
          params: TargetParams,
          response: { 200: TargetSchema, ...errorResponses },
        },
      },
      async (request) => store.environments.getTarget(request.params.environment, request.params.target),
    );

    app.patch(
      '/environments/:environment/targets/:target',
      {
        config: { access: 'target.write' },
        schema: {
          tags: ['environments'],
          summary: "Change a target's kind, labels or declared facts",
          params: TargetParams,
          body: Type.Object(
            {
              kind: Type.Optional(TargetKindSchema),
              labels: Type.Optional(LabelMap),
              facts: Type.Optional(FactMap),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: TargetSchema, ...errorResponses },
        },
      },
      async (request) =>
        store.environments.updateTarget(
          request.params.environment,
          request.params.target,
          request.body,
          callerOf(request).principal.id,
        ),
    );

    app.delete(
      '/environments/:environment/targets/:target',
      {
        config: { access: 'target.write' },
        schema: {
          tags: ['environments'],
          summary: 'Remove a target',
          params: TargetParams,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await store.environments.deleteTarget(
          request.params.environment,
          request.params.target,
          callerOf(request).principal.id,
        );
        return reply.status(204).send(null);
      },
    );
  };
}
