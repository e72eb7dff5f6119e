import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import {
  type ChangeState,
  CreateChangeRequestSchema,
  changeOutcomes,
  changeStates,
  changeTypes,
} from '../../domain/index.js';
import type { ChangeCommands } from '../../governance/index.js';
import { callerOf } from '../auth.js';
import { errorResponses, PageOf, PageQuery, Reference } from '../schemas.js';
import { ChangeResponse } from './governance-schemas.js';

const Reason = Type.String({ minLength: 1, maxLength: 2000, description: 'Why; shown with the change' });
const literals = <Value extends string>(values: readonly Value[]) =>
  Type.Union(values.map((value) => Type.Literal(value)));

/** A transition may be posted without a body: an external system authorizing sends none. */
async function emptyBodyIsObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) (request as { body: unknown }).body = {};
}

/** Change requests: creation, lifecycle, linked deployments. */
export function changeRoutes(changes: ChangeCommands): FastifyPluginAsyncTypebox {
  return async (app) => {
    const Params = Type.Object({ change: Reference });

    app.post(
      '/changes',
      {
        config: { access: 'change.write' },
        schema: {
          tags: ['governance'],
          summary: 'Request a change',
          body: CreateChangeRequestSchema,
          response: { 201: ChangeResponse, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await changes.create(request.body, callerOf(request).principal.id)),
    );

    app.get(
      '/changes',
      {
        config: { access: 'change.read' },
        schema: {
          tags: ['governance'],
          summary: 'List change requests',
          querystring: Type.Object({
            ...PageQuery,
            state: Type.Optional(literals(changeStates)),
            type: Type.Optional(literals(changeTypes)),
          }),
          response: { 200: PageOf(ChangeResponse), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, state, type } = request.query;
        return changes.list(
          { ...(state !== undefined && { state }), ...(type !== undefined && { type }) },
          { limit, ...(cursor !== undefined && { cursor }) },
        );
      },
    );

    app.get(
      '/changes/:change',
      {
        config: { access: 'change.read' },
        schema: {
          tags: ['governance'],
          summary: 'Show a change request by id or number (CHG-0001)',
          params: Params,
          response: { 200: ChangeResponse, ...errorResponses },
        },
      },
      async (request) => changes.get(request.params.change),
    );

    const transitions: {
      path: string;
      to: ChangeState;
      access: 'change.authorize' | 'change.write';
      summary: string;
      reasonRequired: boolean;
    }[] = [
      {
        path: 'authorize',
        to: 'authorized',
        access: 'change.authorize',
        summary: 'Authorize a change (a change authority or an external change system)',
        reasonRequired: false,
      },
      {
        path: 'reject',
        to: 'rejected',
        access: 'change.authorize',
        summary: 'Reject a change, with a reason',
        reasonRequired: true,
      },
      {
        path: 'schedule',
        to: 'scheduled',
        access: 'change.write',
        summary: 'Schedule a change',
        reasonRequired: false,
      },
      {
        path: 'implement',
        to: 'implementing',
        access: 'change.write',
        summary: 'Start implementing a change',
        reasonRequired: false,
      },
      {
        path: 'cancel',
        to: 'cancelled',
        access: 'change.write',
        summary: 'Cancel a change',
        reasonRequired: false,
      },
    ];
    for (const transition of transitions) {
      app.post(
        `/changes/:change/${transition.path}`,
        {
          config: { access: transition.access },
          preValidation: emptyBodyIsObject,
          schema: {
            tags: ['governance'],
            summary: transition.summary,
            params: Params,
            body: transition.reasonRequired
              ? Type.Object({ reason: Reason }, { additionalProperties: false })
              : Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false }),
            response: { 200: ChangeResponse, ...errorResponses },
          },
        },
        async (request) => {
          const { reason } = request.body as { reason?: string };
          return changes.transition(
            request.params.change,
            transition.to,
            reason === undefined ? {} : { reason },
            callerOf(request).principal.id,
          );
        },
      );
    }

    app.post(
      '/changes/:change/close',
      {
        config: { access: 'change.write' },
        schema: {
          tags: ['governance'],
          summary: 'Close an implemented change with its outcome',
          params: Params,
          body: Type.Object(
            { outcome: literals(changeOutcomes), reason: Type.Optional(Reason) },
            { additionalProperties: false },
          ),
          response: { 200: ChangeResponse, ...errorResponses },
        },
      },
      async (request) =>
        changes.transition(
          request.params.change,
          'closed',
          {
            outcome: request.body.outcome,
            ...(request.body.reason !== undefined && { reason: request.body.reason }),
          },
          callerOf(request).principal.id,
        ),
    );

    const LinkParams = Type.Object({
      change: Reference,
      deployment: Type.String({ minLength: 1, maxLength: 100, description: 'Deployment id' }),
    });

    app.post(
      '/changes/:change/deployments',
      {
        config: { access: 'change.write' },
        schema: {
          tags: ['governance'],
          summary: 'Link a deployment to a change',
          params: Params,
          body: Type.Object(
            { deployment: Type.String({ minLength: 1, maxLength: 100, description: 'Deployment id' }) },
            { additionalProperties: false },
          ),
          response: { 200: ChangeResponse, ...errorResponses },
        },
      },
      async (request) =>
        changes.link(request.params.change, request.body.deployment, callerOf(request).principal.id),
    );

    app.delete(
      '/changes/:change/deployments/:deployment',
      {
        config: { access: 'change.write' },
        schema: {
          tags: ['governance'],
          summary: 'Unlink a deployment from a change',
          params: LinkParams,
          response: { 200: ChangeResponse, ...errorResponses },
        },
      },
      async (request) =>
        changes.unlink(request.params.change, request.params.deployment, callerOf(request).principal.id),
    );
  };
}
