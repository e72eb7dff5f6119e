import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { ConflictError, Name, Timestamp } from '../../domain/index.js';
import type { TriggerCommands } from '../../governance/index.js';
import {
  InboundOutcome,
  type InboundRequest,
  InboundWebhooks,
  triggerSource,
  triggerSourceNames,
} from '../../notify/index.js';
import type { Store } from '../../store/index.js';
import { callerOf } from '../auth.js';
import { Body, errorResponses, PageOf, PageQuery, Reference } from '../schemas.js';

const SourceSchema = Type.Union(
  triggerSourceNames.map((name) => Type.Literal(name)),
  { description: 'The system that sends the webhooks' },
);
const Repository = Type.String({
  minLength: 1,
  maxLength: 300,
  pattern: '^[^\\s/]+(/[^\\s/]+)+$',
  description: 'Full name as the source writes it: owner/name, or group/subgroup/project',
});
const RefPattern = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'A branch glob (main, release/*) or a full-ref glob (refs/tags/v*)',
});
const VersionTemplate = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'The version string to register, e.g. {tagVersion} or main-{shortSha}',
});
const Secret = Type.String({
  minLength: 16,
  maxLength: 200,
  description: 'The webhook secret (GitHub) or secret token (GitLab); never shown again',
});
const ModelName = Type.String({ minLength: 1, maxLength: 100, description: 'Deployment model name' });

/** A trigger rule as the API returns it (without its secret). */
export const TriggerRuleSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  source: Type.String(),
  repository: Type.String(),
  refPattern: Type.String(),
  componentId: Type.String(),
  component: Type.String(),
  model: Type.String(),
  environmentId: Type.String(),
  environment: Type.String(),
  versionTemplate: Type.String(),
  active: Type.Boolean(),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

/** An inbound webhook request as the API returns it. */
export const InboundDeliverySchema = Type.Object({
  id: Type.String(),
  source: Type.String(),
  deliveryId: Type.String(),
  event: Type.Optional(Type.String()),
  receivedAt: Timestamp,
  signatureValid: Type.Boolean(),
  outcome: Type.String(),
  detail: Type.Optional(Type.String()),
  bodyDigest: Type.String(),
  remoteAddress: Type.Optional(Type.String()),
  updatedAt: Timestamp,
});

