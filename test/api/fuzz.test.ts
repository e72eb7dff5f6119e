import * as fc from 'fast-check';
import type { HTTPMethods, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteAccess } from '../../src/api/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dialectsUnderTest } from '../support/stores.js';
import { digestOf, type ErrorBody, expectStatus, send } from './http.js';

/*
 * Property-based robustness of the whole HTTP surface: every route the server registers is
 * sent generated and deliberately malformed bodies, query strings, path ids and credentials.
 * Whatever arrives, the server answers below 500, and every 4xx carries the error body.
 */

/** The part of JSON Schema the route schemas use. */
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  $ref?: string;
}

interface OpenApiParameter {
  in: string;
  name: string;
  schema: JsonSchema;
}

interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** A route as the fuzzer sees it: its access, path parameters and documented inputs. */
interface FuzzRoute {
  method: HTTPMethods;
  url: string;
  access: RouteAccess;
  params: string[];
  query: Record<string, JsonSchema>;
  body: JsonSchema | undefined;
}

/** One generated request. */
interface FuzzRequest {
  method: HTTPMethods;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

const methodsWithBody = new Set(['POST', 'PUT', 'PATCH']);

/** Replaces lone surrogates so that encodeURIComponent accepts the text. */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function encode(text: string): string {
  return encodeURIComponent(wellFormed(text));
}

// Percent-encoding and path tricks sent as they are, not encoded again.
const rawGarbage = [
  '%',
  '%%',
  '%G1',
  '%E0%A4%A',
  '%ED%A0%80',
  '%C0%AF',
  '%FF%FE',
  '%00',
  '%2F',
  '%2f..%2f',
  '%2e%2e',
  '..',
  '.',
  '...',
  'a/b',
  'a%2Fb',
  '%5C',
  '+',
  '%20',
  '~',
  ';',
  '*',
  "'",
  '%22',
  '%3Cscript%3E',
  '%u0000',
  '&',
  '=',
];

const nastyText = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\u202e',
  '𝕊𝕝𝕚𝕡',
  'Ω≈ç√',
  '../../etc/passwd',
  "'; drop table services; --",
  '$' + '{jndi:ldap://x}',
  '{{7*7}}',
  ' ',
  '',
  '\n',
  '\\',
  '"',
  'null',
  'true',
  '-1',
  '1e309',
  '__proto__',
  'constructor',
  'prototype',
  '%',
  '%00',
];

/** Strings of every sort: short unicode, code points of all planes, known troublemakers, huge. */
const anyText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 30 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 30 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }), weight: 2 },
  { arbitrary: fc.constantFrom(...nastyText), weight: 3 },
  { arbitrary: fc.integer({ min: 100, max: 120_000 }).map((length) => 'x'.repeat(length)), weight: 1 },
);

/** JSON values that no schema asks for. */
const wildValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 4 },
  { arbitrary: anyText, weight: 4 },
  {
    arbitrary: fc.oneof(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(-1, 0, 2 ** 53, -(2 ** 53), 1e308, -1e-308, 4.5),
    ),
    weight: 3,
  },
  { arbitrary: fc.constantFrom(null, true, false, [], {}, [[]], { '': '' }), weight: 2 },
  {
    // Deep, but shallow enough for fast-check to print as a counterexample.
    arbitrary: fc.integer({ min: 50, max: 800 }).map((depth) => {
      let nested: unknown = 'bottom';
      for (let level = 0; level < depth; level += 1) nested = level % 2 === 0 ? [nested] : { deeper: nested };
      return nested;
    }),
    weight: 1,
  },
);

const wildKey: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'hasOwnProperty',
    'toString',
    '$ref',
    '',
    'id',
    'createdBy',
  ),
);

type JsonPath = (string | number)[];

/** Every location inside a JSON value, the root first; bounded so huge values stay cheap. */
function pathsOf(value: unknown): JsonPath[] {
  const found: JsonPath[] = [];
  const pending: { value: unknown; path: JsonPath }[] = [{ value, path: [] }];
  while (pending.length > 0 && found.length < 200) {
    const next = pending.pop();
    if (next === undefined) break;
    found.push(next.path);
    if (Array.isArray(next.value)) {
      next.value.forEach((item, index) => {
        pending.push({ value: item, path: [...next.path, index] });
      });
    } else if (typeof next.value === 'object' && next.value !== null) {
      for (const [key, item] of Object.entries(next.value))
        pending.push({ value: item, path: [...next.path, key] });
    }
  }
  return found;
}

