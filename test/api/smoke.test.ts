import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestServer, type TestServer } from '../support/server.js';
import { dialectsUnderTest } from '../support/stores.js';

describe.each(await dialectsUnderTest())('API basics on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(dialect);
  });
  afterAll(async () => server.close());

  it('serves health, readiness and an OpenAPI 3.1 document', async () => {
    expect((await server.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const ready = await server.app.inject({ url: '/readyz' });
    expect(ready.json()).toMatchObject({ status: 'ready', store: dialect });
    const openapi = (await server.app.inject({ url: '/api/v1/openapi.json' })).json();
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toContain('/api/v1/components/{component}/versions');
  });

  it('lists every route with its declared access', () => {
    const routes = server.app.routeAccess.map((route) => `${route.method} ${route.url} ${route.access}`);
    expect(routes).toContain('POST /api/v1/components/:component/versions version.register');
    expect(routes).toContain('GET /healthz public');
  });

  it('requires a token and names the bad field of a malformed body', async () => {
    expect((await server.app.inject({ url: '/api/v1/services' })).statusCode).toBe(401);
    const response = await server.app.inject({
      method: 'POST',
      url: '/api/v1/services',
      headers: bearer(server.adminToken),
      payload: { name: 42 },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'validation_failed',
      details: { problems: [{ path: '/body/name' }] },
    });
  });
});
