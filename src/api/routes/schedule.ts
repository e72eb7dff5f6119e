import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { Name } from '../../domain/index.js';
import { PlanningCheckSchema, PlanTimeSchema, type ScheduleCommands } from '../../governance/index.js';
import { callerOf } from '../auth.js';
import { errorResponses } from '../schemas.js';
import {
  ConflictReportResponse,
  ConflictResponse,
  OccurrenceResponse,
  ScheduledDeploymentResponse,
} from './governance-schemas.js';

const RangeText = Type.String({
  minLength: 1,
  maxLength: 40,
  description: '2025-03-29T22:00, 2025-12-20 or an instant',
});

/** The calendar, planning a deployment's time, and the planning check. */
export function scheduleRoutes(schedule: ScheduleCommands): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/schedule',
      {
        config: { access: 'schedule.read' },
        schema: {
          tags: ['governance'],
          summary: 'Planned and running deployments, window and freeze occurrences, and their conflicts',
          querystring: Type.Object({
            from: Type.Optional(RangeText),
            to: Type.Optional(RangeText),
            timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            environment: Type.Optional(Name),
            service: Type.Optional(Name),
          }),
          response: {
            200: Type.Object({
              from: Type.String(),
              to: Type.String(),
              deployments: Type.Array(ScheduledDeploymentResponse),
              occurrences: Type.Array(OccurrenceResponse),
              conflicts: Type.Array(
                Type.Object({ deploymentId: Type.String(), ...ConflictResponse.properties }),
              ),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => schedule.schedule(request.query),
    );

    app.post(
      '/schedule/check',
      {
        config: { access: 'schedule.read' },
        schema: {
          tags: ['governance'],
          summary: 'Check a planned deployment against the schedule without creating anything',
          body: PlanningCheckSchema,
          response: { 200: ConflictReportResponse, ...errorResponses },
        },
      },
      async (request) => schedule.check(request.body),
    );

    const Params = Type.Object({
      deployment: Type.String({ minLength: 1, maxLength: 100, description: 'Deployment id' }),
    });

    app.put(
      '/schedule/deployments/:deployment',
      {
        config: { access: 'deployment.plan' },
        schema: {
          tags: ['governance'],
          summary: 'Plan when a deployment runs, and see its conflicts there',
          params: Params,
          body: PlanTimeSchema,
          response: {
            200: Type.Object({
              deployment: ScheduledDeploymentResponse,
              ...ConflictReportResponse.properties,
            }),
            ...errorResponses,
          },
        },
      },
      async (request) =>
        schedule.plan(request.params.deployment, request.body, callerOf(request).principal.id),
    );

    app.delete(
      '/schedule/deployments/:deployment',
      {
        config: { access: 'deployment.plan' },
        schema: {
          tags: ['governance'],
          summary: 'Clear the planned time of a deployment',
          params: Params,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await schedule.unplan(request.params.deployment, callerOf(request).principal.id);
        return reply.status(204).send(null);
      },
    );
  };
}