/** Defines an own property even for keys like __proto__, which plain assignment would not. */
function defineOwn(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The container at `path` inside a copy of `root`. */
function containerAt(root: unknown, path: JsonPath): unknown {
  let current = root;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

type Mutation =
  | { kind: 'none' }
  | { kind: 'replace'; pick: number; value: unknown }
  | { kind: 'extra'; pick: number; key: string; value: unknown }
  | { kind: 'drop'; pick: number };

/** Applies one mutation to a copy of a JSON value. */
function mutate(value: unknown, mutation: Mutation): unknown {
  if (mutation.kind === 'none') return value;
  const copy: unknown = structuredClone(value);
  const paths = pathsOf(copy);
  const path = paths[mutation.pick % paths.length] ?? [];
  if (mutation.kind === 'replace') {
    if (path.length === 0) return mutation.value;
    const parent = containerAt(copy, path.slice(0, -1));
    const last = path[path.length - 1];
    if (typeof parent === 'object' && parent !== null && last !== undefined)
      defineOwn(parent, last, mutation.value);
    return copy;
  }
  const objects = paths.filter((candidate) => {
    const target = containerAt(copy, candidate);
    return typeof target === 'object' && target !== null && !Array.isArray(target);
  });
  const objectPath = objects[mutation.pick % Math.max(objects.length, 1)];
  const target = objectPath === undefined ? undefined : containerAt(copy, objectPath);
  if (typeof target !== 'object' || target === null) return copy;
  if (mutation.kind === 'extra') {
    defineOwn(target, mutation.key, mutation.value);
  } else {
    const keys = Object.keys(target);
    const key = keys[mutation.pick % Math.max(keys.length, 1)];
    if (key !== undefined) delete (target as Record<string, unknown>)[key];
  }
  return copy;
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.constant<Mutation>({ kind: 'none' }), weight: 3 },
  {
    arbitrary: fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: wildValue }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('extra' as const),
      pick: fc.nat(),
      key: wildKey,
      value: wildValue,
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }), weight: 1 },
);

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/**
 * Builds each value once. Building an arbitrary (compiling its regular expressions above all)
 * costs far more than drawing from it, and properties draw thousands of times per route.
 */
function memo<K, V>(build: (key: K) => V): (key: K) => V {
  const cache = new Map<K, V>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = build(key);
      cache.set(key, value);
    }
    return value;
  };
}

