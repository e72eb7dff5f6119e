import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { ChangePolicySchema, Name, TierSchema } from '../../domain/index.js';
import type { PolicyCommands } from '../../governance/index.js';
import { callerOf } from '../auth.js';
import { errorResponses, PageOf, PageQuery, Reference } from '../schemas.js';
import { PolicyResponse } from './governance-schemas.js';

/** Change policies, and the one that governs a model's deployments into an environment. */
export function policyRoutes(policies: PolicyCommands): FastifyPluginAsyncTypebox {
  return async (app) => {
    const Params = Type.Object({
      policy: Type.String({ minLength: 1, maxLength: 100, description: 'Policy id' }),
    });

    app.post(
      '/policies',
      {
        config: { access: 'policy.write' },
        schema: {
          tags: ['governance'],
          summary: 'Create a change policy',
          body: ChangePolicySchema,
          response: { 201: PolicyResponse, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await policies.create(request.body, callerOf(request).principal.id)),
    );

    app.get(
      '/policies',
      {
        config: { access: 'change.read' },
        schema: {
          tags: ['governance'],
          summary: 'List change policies',
          querystring: Type.Object(PageQuery),
          response: { 200: PageOf(PolicyResponse), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        return policies.list({ limit, ...(cursor !== undefined && { cursor }) });
      },
    );

    app.get(
      '/policies/effective',
      {
        config: { access: 'change.read' },
        schema: {
          tags: ['governance'],
          summary: 'The policy that governs deployments by a model into an environment',
          querystring: Type.Object({ model: Name, environment: Reference }),
          response: {
            200: Type.Object({
              model: Type.String(),
              environment: Type.Object({ name: Type.String(), tier: TierSchema, protected: Type.Boolean() }),
              policy: Type.Optional(PolicyResponse),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => policies.policyFor(request.query.model, request.query.environment),
    );

    app.get(
      '/policies/:policy',
      {
        config: { access: 'change.read' },
        schema: {
          tags: ['governance'],
          summary: 'Show a change policy',
          params: Params,
          response: { 200: PolicyResponse, ...errorResponses },
        },
      },
      async (request) => policies.get(request.params.policy),
    );

    app.put(
      '/policies/:policy',
      {
        config: { access: 'policy.write' },
        schema: {
          tags: ['governance'],
          summary: 'Replace a change policy',
          params: Params,
          body: ChangePolicySchema,
          response: { 200: PolicyResponse, ...errorResponses },
        },
      },
      async (request) => policies.update(request.params.policy, request.body, callerOf(request).principal.id),
    );

    app.delete(
      '/policies/:policy',
      {
        config: { access: 'policy.write' },
        schema: {
          tags: ['governance'],
          summary: 'Delete a change policy',
          params: Params,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await policies.delete(request.params.policy, callerOf(request).principal.id);
        return reply.status(204).send(null);
      },
    );
  };
}