/** Trigger rules, and the inbound webhook requests received for them. */
export function triggerRoutes(store: Store, triggers: TriggerCommands): FastifyPluginAsyncTypebox {
  return async (app) => {
    const RuleParams = Type.Object({ rule: Reference });

    app.post(
      '/trigger-rules',
      {
        config: { access: 'trigger.write' },
        schema: {
          tags: ['triggers'],
          summary: 'Create a trigger rule',
          body: Body({
            name: Name,
            source: SourceSchema,
            repository: Repository,
            refPattern: RefPattern,
            component: Reference,
            model: ModelName,
            environment: Reference,
            secret: Secret,
            versionTemplate: VersionTemplate,
            active: Type.Optional(Type.Boolean()),
          }),
          response: { 201: TriggerRuleSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await triggers.createRule(request.body, callerOf(request).principal)),
    );

    app.get(
      '/trigger-rules',
      {
        config: { access: 'trigger.read' },
        schema: {
          tags: ['triggers'],
          summary: 'List trigger rules',
          querystring: Type.Object({
            ...PageQuery,
            source: Type.Optional(SourceSchema),
            repository: Type.Optional(Repository),
            active: Type.Optional(Type.Boolean()),
          }),
          response: { 200: PageOf(TriggerRuleSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, source, repository, active } = request.query;
        return triggers.listRules(
          {
            ...(source !== undefined && { source }),
            ...(repository !== undefined && { repository }),
            ...(active !== undefined && { active }),
          },
          { limit, ...(cursor !== undefined && { cursor }) },
        );
      },
    );

    app.get(
      '/trigger-rules/:rule',
      {
        config: { access: 'trigger.read' },
        schema: {
          tags: ['triggers'],
          summary: 'Show a trigger rule',
          params: RuleParams,
          response: { 200: TriggerRuleSchema, ...errorResponses },
        },
      },
      async (request) => triggers.getRule(request.params.rule),
    );

    app.patch(
      '/trigger-rules/:rule',
      {
        config: { access: 'trigger.write' },
        schema: {
          tags: ['triggers'],
          summary: 'Change a trigger rule',
          params: RuleParams,
          body: Type.Object(
            {
              repository: Type.Optional(Repository),
              refPattern: Type.Optional(RefPattern),
              component: Type.Optional(Reference),
              model: Type.Optional(ModelName),
              environment: Type.Optional(Reference),
              secret: Type.Optional(Secret),
              versionTemplate: Type.Optional(VersionTemplate),
              active: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: TriggerRuleSchema, ...errorResponses },
        },
      },
      async (request) => triggers.updateRule(request.params.rule, request.body, callerOf(request).principal),
    );

    app.delete(
      '/trigger-rules/:rule',
      {
        config: { access: 'trigger.write' },
        schema: {
          tags: ['triggers'],
          summary: 'Delete a trigger rule',
          params: RuleParams,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await triggers.deleteRule(request.params.rule, callerOf(request).principal);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/inbound-deliveries',
      {
        config: { access: 'trigger.read' },
        schema: {
          tags: ['triggers'],
          summary: 'Inbound webhook requests received, bad signatures included, newest first',
          querystring: Type.Object({
            ...PageQuery,
            source: Type.Optional(SourceSchema),
            outcome: Type.Optional(
              Type.Union(Object.values(InboundOutcome).map((outcome) => Type.Literal(outcome))),
            ),
          }),
          response: { 200: PageOf(InboundDeliverySchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, source, outcome } = request.query;
        return store.inbound.list(
          { ...(source !== undefined && { source }), ...(outcome !== undefined && { outcome }) },
          { limit, ...(cursor !== undefined && { cursor }) },
        );
      },
    );
  };
}

/** The repository a source's payload names, read before verification to find the rules' secrets. */
function repositoryOf(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const record = payload as Record<string, unknown>;
  for (const [container, key] of [
    ['repository', 'full_name'],
    ['project', 'path_with_namespace'],
  ] as const) {
    const holder = record[container];
    if (typeof holder === 'object' && holder !== null) {
      const value = (holder as Record<string, unknown>)[key];
      if (typeof value === 'string' && value.length > 0) return value;
    }
  }
  return undefined;
}

const HookResult = Type.Object({
  inboundId: Type.String({ description: 'The recorded inbound delivery' }),
  outcome: Type.String({ description: 'processed, ignored or replay' }),
  detail: Type.Optional(Type.String()),
  results: Type.Optional(
    Type.Array(
      Type.Object({
        rule: Type.String(),
        component: Type.String(),
        environment: Type.String(),
        version: Type.Optional(Type.String()),
        deploymentId: Type.Optional(Type.String()),
        error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
      }),
    ),
  ),
});

/**
 * The inbound webhooks of version control systems: `POST /hooks/github` and `/hooks/gitlab`.
 * They are public routes authenticated by the request's signature or token, checked against
 * the secrets of the active trigger rules for the payload's repository. Signatures cover the
 * raw bytes, so this plugin keeps JSON and form bodies as they arrived.
 */
export function hookRoutes(store: Store, triggers: TriggerCommands): FastifyPluginAsyncTypebox {
  return async (app) => {
    const inbound = new InboundWebhooks(store);
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser(
      ['application/json', 'application/x-www-form-urlencoded'],
      { parseAs: 'buffer' },
      (_request, body, done) => done(null, body),
    );

    for (const sourceName of triggerSourceNames) {
      const source = triggerSource(sourceName);
      app.post(
        `/hooks/${sourceName}`,
        {
          config: { access: 'public' },
          schema: {
            tags: ['triggers'],
            summary: `Receive a ${sourceName} push or tag webhook`,
            security: [],
            // Kept as raw bytes (signatures cover them) and read by the source, not by a schema.
            body: Type.Unknown({ description: `The payload exactly as ${sourceName} sends it` }),
            response: { 200: HookResult, 202: HookResult, ...errorResponses },
          },
        },
        async (request, reply) => {
          const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          const inboundRequest: InboundRequest = {
            headers: request.headers,
            body,
            remoteAddress: request.ip,
          };
          let repository: string | undefined;
          try {
            repository = repositoryOf(source.parseBody(inboundRequest));
          } catch {
            // Unreadable before verification: verification decides how it is recorded.
          }
          const rules = repository === undefined ? [] : await triggers.rulesFor(sourceName, repository);
          const verified = rules.filter((rule) => source.verify(inboundRequest, rule.secret).valid);
          // With no verifying rule, receive() records the rejection and answers 401.
          const secret = verified[0]?.secret ?? rules[0]?.secret ?? '';
          const received = await inbound.receive(sourceName, inboundRequest, secret);
          if (received.outcome === InboundOutcome.replay) {
            return reply.status(200).send({
              inboundId: received.delivery.id,
              outcome: InboundOutcome.replay,
              detail: `Delivery ${received.delivery.deliveryId} was received before; nothing was done again.`,
            });
          }
          if (received.outcome === InboundOutcome.ignored) {
            return reply.status(200).send({
              inboundId: received.delivery.id,
              outcome: InboundOutcome.ignored,
              ...(received.delivery.detail !== undefined && { detail: received.delivery.detail }),
            });
          }
          const handled = await triggers.handlePush(
            received.push,
            received.delivery.id,
            verified.map((rule) => rule.id),
          );
          if (handled.outcome === InboundOutcome.failed) {
            throw new ConflictError(
              `The push was verified but no trigger rule could act on it: ${handled.detail}`,
              { inboundId: received.delivery.id, results: handled.results },
              'trigger_failed',
            );
          }
          return reply.status(handled.outcome === InboundOutcome.processed ? 202 : 200).send({
            inboundId: received.delivery.id,
            outcome: handled.outcome,
            detail: handled.detail,
            results: handled.results,
          });
        },
      );
    }
  };
}