describe.each(await dialectsUnderTest())('the API under generated abuse on %s', (dialect) => {
  let server: TestServer;
  let document: OpenApiDocument;
  let routes: FuzzRoute[];
  /** Names and ids that exist, so that generated requests also reach the store. */
  let references: string[];
  let revokedToken: string;
  let requests = 0;
  let failures = 0;
  const statuses = new Map<number, number>();
  let startedAt = 0;

  const resolve = (schema: JsonSchema): JsonSchema => {
    if (schema.$ref === undefined) return schema;
    const name = schema.$ref.split('/').pop() ?? '';
    const target = document.components?.schemas?.[name];
    if (target === undefined) throw new Error(`unresolvable $ref ${schema.$ref}`);
    return resolve(target);
  };

  /** Values that satisfy a schema most of the time, drawn from existing references where it helps. */
  const validFor = (given: JsonSchema, depth: number): fc.Arbitrary<unknown> => {
    const schema = resolve(given);
    if (depth > 6) return fc.constant(null);
    if (schema.const !== undefined) return fc.constant(schema.const);
    if (schema.enum !== undefined && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
    if (schema.anyOf !== undefined)
      return fc.oneof(...schema.anyOf.map((option) => validFor(option, depth + 1)));
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    switch (type) {
      case 'string': {
        const minLength = schema.minLength ?? 0;
        const maxLength = Math.min(schema.maxLength ?? 60, 60);
        let text: fc.Arbitrary<string>;
        if (schema.format === 'date-time') {
          text = fc
            .date({ min: new Date('1990-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
            .map((date) => date.toISOString());
        } else if (schema.format === 'uri') text = fc.webUrl();
        else if (schema.format === 'email') text = fc.emailAddress();
        else if (schema.pattern !== undefined) {
          text = fc
            .stringMatching(new RegExp(schema.pattern, 'u'))
            .filter(
              (candidate) => candidate.length >= minLength && candidate.length <= (schema.maxLength ?? 1e9),
            );
        } else text = fc.string({ minLength, maxLength });
        const known = references.filter(
          (reference) => reference.length >= minLength && reference.length <= (schema.maxLength ?? 1e9),
        );
        return known.length === 0 ? text : fc.oneof(text, fc.constantFrom(...known));
      }
      case 'integer':
        return fc.integer({
          min: Math.max(schema.minimum ?? -1_000_000, Number.MIN_SAFE_INTEGER),
          max: Math.min(schema.maximum ?? 1_000_000, Number.MAX_SAFE_INTEGER),
        });
      case 'number':
        return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return fc.array(
          schema.items === undefined ? fc.jsonValue({ maxDepth: 1 }) : validFor(schema.items, depth + 1),
          {
            minLength: schema.minItems ?? 0,
            maxLength: Math.max(Math.min(schema.maxItems ?? 4, 4), schema.minItems ?? 0),
          },
        );
      case 'object': {
        const properties = schema.properties ?? {};
        const fields = Object.fromEntries(
          Object.entries(properties).map(([key, property]) => [key, validFor(property, depth + 1)]),
        );
        const record = fc.record(fields, { requiredKeys: schema.required ?? [] });
        const open =
          typeof schema.additionalProperties === 'object'
            ? schema.additionalProperties
            : Object.values(schema.patternProperties ?? {})[0];
        if (open === undefined) return record;
        return fc
          .tuple(
            record,
            fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), validFor(open, depth + 1), {
              maxKeys: 4,
            }),
          )
          .map(([fixed, extra]) => ({ ...extra, ...fixed }));
      }
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  };

  /** A body for a route: schema-shaped, then perhaps broken in one place. */
  const bodyFor = memo((route: FuzzRoute): fc.Arbitrary<unknown> => {
    const shaped = route.body === undefined ? fc.jsonValue({ maxDepth: 2 }) : validFor(route.body, 0);
    return fc.tuple(shaped, mutation).map(([value, change]) => mutate(value, change));
  });

  /** A value for a path parameter, already placed in the URL (encoded or deliberately raw). */
  let pathValues: fc.Arbitrary<string> | undefined;
  const pathValue = (): fc.Arbitrary<string> => {
    pathValues ??= fc.oneof(
      { arbitrary: fc.constantFrom(...references).map(encode), weight: 4 },
      { arbitrary: fc.uuid().map(encode), weight: 1 },
      { arbitrary: fc.uuid({ version: 7 }).map(encode), weight: 1 },
      { arbitrary: anyText.filter((text) => text.length <= 400).map(encode), weight: 3 },
      { arbitrary: fc.integer({ min: 150, max: 400 }).map((length) => 'a'.repeat(length)), weight: 1 },
      { arbitrary: fc.constantFrom(...rawGarbage), weight: 2 },
    );
    return pathValues;
  };

  const urlFor = (route: FuzzRoute, values: readonly string[]): string => {
    let index = 0;
    return route.url.replace(/:[A-Za-z0-9_]+/g, () => values[index++] ?? 'x');
  };

  const queryValues = new Map<string, fc.Arbitrary<string>>();
  const queryValue = (route: FuzzRoute, key: string): fc.Arbitrary<string> => {
    const id = `${route.method} ${route.url} ${key}`;
    const known = queryValues.get(id);
    if (known !== undefined) return known;
    const schema = route.query[key];
    const declared =
      schema === undefined
        ? []
        : [
            validFor(schema.type === 'array' && schema.items !== undefined ? schema.items : schema, 0).map(
              (value) => encode(typeof value === 'string' ? value : JSON.stringify(value)),
            ),
          ];
    const values = fc.oneof(
      ...declared,
      fc.constantFrom(
        '-1',
        '0',
        '1',
        '500',
        '501',
        '1e3',
        '1.5',
        '99999999999999999999',
        'NaN',
        'Infinity',
        '0x10',
        '',
        '%201',
      ),
      fc
        .oneof(fc.base64String({ maxLength: 40 }), fc.uuid().map(base64url), anyText.map(base64url))
        .map(encode),
      anyText.map(encode),
      fc.constantFrom(...rawGarbage),
    );
    queryValues.set(id, values);
    return values;
  };

  /** A query string of declared, repeated, unknown and hostile keys. */
  const queryFor = memo((route: FuzzRoute): fc.Arbitrary<string> => {
    const keys = [...Object.keys(route.query), 'limit', 'cursor', 'search', 'label'];
    const key = fc.oneof(
      { arbitrary: fc.constantFrom(...keys), weight: 5 },
      {
        arbitrary: fc.constantFrom(
          '__proto__',
          'constructor',
          'prototype',
          'toString',
          'limit[]',
          'a[b]',
          '',
        ),
        weight: 2,
      },
      { arbitrary: anyText.filter((text) => text.length < 100).map(encode), weight: 1 },
    );
    const pair = key.chain((name) => queryValue(route, name).map((value) => `${name}=${value}`));
    return fc
      .tuple(
        fc.array(
          fc.oneof(
            { arbitrary: pair, weight: 8 },
            { arbitrary: fc.constantFrom('&', '=', '?', 'flag'), weight: 1 },
          ),
          { maxLength: 8 },
        ),
      )
      .map(([pairs]) => pairs.join('&'));
  });

  const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
    { arbitrary: fc.constant('application/json'), weight: 6 },
    {
      arbitrary: fc.constantFrom(
        'application/json; charset=utf-8',
        'application/json; charset=latin1',
        'application/json;;;',
        'APPLICATION/JSON',
        'application/jsonp',
        'application/vnd.api+json',
        'application/json, text/plain',
        'text/plain',
        'text/html',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=xyz',
        'application/octet-stream',
        '*/*',
        'application/*',
        ';',
        'nonsense',
      ),
      weight: 3,
    },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );

  /** Request bodies as text: JSON of all shapes and JSON that is not JSON at all. */
  const rawBodyFor = memo(
    (route: FuzzRoute): fc.Arbitrary<string> =>
      fc.oneof(
        { arbitrary: bodyFor(route).map((value) => JSON.stringify(value) ?? 'undefined'), weight: 4 },
        { arbitrary: fc.string({ maxLength: 200 }), weight: 2 },
        { arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)), weight: 2 },
        {
          arbitrary: bodyFor(route).map((value) => {
            const text = JSON.stringify(value) ?? '';
            return text.slice(0, Math.floor(text.length / 2));
          }),
          weight: 1,
        },
        {
          arbitrary: fc
            .tuple(
              bodyFor(route),
              fc.constantFrom('{"__proto__":{"admin":true},', '{"constructor":{"prototype":{"admin":true}},'),
            )
            .map(([value, prefix]) => {
              const text = JSON.stringify(value) ?? '{}';
              return text.startsWith('{') && text.length > 2
                ? `${prefix}${text.slice(1)}`
                : `${prefix}"x":1}`;
            }),
          weight: 2,
        },
        {
          arbitrary: fc.constantFrom(
            '{"__proto__":{"roles":["admin"]}}',
            '{"name":"x","constructor":{"prototype":{"isAdmin":true}}}',
            '{"labels":{"__proto__":{"x":"y"}}}',
            '{"name":"a","name":1}',
            '\ufeff{}',
            '{}garbage',
            '[]',
            'null',
            '1e999',
            '"\\ud800"',
            '{"a":"\\u0000"}',
            '{',
            '}',
            '',
            '\u0000',
          ),
          weight: 2,
        },
        {
          arbitrary: fc
            .tuple(fc.integer({ min: 1_000, max: 150_000 }), fc.boolean())
            .map(([depth, closed]) => '['.repeat(depth) + (closed ? ']'.repeat(depth) : '')),
          weight: 1,
        },
        {
          arbitrary: fc
            .integer({ min: 1_000, max: 60_000 })
            .map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
          weight: 1,
        },
        {
          arbitrary: fc
            .integer({ min: 1024 * 1024 - 64, max: 1024 * 1024 + 4096 })
            .map((length) => JSON.stringify({ name: 'x'.repeat(length) })),
          weight: 1,
        },
      ),
  );

  /** Sends one request and asserts what every answer must satisfy. */
  const fire = async (request: FuzzRequest): Promise<LightMyRequestResponse> => {
    requests += 1;
    let response: LightMyRequestResponse;
    try {
      response = await server.app.inject({
        method: request.method,
        url: request.url,
        headers: request.headers,
        ...(request.payload !== undefined && { payload: request.payload }),
      });
    } catch (error) {
      throw new Error(`inject refused ${request.method} ${request.url.slice(0, 200)}: ${String(error)}`);
    }
    const label = `${request.method} ${request.url.slice(0, 300)} [${request.headers['content-type'] ?? '-'}] ${
      request.payload?.slice(0, 300) ?? ''
    } → ${response.statusCode} ${response.body.slice(0, 300)}`;
    statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
    if (response.statusCode >= 500) failures += 1;
    expect(response.statusCode, label).toBeLessThan(500);
    if (response.statusCode >= 400) {
      expect(response.headers['content-type'], label).toMatch(/^application\/json/);
      const body: unknown = JSON.parse(response.body);
      expect(body, label).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
      const error = (body as { error: { code: string; message: string } }).error;
      expect(error.code.length, label).toBeGreaterThan(0);
      expect(error.message.length, label).toBeGreaterThan(0);
    }
    return response;
  };

  const admin = (): Record<string, string> => ({ authorization: `Bearer ${server.adminToken}` });
  const routeArb = (): fc.Arbitrary<FuzzRoute> => fc.constantFrom(...routes);
  const runs = (count: number) => ({ numRuns: count, endOnFailure: true });

  beforeAll(async () => {
    startedAt = Date.now();
    server = await startTestServer(dialect);
    document = (await server.app.inject({ url: '/api/v1/openapi.json' })).json<OpenApiDocument>();
    routes = server.app.routeAccess.map((entry) => {
      const path = entry.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const operation = document.paths[path]?.[entry.method.toLowerCase()];
      const query = Object.fromEntries(
        (operation?.parameters ?? [])
          .filter((parameter) => parameter.in === 'query')
          .map((parameter) => [parameter.name, parameter.schema]),
      );
      return {
        method: entry.method as HTTPMethods,
        url: entry.url,
        access: entry.access,
        params: [...entry.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1] ?? ''),
        query,
        body: operation?.requestBody?.content['application/json']?.schema,
      };
    });

    // Something to find: the fuzzer mixes these names and ids into paths and bodies.
    const call = (method: HTTPMethods, url: string, body: unknown) =>
      send(server.app, { method, url, body, token: server.adminToken });
    const service = expectStatus<{ id: string }>(
      await call('POST', '/api/v1/services', { name: 'fz-svc' }),
      201,
    );
    const component = expectStatus<{ id: string }>(
      await call('POST', '/api/v1/components', { service: 'fz-svc', name: 'fz-app', kind: 'software' }),
      201,
    );
    const version = expectStatus<{ id: string }>(
      await call('POST', '/api/v1/components/fz-app/versions', {
        version: '1.0.0',
        digest: digestOf('fz'),
        size: 1,
      }),
      201,
    );
    const release = expectStatus<{ id: string }>(
      await call('POST', '/api/v1/releases', {
        name: 'fz-rel',
        versions: [{ component: 'fz-app', version: '1.0.0' }],
      }),
      201,
    );
    const environment = expectStatus<{ id: string }>(
      await call('POST', '/api/v1/environments', { name: 'fz-env', tier: 'test' }),
      201,
    );
    const target = expectStatus<{ id: string }>(
      await call('POST', '/api/v1/environments/fz-env/targets', {
        name: 'fz-host',
        kind: 'host',
        labels: { role: 'web' },
        facts: { cores: 4 },
      }),
      201,
    );
    // A principal whose token the fuzzer may revoke without locking itself out.
    const spare = expectStatus<{ principal: { id: string }; token: string; tokenMetadata: { id: string } }>(
      await call('POST', '/api/v1/principals', { name: 'fz-spare', kind: 'system', roles: ['agent'] }),
      201,
    );
    const revoked = expectStatus<{ token: string; metadata: { id: string } }>(
      await call('POST', '/api/v1/tokens', { principal: 'fz-spare', name: 'to-revoke' }),
      201,
    );
    expectStatus(await call('DELETE', `/api/v1/tokens/${revoked.metadata.id}`, undefined), 200);
    revokedToken = revoked.token;
    references = [
      'fz-svc',
      'fz-app',
      '1.0.0',
      'fz-rel',
      'fz-env',
      'fz-host',
      'fz-spare',
      'admin',
      service.id,
      component.id,
      version.id,
      release.id,
      environment.id,
      target.id,
      spare.principal.id,
      spare.tokenMetadata.id,
    ];
  });
  afterAll(async () => server?.close());

  it('finds every API route in the OpenAPI document it generates inputs from', () => {
    const undocumented = routes.filter(
      (route) =>
        route.url.startsWith('/api/') &&
        route.url !== '/api/v1/openapi.json' &&
        document.paths[route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[route.method.toLowerCase()] ===
          undefined,
    );
    expect(undocumented).toEqual([]);
    const withBody = routes.filter((route) => methodsWithBody.has(route.method));
    expect(withBody.length).toBeGreaterThan(0);
    expect(withBody.every((route) => route.body !== undefined)).toBe(true);
  });

  it('answers known hostile inputs the same way on every store', async () => {
    const headers = admin();
    const json = { ...headers, 'content-type': 'application/json' };
    // [request, expected status, expected code]: each of these once broke a store or the error shape.
    const cases: [FuzzRequest, number, string | undefined][] = [
      [{ method: 'GET', url: '/api/v1/services/%00', headers }, 400, 'validation_failed'],
      [{ method: 'GET', url: '/api/v1/services?search=%00', headers }, 400, 'validation_failed'],
      [{ method: 'GET', url: '/api/v1/audit?subjectId=a%00b', headers }, 400, 'validation_failed'],
      [
        {
          method: 'POST',
          url: '/api/v1/services',
          headers: json,
          payload: '{"name":"nul","description":"a\\u0000b"}',
        },
        400,
        'validation_failed',
      ],
      [{ method: 'GET', url: '/api/v1/services/%E0%A4%A', headers }, 400, 'malformed_request'],
      [{ method: 'GET', url: `/api/v1/services/${'a'.repeat(300)}`, headers }, 414, 'malformed_request'],
      [
        {
          method: 'GET',
          url: '/api/v1/environments/fz-env/targets?label=__proto__=x&label=constructor=y',
          headers,
        },
        200,
        undefined,
      ],
      [
        { method: 'POST', url: '/api/v1/services', headers: json, payload: '{"__proto__":{"name":"x"}}' },
        400,
        'malformed_request',
      ],
      [
        {
          method: 'POST',
          url: '/api/v1/services',
          headers: { ...headers, 'content-type': 'text/plain' },
          payload: '{}',
        },
        415,
        'unsupported_media_type',
      ],
    ];
    for (const [request, status, code] of cases) {
      const response = await fire(request);
      expect(response.statusCode, request.url).toBe(status);
      if (code !== undefined) expect(response.json<ErrorBody>().error.code, request.url).toBe(code);
    }
    // Nothing about the refused NUL request was stored.
    expect((await fire({ method: 'GET', url: '/api/v1/services/nul', headers })).statusCode).toBe(404);
  });

  it('answers schema-shaped and mutated bodies on every route that takes one', async () => {
    const bodyRoutes = routes.filter((route) => methodsWithBody.has(route.method));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodyRoutes).chain((route) =>
          fc.record({
            route: fc.constant(route),
            params: fc.array(
              fc.oneof(
                { arbitrary: fc.constantFrom(...references).map(encode), weight: 5 },
                { arbitrary: pathValue(), weight: 1 },
              ),
              { minLength: route.params.length, maxLength: route.params.length },
            ),
            body: bodyFor(route),
          }),
        ),
        async ({ route, params, body }) => {
          await fire({
            method: route.method,
            url: urlFor(route, params),
            headers: { ...admin(), 'content-type': 'application/json' },
            payload: JSON.stringify(body) ?? 'null',
          });
        },
      ),
      runs(3_500),
    );
  }, 120_000);

  it('answers raw, broken and oversized bodies in any content type on every route', async () => {
    await fc.assert(
      fc.asyncProperty(
        routeArb().chain((route) =>
          fc.record({
            route: fc.constant(route),
            params: fc.array(pathValue(), { minLength: route.params.length, maxLength: route.params.length }),
            payload: rawBodyFor(route),
            type: contentType,
          }),
        ),
        async ({ route, params, payload, type }) => {
          await fire({
            method: route.method,
            url: urlFor(route, params),
            headers: { ...admin(), ...(type !== undefined && { 'content-type': type }) },
            payload,
          });
        },
      ),
      runs(2_500),
    );
  }, 120_000);

  it('answers any query string on every route', async () => {
    await fc.assert(
      fc.asyncProperty(
        routeArb().chain((route) =>
          fc.record({
            route: fc.constant(route),
            params: fc.array(
              fc.oneof(
                { arbitrary: fc.constantFrom(...references).map(encode), weight: 3 },
                { arbitrary: pathValue(), weight: 1 },
              ),
              { minLength: route.params.length, maxLength: route.params.length },
            ),
            query: queryFor(route),
            body: bodyFor(route),
          }),
        ),
        async ({ route, params, query, body }) => {
          const carriesBody = methodsWithBody.has(route.method);
          await fire({
            method: route.method,
            url: `${urlFor(route, params)}?${query}`,
            headers: { ...admin(), ...(carriesBody && { 'content-type': 'application/json' }) },
            ...(carriesBody && { payload: JSON.stringify(body) ?? 'null' }),
          });
        },
      ),
      runs(2_500),
    );
  }, 120_000);

  it('answers any id in any path parameter', async () => {
    const withParams = routes.filter((route) => route.params.length > 0);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...withParams).chain((route) =>
          fc.record({
            route: fc.constant(route),
            params: fc.array(pathValue(), { minLength: route.params.length, maxLength: route.params.length }),
            body: bodyFor(route),
          }),
        ),
        async ({ route, params, body }) => {
          const carriesBody = methodsWithBody.has(route.method);
          await fire({
            method: route.method,
            url: urlFor(route, params),
            headers: { ...admin(), ...(carriesBody && { 'content-type': 'application/json' }) },
            ...(carriesBody && { payload: JSON.stringify(body) ?? 'null' }),
          });
        },
      ),
      runs(2_000),
    );
  }, 120_000);

  it('refuses every protected route without valid credentials, whatever else is sent', async () => {
    const credentials: fc.Arbitrary<Record<string, string>> = fc.oneof(
      fc.constant({}),
      fc.constant({ authorization: `Bearer ${revokedToken}` }),
      fc.stringMatching(/^[\x21-\x7e]{0,300}$/).map((token) => ({ authorization: `Bearer ${token}` })),
      fc.stringMatching(/^[\x20-\x7e]{0,100}$/).map((header) => ({ authorization: header })),
      fc.constantFrom(
        { authorization: 'Basic YWRtaW46YWRtaW4=' },
        { authorization: 'Bearer' },
        { 'x-api-key': 'x' },
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        routeArb().chain((route) =>
          fc.record({
            route: fc.constant(route),
            params: fc.array(pathValue(), { minLength: route.params.length, maxLength: route.params.length }),
            query: queryFor(route),
            payload: rawBodyFor(route),
            credentials,
          }),
        ),
        async ({ route, params, query, payload, credentials: sent }) => {
          const carriesBody = methodsWithBody.has(route.method);
          const url = `${urlFor(route, params)}?${query}`;
          const response = await fire({
            method: route.method,
            url,
            headers: { ...sent, ...(carriesBody && { 'content-type': 'application/json' }) },
            ...(carriesBody && { payload }),
          });
          if (route.access === 'public' || response.statusCode === 401) return;
          // Anything but 401 is acceptable only when the router could not place the URL on a
          // route at all (undecodable, an id over the length limit, dot segments or a raw slash
          // leading nowhere). The same URL sent bare shows which: it must be answered by the router.
          const bare = await fire({ method: route.method, url, headers: {} });
          const error = bare.json<ErrorBody>().error;
          const unroutable =
            (bare.statusCode === 400 && error.code === 'malformed_request') ||
            bare.statusCode === 414 ||
            (bare.statusCode === 404 && error.message.startsWith('No route'));
          expect(
            unroutable,
            `${route.method} ${url.slice(0, 300)} answered ${response.statusCode} without credentials`,
          ).toBe(true);
        },
      ),
      runs(1_000),
    );
  }, 120_000);

  it('sent at least 10,000 requests and none failed with a server error', () => {
    const seconds = (Date.now() - startedAt) / 1000;
    const byStatus = [...statuses.entries()]
      .sort(([left], [right]) => left - right)
      .map(([status, count]) => `${status}×${count}`)
      .join(' ');
    console.info(`fuzz on ${dialect}: ${requests} requests in ${seconds.toFixed(1)} s (${byStatus})`);
    expect(failures).toBe(0);
    expect(requests).toBeGreaterThanOrEqual(10_000);
    // The generated requests also get through validation to the handlers and the store.
    const succeeded = [...statuses.entries()]
      .filter(([status]) => status < 300)
      .reduce((total, [, count]) => total + count, 0);
    expect(succeeded).toBeGreaterThan(100);
    expect(statuses.get(404) ?? 0).toBeGreaterThan(100);
    expect(statuses.get(409) ?? 0).toBeGreaterThan(0);
  });
});
