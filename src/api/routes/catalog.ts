import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import {
  ComponentKindSchema,
  ComponentSchema,
  checkManifest,
  InputError,
  LabelMap,
  ManifestPartSchema,
  Name,
  ReleaseSchema,
  ServiceSchema,
  Sha256Digest,
  Timestamp,
  VersionSchema,
} from '../../domain/index.js';
import type { Store } from '../../store/index.js';
import { callerOf } from '../auth.js';
import { Body, errorResponses, PageOf, PageQuery, Reference } from '../schemas.js';

const VersionString = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]*$',
  description: 'Version string, e.g. 1.4.2, 2024.10 or rev-7',
});

/** Services, components, versions and releases: the authorized repository. */
export function catalogRoutes(store: Store): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/services',
      {
        config: { access: 'catalog.write' },
        schema: {
          tags: ['catalog'],
          summary: 'Create a service',
          body: Body({
            name: Name,
            description: Type.Optional(Type.String({ maxLength: 2000 })),
            owner: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          }),
          response: { 201: ServiceSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await store.catalog.createService(request.body, callerOf(request).principal.id)),
    );

    app.get(
      '/services',
      {
        config: { access: 'catalog.read' },
        schema: {
          tags: ['catalog'],
          summary: 'List services',
          querystring: Type.Object({
            ...PageQuery,
            search: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          }),
          response: { 200: PageOf(ServiceSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, search } = request.query;
        return store.catalog.listServices(
          { ...(search !== undefined && { search }) },
          { limit, ...(cursor !== undefined && { cursor }) },
        );
      },
    );

    app.get(
      '/services/:service',
      {
        config: { access: 'catalog.read' },
        schema: {
          tags: ['catalog'],
          summary: 'Show a service',
          params: Type.Object({ service: Reference }),
          response: { 200: ServiceSchema, ...errorResponses },
        },
      },
      async (request) => store.catalog.getService(request.params.service),
    );

    app.post(
      '/components',
      {
        config: { access: 'catalog.write' },
        schema: {
          tags: ['catalog'],
          summary: 'Create a component of a service',
          body: Body({
            service: Reference,
            name: Name,
            kind: ComponentKindSchema,
            description: Type.Optional(Type.String({ maxLength: 2000 })),
            labels: Type.Optional(LabelMap),
          }),
          response: { 201: ComponentSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await store.catalog.createComponent(request.body, callerOf(request).principal.id)),
    );

    app.get(
      '/components',
      {
        config: { access: 'catalog.read' },
        schema: {
          tags: ['catalog'],
          summary: 'List components',
          querystring: Type.Object({
            ...PageQuery,
            service: Type.Optional(Reference),
            kind: Type.Optional(ComponentKindSchema),
            search: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          }),
          response: { 200: PageOf(ComponentSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, service, kind, search } = request.query;
        return store.catalog.listComponents(
          {
            ...(service !== undefined && { service }),
            ...(kind !== undefined && { kind }),
            ...(search !== undefined && { search }),
          },
          { limit, ...(cursor !== undefined && { cursor }) },
        );
      },
    );

    app.get(
      '/components/:component',
      {
        config: { access: 'catalog.read' },
        schema: {
          tags: ['catalog'],
          summary: 'Show a component',
          params: Type.Object({ component: Reference }),
          response: { 200: ComponentSchema, ...errorResponses },
        },
      },
      async (request) => store.catalog.getComponent(request.params.component),
    );

    app.post(
      '/components/:component/versions',
      {
        config: { access: 'version.register' },
        schema: {
          tags: ['catalog'],
          summary: 'Register a version (idempotent for the same digest, 409 for another)',
          params: Type.Object({ component: Reference }),
          body: Body({
            version: VersionString,
            digest: Sha256Digest,
            size: Type.Integer({
              minimum: 0,
              maximum: Number.MAX_SAFE_INTEGER,
              description: 'Size in bytes',
            }),
            sourceUri: Type.Optional(Type.String({ format: 'uri', maxLength: 2000 })),
            manifest: Type.Optional(Type.Array(ManifestPartSchema, { maxItems: 10_000 })),
            changelog: Type.Optional(Type.String({ maxLength: 100_000 })),
            commitSha: Type.Optional(Type.String({ pattern: '^[0-9a-f]{7,64}$' })),
            committedAt: Type.Optional(Timestamp),
          }),
          response: { 200: VersionSchema, 201: VersionSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const problems = checkManifest(request.body.manifest ?? []).map((problem) => ({
          ...problem,
          path: `/body${problem.path}`,
        }));
        if (problems.length > 0)
          throw new InputError(`${problems[0]?.path} ${problems[0]?.message}.`, problems);
        const { version, created } = await store.catalog.registerVersion(
          request.params.component,
          request.body,
          callerOf(request).principal.id,
        );
        return reply.status(created ? 201 : 200).send(version);
      },
    );

    app.get(
      '/components/:component/versions',
      {
        config: { access: 'catalog.read' },
        schema: {
          tags: ['catalog'],
          summary: "List a component's versions, newest first",
          params: Type.Object({ component: Reference }),
          querystring: Type.Object(PageQuery),
          response: { 200: PageOf(VersionSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        return store.catalog.listVersions(request.params.component, {
          limit,
          ...(cursor !== undefined && { cursor }),
        });
      },
    );

    app.get(
      '/components/:component/versions/:version',
      {
        config: { access: 'catalog.read' },
        schema: {
          tags: ['catalog'],
          summary: 'Show a version',
          params: Type.Object({ component: Reference, version: Reference }),
          response: { 200: VersionSchema, ...errorResponses },
        },
      },
      async (request) => store.catalog.getVersion(request.params.component, request.params.version),
    );

    app.post(
      '/releases',
      {
        config: { access: 'catalog.write' },
        schema: {
          tags: ['catalog'],
          summary: 'Create a release: versions that move together',
          body: Body({
            name: Name,
            description: Type.Optional(Type.String({ maxLength: 2000 })),
            notes: Type.Optional(Type.String({ maxLength: 100_000 })),
            versions: Type.Array(
              Type.Object({ component: Reference, version: Reference }, { additionalProperties: false }),
              {
                minItems: 1,
                maxItems: 1000,
              },
            ),
          }),
          response: { 201: ReleaseSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await store.catalog.createRelease(request.body, callerOf(request).principal.id)),
    );

    app.get(
      '/releases',
      {
        config: { access: 'catalog.read' },
        schema: {
          tags: ['catalog'],
          summary: 'List releases',
          querystring: Type.Object(PageQuery),
          response: { 200: PageOf(ReleaseSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        return store.catalog.listReleases({ limit, ...(cursor !== undefined && { cursor }) });
      },
    );

    app.get(
      '/releases/:release',
      {
        config: { access: 'catalog.read' },
        schema: {
          tags: ['catalog'],
          summary: 'Show a release',
          params: Type.Object({ release: Reference }),
          response: { 200: ReleaseSchema, ...errorResponses },
        },
      },
      async (request) => store.catalog.getRelease(request.params.release),
    );
  };
}
