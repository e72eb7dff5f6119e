import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import {
  type DeploymentKind,
  deploymentKinds,
  InputError,
  ModelVersionSchema,
  modelDiff,
  modelFingerprint,
  modelJsonSchema,
  type PlanTarget,
  parseModelValue,
  planDeployment,
  stageForEnvironment,
  validateModel,
} from '../../domain/index.js';
import type { Store } from '../../store/index.js';
import { callerOf } from '../auth.js';
import { Body, errorResponses, Reference } from '../schemas.js';

const Source = Type.String({
  minLength: 1,
  maxLength: 1_000_000,
  description: 'The model as YAML (JSON is accepted)',
});
const ModelProblemSchema = Type.Object({
  path: Type.String(),
  message: Type.String(),
  line: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.Integer()),
});
const OpenObject = Type.Object({}, { additionalProperties: true });
const VersionSummary = Type.Object({
  number: Type.Integer(),
  changelog: Type.String(),
  fingerprint: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.String(),
});

/** Deployment models as code: validation, versioned application, history, diff and dry runs. */
export function modelRoutes(store: Store): FastifyPluginAsyncTypebox {
  return async (app) => {
    const published = modelJsonSchema({ id: '/api/v1/schemas/deployment-model.json' });
    app.get(
      '/schemas/deployment-model.json',
      {
        config: { access: 'public' },
        schema: { tags: ['models'], summary: 'The JSON Schema of deployment models (for editors)' },
      },
      async (_request, reply) => reply.type('application/schema+json').send(published),
    );

    app.post(
      '/models/validate',
      {
        config: { access: 'model.read' },
        schema: {
          tags: ['models'],
          summary: 'Validate a model without applying it; problems carry YAML line and column',
          body: Body({ source: Source }),
          response: {
            200: Type.Object({
              valid: Type.Boolean(),
              name: Type.Optional(Type.String()),
              problems: Type.Array(ModelProblemSchema),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const validation = validateModel(request.body.source);
        return validation.valid
          ? { valid: true, name: validation.model.name, problems: [] }
          : { valid: false, problems: validation.problems };
      },
    );

    app.post(
      '/models',
      {
        config: { access: 'model.write' },
        schema: {
          tags: ['models'],
          summary: 'Apply a model: a changed model becomes a new version with its changelog entry',
          body: Body({
            source: Source,
            changelog: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
          }),
          response: {
            200: Type.Object({ created: Type.Boolean(), version: ModelVersionSchema }),
            201: Type.Object({ created: Type.Boolean(), version: ModelVersionSchema }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const validation = validateModel(request.body.source);
        if (!validation.valid) throw validation.error;
        const model = validation.model;
        const result = await store.models.apply(
          {
            name: model.name,
            source: request.body.source,
            definition: model,
            fingerprint: modelFingerprint(model),
            changelog: request.body.changelog ?? 'No changelog entry given.',
          },
          callerOf(request).principal.id,
        );
        return reply.status(result.created ? 201 : 200).send(result);
      },
    );

    app.get(
      '/models',
      {
        config: { access: 'model.read' },
        schema: {
          tags: ['models'],
          summary: 'The latest version of every model',
          response: { 200: Type.Object({ items: Type.Array(ModelVersionSchema) }), ...errorResponses },
        },
      },
      async () => ({ items: await store.models.listLatest() }),
    );

    app.get(
      '/models/:model',
      {
        config: { access: 'model.read' },
        schema: {
          tags: ['models'],
          summary: 'A model: its latest version and the history of versions',
          params: Type.Object({ model: Reference }),
          response: {
            200: Type.Object({ latest: ModelVersionSchema, versions: Type.Array(VersionSummary) }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const versions = await store.models.listVersions(request.params.model);
        const [latest] = versions;
        if (latest === undefined) throw new InputError('The model has no versions.');
        return {
          latest,
          versions: versions.map(({ number, changelog, fingerprint, createdAt, createdBy }) => ({
            number,
            changelog,
            fingerprint,
            createdAt,
            createdBy,
          })),
        };
      },
    );

    app.get(
      '/models/:model/versions/:number',
      {
        config: { access: 'model.read' },
        schema: {
          tags: ['models'],
          summary: 'One version of a model',
          params: Type.Object({ model: Reference, number: Type.Integer({ minimum: 1, maximum: 1_000_000 }) }),
          response: { 200: ModelVersionSchema, ...errorResponses },
        },
      },
      async (request) => store.models.getVersion(request.params.model, request.params.number),
    );

    app.get(
      '/models/:model/diff',
      {
        config: { access: 'model.read' },
        schema: {
          tags: ['models'],
          summary:
            'What changed between two versions of a model (default: the latest against the one before)',
          params: Type.Object({ model: Reference }),
          querystring: Type.Object({
            from: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
            to: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
          }),
          response: {
            200: Type.Object({ from: Type.Integer(), to: Type.Integer(), changes: Type.Array(OpenObject) }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const to = await store.models.getVersion(request.params.model, request.query.to);
        const fromNumber = request.query.from ?? Math.max(1, to.number - 1);
        const from = await store.models.getVersion(request.params.model, fromNumber);
        const changes = modelDiff(parseModelValue(from.definition), parseModelValue(to.definition));
        return { from: from.number, to: to.number, changes: changes as unknown as Record<string, unknown>[] };
      },
    );

    app.post(
      '/models/:model/test',
      {
        config: { access: 'model.read' },
        schema: {
          tags: ['models'],
          summary: 'Dry run: the whole plan for a version and environment, without running a step',
          params: Type.Object({ model: Reference }),
          body: Body({
            version: Type.String({ minLength: 1, maxLength: 100 }),
            component: Type.Optional(Reference),
            environment: Type.Optional(Reference),
            stage: Type.Optional(Reference),
            kind: Type.Optional(Type.Union(deploymentKinds.map((kind) => Type.Literal(kind)))),
            modelVersion: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
          }),
          response: {
            200: Type.Object({ plan: OpenObject, supervisedFirstRun: Type.Boolean() }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const body = request.body;
        const version = await store.models.getVersion(request.params.model, body.modelVersion);
        const model = parseModelValue(version.definition);
        const component =
          body.component === undefined ? undefined : await store.catalog.getComponent(body.component);
        const environment =
          body.environment === undefined ? undefined : await store.environments.get(body.environment);
        // Only the environments of the planned stages: their targets are the plan's, and only
        // they decide whether the run would be a supervised first run in a live-tier environment.
        const environments =
          environment !== undefined
            ? [environment]
            : (await store.environments.all()).filter((candidate) => {
                const stage = stageForEnvironment(model.stages, candidate);
                return stage !== undefined && (body.stage === undefined || stage.name === body.stage);
              });
        const targets: PlanTarget[] = [];
        for (const candidate of environments) {
          for (const target of await store.environments.allTargets(candidate.id)) {
            targets.push({
              name: target.name,
              environment: candidate.name,
              tier: candidate.tier,
              kind: target.kind,
              labels: target.labels,
              facts: target.facts,
            });
          }
        }
        const plan = planDeployment({
          model,
          version: body.version,
          ...(component !== undefined && { component: component.name, service: component.service }),
          ...(body.kind !== undefined && { kind: body.kind as DeploymentKind }),
          ...(body.stage !== undefined && { stage: body.stage }),
          ...(environment !== undefined && {
            environment: { name: environment.name, tier: environment.tier },
          }),
          targets,
        });
        const supervisedFirstRun =
          environments.some((candidate) => candidate.tier === 'live') &&
          !(await store.deployments.hasRunInLive(version.id, ''));
        return { plan: plan as unknown as Record<string, unknown>, supervisedFirstRun };
      },
    );
  };
}
