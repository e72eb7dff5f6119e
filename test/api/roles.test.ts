import type { HTTPMethods } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteAccess, RouteAccessEntry } from '../../src/api/index.js';
import { type Action, isAllowed, permissions, roles } from '../../src/domain/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dialectsUnderTest } from '../support/stores.js';
import { type ErrorBody, send } from './http.js';

const actions = Object.keys(permissions) as Action[];

function isKnownAction(access: RouteAccess): access is Action {
  return (actions as string[]).includes(access);
}

/** The route's URL with every path parameter replaced by a value that names nothing. */
function dummyUrl(route: RouteAccessEntry): string {
  return route.url.replace(/:([A-Za-z0-9_]+)/g, (_match, name: string) => `no-such-${name}`);
}

/** What a route is sent: a JSON object for methods that carry a body, nothing otherwise. */
function dummyBody(route: RouteAccessEntry): unknown {
  return ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined;
}

describe.each(await dialectsUnderTest())('every route against every role on %s', (dialect) => {
  let server: TestServer;
  let routes: RouteAccessEntry[];

  beforeAll(async () => {
    server = await startTestServer(dialect);
    routes = server.app.routeAccess;
  });
  afterAll(async () => server?.close());

  it('knows the access of every route, and every route is registered once per method', () => {
    expect(routes.length).toBeGreaterThan(20);
    const unknown = routes.filter((route) => route.access !== 'public' && !isKnownAction(route.access));
    expect(unknown, 'routes with an access missing from the permission table').toEqual([]);
    const keys = routes.map((route) => `${route.method} ${route.url}`);
    expect(new Set(keys).size).toBe(keys.length);
    // The probes and the API description are public; the resources are not.
    const publicUrls = routes.filter((route) => route.access === 'public').map((route) => route.url);
    expect(publicUrls).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/api/v1/openapi.json']));
    expect(publicUrls).not.toContain('/api/v1/services');
  });

  it.each(roles)('gives %s exactly what the permission table allows', async (role) => {
    const mismatches: string[] = [];
    let allowedCount = 0;
    let forbiddenCount = 0;
    for (const route of routes) {
      if (route.access === 'public') continue;
      if (!isKnownAction(route.access)) throw new Error(`unknown access ${route.access} on ${route.url}`);
      const response = await send(server.app, {
        method: route.method as HTTPMethods,
        url: dummyUrl(route),
        token: server.tokens[role],
        body: dummyBody(route),
      });
      const allowed = isAllowed(route.access, [role]);
      const label = `${route.method} ${route.url} (${route.access}) → ${response.statusCode}`;
      if (response.statusCode >= 500) mismatches.push(`${label}: server error`);
      else if (allowed) {
        allowedCount += 1;
        if (response.statusCode === 401 || response.statusCode === 403)
          mismatches.push(`${label}: should be allowed`);
      } else {
        forbiddenCount += 1;
        const code = response.statusCode === 403 ? response.json<ErrorBody>().error.code : undefined;
        if (code !== 'forbidden') mismatches.push(`${label}: should be 403 forbidden`);
      }
    }
    expect(mismatches).toEqual([]);
    // The role's token is valid: some route lets it through (whoami at least).
    expect(allowedCount).toBeGreaterThan(0);
    expect(allowedCount + forbiddenCount).toBe(routes.filter((route) => route.access !== 'public').length);
  });

  it('explains a refusal with the action and the roles that may perform it', async () => {
    const response = await send(server.app, {
      method: 'POST',
      url: '/api/v1/environments',
      token: server.tokens.auditor,
      body: { name: 'forbidden-env', tier: 'test' },
    });
    expect(response.statusCode).toBe(403);
    const error = response.json<ErrorBody>().error;
    expect(error.code).toBe('forbidden');
    expect(error.details).toMatchObject({
      action: 'environment.write',
      allowedRoles: [...permissions['environment.write']],
    });
    // A refused write changes nothing.
    const lookup = await send(server.app, {
      url: '/api/v1/environments/forbidden-env',
      token: server.adminToken,
    });
    expect(lookup.statusCode).toBe(404);
  });

  it('answers public routes without a token and protected routes only with one', async () => {
    for (const route of routes) {
      const response = await send(server.app, {
        method: route.method as HTTPMethods,
        url: dummyUrl(route),
        body: dummyBody(route),
      });
      const label = `${route.method} ${route.url} → ${response.statusCode}`;
      if (route.access === 'public' && route.url.startsWith('/api/v1/hooks/')) {
        // Inbound webhooks need no token but are authenticated by their signature.
        expect(response.statusCode, label).toBe(401);
        expect(response.json<ErrorBody>().error.code, label).toBe('unauthenticated');
      } else if (route.access === 'public') {
        expect(response.statusCode, label).toBeLessThan(500);
        expect([401, 403], label).not.toContain(response.statusCode);
      } else {
        expect(response.statusCode, label).toBe(401);
        expect(response.json<ErrorBody>().error.code, label).toBe('unauthenticated');
      }
    }
  });
});
