import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { Name, windowKinds } from '../../domain/index.js';
import { occurrenceView, parseRange, type WindowCommands } from '../../governance/index.js';
import { callerOf } from '../auth.js';
import { errorResponses, PageOf, PageQuery, Reference } from '../schemas.js';
import { OccurrenceResponse, WindowBody, WindowResponse } from './governance-schemas.js';

const KindQuery = Type.Union(
  windowKinds.map((kind) => Type.Literal(kind)),
  { description: 'maintenance or freeze' },
);
const RangeText = Type.String({
  minLength: 1,
  maxLength: 40,
  description: '2025-03-29T22:00, 2025-12-20 or an instant',
});

/** Maintenance windows and freeze periods, and their occurrences. */
export function windowRoutes(windows: WindowCommands): FastifyPluginAsyncTypebox {
  return async (app) => {
    const Params = Type.Object({ window: Reference });

    app.post(
      '/windows',
      {
        config: { access: 'window.write' },
        schema: {
          tags: ['governance'],
          summary: 'Create a maintenance window or freeze period',
          body: WindowBody,
          response: { 201: WindowResponse, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await windows.create(request.body, callerOf(request).principal.id)),
    );

    app.get(
      '/windows',
      {
        config: { access: 'schedule.read' },
        schema: {
          tags: ['governance'],
          summary: 'List windows and freezes',
          querystring: Type.Object({
            ...PageQuery,
            kind: Type.Optional(KindQuery),
            environment: Type.Optional(Reference),
            service: Type.Optional(Reference),
          }),
          response: { 200: PageOf(WindowResponse), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, kind, environment, service } = request.query;
        return windows.list(
          {
            ...(kind !== undefined && { kind }),
            ...(environment !== undefined && { environment }),
            ...(service !== undefined && { service }),
          },
          { limit, ...(cursor !== undefined && { cursor }) },
        );
      },
    );

    app.get(
      '/windows/occurrences',
      {
        config: { access: 'schedule.read' },
        schema: {
          tags: ['governance'],
          summary: 'The occurrences of windows and freezes in a calendar range',
          querystring: Type.Object({
            from: Type.Optional(RangeText),
            to: Type.Optional(RangeText),
            timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            kind: Type.Optional(KindQuery),
            environment: Type.Optional(Name),
            service: Type.Optional(Name),
          }),
          response: {
            200: Type.Object({
              from: Type.String(),
              to: Type.String(),
              items: Type.Array(OccurrenceResponse),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const { kind, environment, service, ...range } = request.query;
        const { from, to } = parseRange(range, windows.now());
        const found = await windows.occurrences(from, to, {
          ...(kind !== undefined && { kind }),
          ...(environment !== undefined && { environment }),
          ...(service !== undefined && { service }),
        });
        return {
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          items: found.map(occurrenceView),
        };
      },
    );

    app.get(
      '/windows/:window',
      {
        config: { access: 'schedule.read' },
        schema: {
          tags: ['governance'],
          summary: 'Show a window',
          params: Params,
          response: { 200: WindowResponse, ...errorResponses },
        },
      },
      async (request) => windows.get(request.params.window),
    );

    app.put(
      '/windows/:window',
      {
        config: { access: 'window.write' },
        schema: {
          tags: ['governance'],
          summary: 'Replace a window’s definition',
          params: Params,
          body: WindowBody,
          response: { 200: WindowResponse, ...errorResponses },
        },
      },
      async (request) => windows.update(request.params.window, request.body, callerOf(request).principal.id),
    );

    app.delete(
      '/windows/:window',
      {
        config: { access: 'window.write' },
        schema: {
          tags: ['governance'],
          summary: 'Delete a window',
          params: Params,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await windows.delete(request.params.window, callerOf(request).principal.id);
        return reply.status(204).send(null);
      },
    );
  };
}
