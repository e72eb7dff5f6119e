import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import {
  ApiTokenSchema,
  AuditEventSchema,
  Name,
  PrincipalKindSchema,
  PrincipalSchema,
  RoleSchema,
} from '../../domain/index.js';
import type { AccessControl } from '../../governance/index.js';
import type { Store } from '../../store/index.js';
import { callerOf } from '../auth.js';
import { Body, errorResponses, PageOf, PageQuery, Reference } from '../schemas.js';

const IssuedTokenSchema = Type.Object({
  token: Type.String({ description: 'The secret; shown once and never again' }),
  metadata: ApiTokenSchema,
});

/** Principals, API tokens, the caller's identity and the audit trail. */
export function accessRoutes(store: Store, access: AccessControl): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/whoami',
      {
        config: { access: 'self.read' },
        schema: {
          tags: ['access'],
          summary: 'The principal behind the presented token',
          response: { 200: PrincipalSchema, ...errorResponses },
        },
      },
      async (request) => callerOf(request).principal,
    );

    app.post(
      '/principals',
      {
        config: { access: 'principal.manage' },
        schema: {
          tags: ['access'],
          summary: 'Create a person or system with its first token',
          body: Body({
            name: Name,
            kind: PrincipalKindSchema,
            email: Type.Optional(Type.String({ format: 'email', maxLength: 320 })),
            roles: Type.Array(RoleSchema, { minItems: 1, maxItems: 7, uniqueItems: true }),
          }),
          response: {
            201: Type.Object({
              principal: PrincipalSchema,
              token: Type.String(),
              tokenMetadata: ApiTokenSchema,
            }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const { principal, issued } = await access.createPrincipal(
          request.body,
          callerOf(request).principal.id,
        );
        return reply.status(201).send({ principal, token: issued.token, tokenMetadata: issued.metadata });
      },
    );

    app.get(
      '/principals',
      {
        config: { access: 'principal.manage' },
        schema: {
          tags: ['access'],
          summary: 'List principals',
          response: { 200: Type.Object({ items: Type.Array(PrincipalSchema) }), ...errorResponses },
        },
      },
      async () => ({ items: await store.principals.list() }),
    );

    app.post(
      '/tokens',
      {
        config: { access: 'principal.manage' },
        schema: {
          tags: ['access'],
          summary: 'Issue a new API token for a principal',
          body: Body({
            principal: Reference,
            name: Name,
            expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
          }),
          response: { 201: IssuedTokenSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { principal, name, expiresInDays } = request.body;
        const issued = await access.issueToken(
          principal,
          { name, ...(expiresInDays !== undefined && { expiresInDays }) },
          callerOf(request).principal.id,
        );
        return reply.status(201).send(issued);
      },
    );

    app.get(
      '/tokens',
      {
        config: { access: 'principal.manage' },
        schema: {
          tags: ['access'],
          summary: 'List API tokens (metadata only)',
          querystring: Type.Object({ principal: Type.Optional(Reference) }),
          response: { 200: Type.Object({ items: Type.Array(ApiTokenSchema) }), ...errorResponses },
        },
      },
      async (request) => {
        const principalId =
          request.query.principal === undefined
            ? undefined
            : (await store.principals.get(request.query.principal)).id;
        return { items: await store.principals.listTokens(principalId) };
      },
    );

    app.delete(
      '/tokens/:token',
      {
        config: { access: 'principal.manage' },
        schema: {
          tags: ['access'],
          summary: 'Revoke an API token',
          params: Type.Object({ token: Reference }),
          response: { 200: ApiTokenSchema, ...errorResponses },
        },
      },
      async (request) => access.revokeToken(request.params.token, callerOf(request).principal.id),
    );

    app.get(
      '/audit',
      {
        config: { access: 'audit.read' },
        schema: {
          tags: ['access'],
          summary: 'The audit trail: who changed what, oldest first',
          querystring: Type.Object({
            ...PageQuery,
            actor: Type.Optional(Reference),
            subjectType: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
            subjectId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            action: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          }),
          response: { 200: PageOf(AuditEventSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, actor, subjectType, subjectId, action } = request.query;
        const actorId = actor === undefined ? undefined : (await store.principals.get(actor)).id;
        return store.audit.list(
          {
            ...(actorId !== undefined && { actorId }),
            ...(subjectType !== undefined && { subjectType }),
            ...(subjectId !== undefined && { subjectId }),
            ...(action !== undefined && { action }),
          },
          { limit, ...(cursor !== undefined && { cursor }) },
        );
      },
    );
  };
}
