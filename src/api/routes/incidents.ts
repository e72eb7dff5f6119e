import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { DeploymentStateSchema, Timestamp } from '../../domain/index.js';
import type { IncidentCommands } from '../../governance/index.js';
import { incidentLinkStates, incidentSeverities, type Store } from '../../store/index.js';
import { callerOf } from '../auth.js';
import { Body, errorResponses, PageOf, PageQuery, Reference } from '../schemas.js';

const SeveritySchema = Type.Union(
  incidentSeverities.map((severity) => Type.Literal(severity)),
  { description: 'critical, high, medium or low' },
);
const Time = Type.String({ minLength: 1, maxLength: 40, description: 'ISO-8601 time' });
const Title = Type.String({ minLength: 1, maxLength: 300 });
const Description = Type.String({ maxLength: 10_000 });

/** An incident as the API returns it. */
export const IncidentSchema = Type.Object({
  id: Type.String(),
  serviceId: Type.String(),
  service: Type.String(),
  environmentId: Type.String(),
  environment: Type.String(),
  severity: SeveritySchema,
  title: Type.String(),
  description: Type.String(),
  startedAt: Timestamp,
  resolvedAt: Type.Optional(Timestamp),
  source: Type.String(),
  externalId: Type.Optional(Type.String()),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

/** A deployment linked to an incident as the API returns it. */
export const IncidentLinkSchema = Type.Object({
  incidentId: Type.String(),
  deploymentId: Type.String(),
  state: Type.Union(incidentLinkStates.map((state) => Type.Literal(state))),
  score: Type.Integer({ description: 'How strongly correlation suspects it, 0–100' }),
  reason: Type.String(),
  decidedBy: Type.Optional(Type.String()),
  decidedAt: Type.Optional(Timestamp),
  comment: Type.Optional(Type.String()),
  createdAt: Timestamp,
  deploymentState: DeploymentStateSchema,
  deploymentFinishedAt: Type.Optional(Timestamp),
});

const IncidentWithLinks = Type.Object({ incident: IncidentSchema, links: Type.Array(IncidentLinkSchema) });

/** Incidents and the deployments suspected of causing them. */
export function incidentRoutes(store: Store, incidents: IncidentCommands): FastifyPluginAsyncTypebox {
  return async (app) => {
    const IncidentParams = Type.Object({ incident: Reference });
    const LinkParams = Type.Object({ incident: Reference, deployment: Reference });
    const Decision = Body({ comment: Type.Optional(Type.String({ maxLength: 2000 })) });

    app.post(
      '/incidents',
      {
        config: { access: 'incident.write' },
        schema: {
          tags: ['incidents'],
          summary: 'Register an incident (or update one a tool reported before) and correlate it',
          body: Body({
            service: Reference,
            environment: Reference,
            severity: SeveritySchema,
            title: Title,
            description: Type.Optional(Description),
            startedAt: Time,
            resolvedAt: Type.Optional(Time),
            source: Type.Optional(
              Type.String({ minLength: 1, maxLength: 100, description: 'The reporting tool (default api)' }),
            ),
            externalId: Type.Optional(
              Type.String({ minLength: 1, maxLength: 200, description: "The reporting tool's id" }),
            ),
          }),
          response: { 200: IncidentWithLinks, 201: IncidentWithLinks, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { created, ...result } = await incidents.register(request.body, callerOf(request).principal);
        return reply.status(created ? 201 : 200).send(result);
      },
    );

    app.get(
      '/incidents',
      {
        config: { access: 'incident.read' },
        schema: {
          tags: ['incidents'],
          summary: 'List incidents, newest first',
          querystring: Type.Object({
            ...PageQuery,
            service: Type.Optional(Reference),
            environment: Type.Optional(Reference),
            severity: Type.Optional(SeveritySchema),
            open: Type.Optional(Type.Boolean({ description: 'true: unresolved only; false: resolved only' })),
          }),
          response: { 200: PageOf(IncidentSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, service, environment, severity, open } = request.query;
        return store.incidents.list(
          {
            ...(service !== undefined && { service }),
            ...(environment !== undefined && { environment }),
            ...(severity !== undefined && { severity }),
            ...(open !== undefined && { open }),
          },
          { limit, ...(cursor !== undefined && { cursor }) },
        );
      },
    );

    app.get(
      '/incidents/:incident',
      {
        config: { access: 'incident.read' },
        schema: {
          tags: ['incidents'],
          summary: 'Show an incident',
          params: IncidentParams,
          response: { 200: IncidentSchema, ...errorResponses },
        },
      },
      async (request) => store.incidents.get(request.params.incident),
    );

    app.patch(
      '/incidents/:incident',
      {
        config: { access: 'incident.write' },
        schema: {
          tags: ['incidents'],
          summary: 'Change an incident; a new start time is correlated again',
          params: IncidentParams,
          body: Type.Object(
            {
              severity: Type.Optional(SeveritySchema),
              title: Type.Optional(Title),
              description: Type.Optional(Description),
              startedAt: Type.Optional(Time),
              resolvedAt: Type.Optional(Time),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: IncidentWithLinks, ...errorResponses },
        },
      },
      async (request) => incidents.update(request.params.incident, request.body, callerOf(request).principal),
    );

    app.post(
      '/incidents/:incident/resolve',
      {
        config: { access: 'incident.write' },
        schema: {
          tags: ['incidents'],
          summary: 'Resolve an incident (now, or at resolvedAt)',
          params: IncidentParams,
          body: Body({ resolvedAt: Type.Optional(Time) }),
          response: { 200: IncidentSchema, ...errorResponses },
        },
      },
      async (request) =>
        incidents.resolve(request.params.incident, callerOf(request).principal, request.body.resolvedAt),
    );

    app.delete(
      '/incidents/:incident',
      {
        config: { access: 'incident.write' },
        schema: {
          tags: ['incidents'],
          summary: 'Delete an incident registered by mistake',
          params: IncidentParams,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await incidents.delete(request.params.incident, callerOf(request).principal);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/incidents/:incident/links',
      {
        config: { access: 'incident.read' },
        schema: {
          tags: ['incidents'],
          summary: 'The deployments linked to an incident, most suspected first',
          params: IncidentParams,
          response: { 200: Type.Object({ items: Type.Array(IncidentLinkSchema) }), ...errorResponses },
        },
      },
      async (request) => ({ items: await store.incidents.links(request.params.incident) }),
    );

    for (const decision of ['confirm', 'reject'] as const) {
      app.post(
        `/incidents/:incident/links/:deployment/${decision}`,
        {
          config: { access: 'incident.write' },
          schema: {
            tags: ['incidents'],
            summary:
              decision === 'confirm'
                ? 'Confirm that a deployment probably caused the incident'
                : 'Rule a linked deployment out',
            params: LinkParams,
            body: Decision,
            response: { 200: IncidentLinkSchema, ...errorResponses },
          },
        },
        async (request) => {
          const { incident, deployment } = request.params;
          const actor = callerOf(request).principal;
          const comment = request.body.comment;
          return decision === 'confirm'
            ? incidents.confirmLink(incident, deployment, actor, comment)
            : incidents.rejectLink(incident, deployment, actor, comment);
        },
      );
    }
  };
}
