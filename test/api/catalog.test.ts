import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent, Component, Release, Service, Version } from '../../src/domain/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dialectsUnderTest } from '../support/stores.js';
import {
  type Call,
  digestOf,
  expectError,
  expectFieldProblem,
  expectStatus,
  type Page,
  send,
  walkPages,
} from './http.js';

describe.each(await dialectsUnderTest())('catalog over HTTP on %s', (dialect) => {
  let server: TestServer;
  let token: string;
  const call = (request: Omit<Call, 'token'>) => send(server.app, { token, ...request });

  const createService = async (name: string, extra: Record<string, unknown> = {}): Promise<Service> =>
    expectStatus<Service>(
      await call({ method: 'POST', url: '/api/v1/services', body: { name, ...extra } }),
      201,
    );
  const createComponent = async (service: string, name: string, kind = 'software'): Promise<Component> =>
    expectStatus<Component>(
      await call({ method: 'POST', url: '/api/v1/components', body: { service, name, kind } }),
      201,
    );
  const registerVersion = (component: string, body: Record<string, unknown>) =>
    call({ method: 'POST', url: `/api/v1/components/${encodeURIComponent(component)}/versions`, body });
  const allVersions = async (component: string): Promise<Version[]> =>
    (await walkPages<Version>(server.app, token, `/api/v1/components/${component}/versions`, 100)).flat();

  beforeAll(async () => {
    server = await startTestServer(dialect);
    token = server.adminToken;
  });
  afterAll(async () => server?.close());

  describe('services', () => {
    it('creates a service and shows it by id and by name', async () => {
      const created = await createService('billing', { description: 'Invoices', owner: 'team-money' });
      expect(created).toMatchObject({ name: 'billing', description: 'Invoices', owner: 'team-money' });
      const byId = expectStatus<Service>(await call({ url: `/api/v1/services/${created.id}` }), 200);
      const byName = expectStatus<Service>(await call({ url: '/api/v1/services/billing' }), 200);
      expect(byId).toEqual(created);
      expect(byName).toEqual(created);
    });

    it('refuses a second service with the same name and keeps the first', async () => {
      const first = await createService('payroll', { description: 'first' });
      const again = await call({
        method: 'POST',
        url: '/api/v1/services',
        body: { name: 'payroll', description: 'second' },
      });
      expectError(again, 409, 'conflict');
      const shown = expectStatus<Service>(await call({ url: '/api/v1/services/payroll' }), 200);
      expect(shown).toEqual(first);
    });

    it('answers 404 with not_found for an unknown name or id', async () => {
      expectError(await call({ url: '/api/v1/services/no-such-service' }), 404, 'not_found');
      expectError(
        await call({ url: '/api/v1/services/01890000-0000-7000-8000-000000000000' }),
        404,
        'not_found',
      );
    });

    it('walks every page of the list without duplicates or gaps', async () => {
      const names = Array.from({ length: 11 }, (_, index) => `paged-svc-${String(index).padStart(2, '0')}`);
      const created: Service[] = [];
      for (const name of names) created.push(await createService(name));
      const pages = await walkPages<Service>(server.app, token, '/api/v1/services?search=paged-svc', 4);
      expect(pages.map((page) => page.length)).toEqual([4, 4, 3]);
      const listed = pages.flat().map((service) => service.id);
      expect(new Set(listed).size).toBe(listed.length);
      // The list is in creation order, so the walk returns exactly what was created, in order.
      expect(listed).toEqual(created.map((service) => service.id));
    });

    it('filters by a name fragment', async () => {
      await createService('search-apple');
      await createService('search-apricot');
      await createService('search-banana');
      const page = expectStatus<Page<Service>>(await call({ url: '/api/v1/services?search=search-ap' }), 200);
      expect(page.items.map((service) => service.name).sort()).toEqual(['search-apple', 'search-apricot']);
      const none = expectStatus<Page<Service>>(await call({ url: '/api/v1/services?search=zzz-none' }), 200);
      expect(none.items).toEqual([]);
      expect(none.nextCursor).toBeUndefined();
    });

    it('refuses a cursor it did not issue and a limit out of range', async () => {
      expectFieldProblem(await call({ url: '/api/v1/services?cursor=not-a-cursor' }), '/querystring/cursor');
      expectFieldProblem(await call({ url: '/api/v1/services?limit=0' }), '/querystring/limit');
      expectFieldProblem(await call({ url: '/api/v1/services?limit=501' }), '/querystring/limit');
      expectFieldProblem(await call({ url: '/api/v1/services?limit=ten' }), '/querystring/limit');
    });
  });

  describe('components', () => {
    let shop: Service;
    let warehouse: Service;
    beforeAll(async () => {
      shop = await createService('shop');
      warehouse = await createService('warehouse');
      await createComponent('shop', 'shop-web', 'software');
      await createComponent('shop', 'shop-db', 'data');
      await createComponent(shop.id, 'shop-manual', 'documentation');
      await createComponent('shop', 'shop-licence', 'licence');
      await createComponent('warehouse', 'wh-scanner', 'hardware');
      await createComponent('warehouse', 'wh-network', 'infrastructure');
      await createComponent('warehouse', 'wh-stocktake', 'process');
      await createComponent('warehouse', 'wh-api', 'software');
    });

    it('creates a component of each kind and shows it by id and by name', async () => {
      const scanner = expectStatus<Component>(await call({ url: '/api/v1/components/wh-scanner' }), 200);
      expect(scanner).toMatchObject({
        name: 'wh-scanner',
        kind: 'hardware',
        service: 'warehouse',
        serviceId: warehouse.id,
      });
      const byId = expectStatus<Component>(await call({ url: `/api/v1/components/${scanner.id}` }), 200);
      expect(byId).toEqual(scanner);
      const kinds = (await walkPages<Component>(server.app, token, '/api/v1/components', 3))
        .flat()
        .map((component) => component.kind);
      expect(new Set(kinds)).toEqual(
        new Set(['software', 'data', 'documentation', 'licence', 'hardware', 'infrastructure', 'process']),
      );
    });

    it('filters by service (name or id), kind and search, alone and together', async () => {
      const names = async (query: string) =>
        (await walkPages<Component>(server.app, token, `/api/v1/components?${query}`, 2))
          .flat()
          .map((component) => component.name);
      expect(await names('service=shop')).toEqual(['shop-web', 'shop-db', 'shop-manual', 'shop-licence']);
      expect(await names(`service=${warehouse.id}`)).toEqual([
        'wh-scanner',
        'wh-network',
        'wh-stocktake',
        'wh-api',
      ]);
      expect(await names('kind=software')).toEqual(['shop-web', 'wh-api']);
      expect(await names('service=warehouse&kind=software')).toEqual(['wh-api']);
      expect(await names('search=wh-s')).toEqual(['wh-scanner', 'wh-stocktake']);
      expect(await names('service=shop&search=wh-')).toEqual([]);
      expectFieldProblem(await call({ url: '/api/v1/components?kind=firmware' }), '/querystring/kind');
    });

    it('walks every page without duplicates or gaps', async () => {
      const everything = expectStatus<Page<Component>>(
        await call({ url: '/api/v1/components?limit=500' }),
        200,
      );
      expect(everything.nextCursor).toBeUndefined();
      for (const limit of [1, 3, 7, 8]) {
        const pages = await walkPages<Component>(server.app, token, '/api/v1/components', limit);
        expect(pages.flat().map((component) => component.id)).toEqual(
          everything.items.map((component) => component.id),
        );
        expect(pages.slice(0, -1).every((page) => page.length === limit)).toBe(true);
      }
    });

    it('refuses a component of an unknown service or kind, or a duplicate name', async () => {
      expectError(
        await call({
          method: 'POST',
          url: '/api/v1/components',
          body: { service: 'nowhere', name: 'orphan', kind: 'software' },
        }),
        404,
        'not_found',
      );
      expectFieldProblem(
        await call({
          method: 'POST',
          url: '/api/v1/components',
          body: { service: 'shop', name: 'gadget', kind: 'firmware' },
        }),
        '/body/kind',
      );
      expectError(
        await call({
          method: 'POST',
          url: '/api/v1/components',
          body: { service: 'warehouse', name: 'shop-web', kind: 'software' },
        }),
        409,
        'conflict',
      );
      expectError(await call({ url: '/api/v1/components/orphan' }), 404, 'not_found');
      expectError(await call({ url: '/api/v1/components/gadget' }), 404, 'not_found');
      const shopWeb = expectStatus<Component>(await call({ url: '/api/v1/components/shop-web' }), 200);
      expect(shopWeb.service).toBe(shop.name);
    });
  });

  describe('versions', () => {
    beforeAll(async () => {
      await createService('ledger');
      await createComponent('ledger', 'ledger-api');
      await createComponent('ledger', 'ledger-rack', 'hardware');
    });

    it('registers a version with its manifest and shows it by version string and by id', async () => {
      const body = {
        version: '1.0.0',
        digest: digestOf('ledger-api 1.0.0'),
        size: 52_428_800,
        sourceUri: 'https://artifacts.example.com/ledger-api/1.0.0.tar.gz',
        manifest: [
          { name: 'bin/ledger', kind: 'file', digest: digestOf('bin/ledger') },
          { name: 'licence.key', kind: 'licence-key', serialNumber: 'LIC-0001' },
        ],
        changelog: 'First release.',
        commitSha: 'abc1234',
        committedAt: '2024-05-01T10:00:00.000Z',
      };
      const created = expectStatus<Version>(await registerVersion('ledger-api', body), 201);
      expect(created).toMatchObject({ ...body, component: 'ledger-api' });
      const byString = expectStatus<Version>(
        await call({ url: '/api/v1/components/ledger-api/versions/1.0.0' }),
        200,
      );
      const byId = expectStatus<Version>(
        await call({ url: `/api/v1/components/${created.componentId}/versions/${created.id}` }),
        200,
      );
      expect(byString).toEqual(created);
      expect(byId).toEqual(created);
    });

    it('registers hardware by serial numbers alone', async () => {
      const created = expectStatus<Version>(
        await registerVersion('ledger-rack', {
          version: 'rev-7',
          digest: digestOf('rack rev-7 bill of materials'),
          size: 0,
          manifest: [
            { name: 'chassis', kind: 'device', serialNumber: 'SN-1001' },
            { name: 'psu', kind: 'device', serialNumber: 'SN-1002' },
          ],
        }),
        201,
      );
      expect(created.manifest?.map((part) => part.serialNumber)).toEqual(['SN-1001', 'SN-1002']);
    });

    it('treats the same version and digest again as the same registration', async () => {
      const body = { version: '2.0.0', digest: digestOf('ledger-api 2.0.0'), size: 10 };
      const first = expectStatus<Version>(await registerVersion('ledger-api', body), 201);
      const second = expectStatus<Version>(await registerVersion('ledger-api', body), 200);
      expect(second).toEqual(first);
      const versions = await allVersions('ledger-api');
      expect(versions.filter((version) => version.version === '2.0.0')).toHaveLength(1);
    });

    it('refuses the same version with another digest with 409 and changes nothing', async () => {
      const body = {
        version: '3.0.0',
        digest: digestOf('ledger-api 3.0.0'),
        size: 300,
        sourceUri: 'https://artifacts.example.com/ledger-api/3.0.0.tar.gz',
      };
      const original = expectStatus<Version>(await registerVersion('ledger-api', body), 201);
      const versionsBefore = await allVersions('ledger-api');
      const auditUrl = `/api/v1/audit?action=version.registered&subjectId=${original.componentId}&limit=500`;
      const auditBefore = expectStatus<Page<AuditEvent>>(await call({ url: auditUrl }), 200).items;

      const tampered = await registerVersion('ledger-api', {
        version: '3.0.0',
        digest: digestOf('something else entirely'),
        size: 999,
        sourceUri: 'https://evil.example.com/ledger-api.tar.gz',
        manifest: [{ name: 'backdoor', kind: 'file', digest: digestOf('backdoor') }],
      });
      const error = expectError(tampered, 409, 'version_conflict');
      expect(error.details).toMatchObject({
        version: '3.0.0',
        registeredDigest: body.digest,
        offeredDigest: digestOf('something else entirely'),
      });

      const reread = expectStatus<Version>(
        await call({ url: '/api/v1/components/ledger-api/versions/3.0.0' }),
        200,
      );
      expect(reread).toEqual(original);
      expect(reread.manifest).toBeUndefined();
      expect(await allVersions('ledger-api')).toEqual(versionsBefore);
      const auditAfter = expectStatus<Page<AuditEvent>>(await call({ url: auditUrl }), 200).items;
      expect(auditAfter).toEqual(auditBefore);
      expect(auditAfter.filter((event) => event.details.version === '3.0.0')).toHaveLength(1);
    });

    it('lists versions newest first across pages', async () => {
      await createComponent('ledger', 'ledger-worker');
      const registered: Version[] = [];
      for (let minor = 0; minor < 7; minor += 1) {
        const version = `0.${minor}.0`;
        registered.push(
          expectStatus<Version>(
            await registerVersion('ledger-worker', {
              version,
              digest: digestOf(`worker ${version}`),
              size: minor,
            }),
            201,
          ),
        );
      }
      const pages = await walkPages<Version>(
        server.app,
        token,
        '/api/v1/components/ledger-worker/versions',
        3,
      );
      expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
      expect(pages.flat().map((version) => version.id)).toEqual(
        registered.map((version) => version.id).reverse(),
      );
    });

    it('answers 404 for an unknown component or version', async () => {
      expectError(
        await registerVersion('no-such-component', { version: '1.0.0', digest: digestOf('x'), size: 1 }),
        404,
        'not_found',
      );
      expectError(await call({ url: '/api/v1/components/no-such-component/versions' }), 404, 'not_found');
      expectError(await call({ url: '/api/v1/components/ledger-api/versions/9.9.9' }), 404, 'not_found');
      expectError(
        await call({ url: '/api/v1/components/ledger-api/versions/01890000-0000-7000-8000-000000000000' }),
        404,
        'not_found',
      );
    });
  });

  describe('releases', () => {
    let app100: Version;
    let db100: Version;
    beforeAll(async () => {
      await createService('portal');
      await createComponent('portal', 'portal-app');
      await createComponent('portal', 'portal-schema', 'data');
      app100 = expectStatus<Version>(
        await registerVersion('portal-app', { version: '1.0.0', digest: digestOf('portal-app 1'), size: 1 }),
        201,
      );
      db100 = expectStatus<Version>(
        await registerVersion('portal-schema', { version: '1.0.0', digest: digestOf('schema 1'), size: 2 }),
        201,
      );
    });

    it('creates a release of versions of several components and shows it by id and by name', async () => {
      const created = expectStatus<Release>(
        await call({
          method: 'POST',
          url: '/api/v1/releases',
          body: {
            name: 'portal-2024.1',
            notes: 'Spring release',
            versions: [
              { component: 'portal-schema', version: '1.0.0' },
              { component: app100.componentId, version: app100.id },
            ],
          },
        }),
        201,
      );
      expect(created.name).toBe('portal-2024.1');
      expect(created.notes).toBe('Spring release');
      expect(created.versions).toEqual([
        {
          componentId: app100.componentId,
          component: 'portal-app',
          versionId: app100.id,
          version: '1.0.0',
          digest: app100.digest,
        },
        {
          componentId: db100.componentId,
          component: 'portal-schema',
          versionId: db100.id,
          version: '1.0.0',
          digest: db100.digest,
        },
      ]);
      expect(expectStatus<Release>(await call({ url: `/api/v1/releases/${created.id}` }), 200)).toEqual(
        created,
      );
      expect(expectStatus<Release>(await call({ url: '/api/v1/releases/portal-2024.1' }), 200)).toEqual(
        created,
      );
    });

    it('walks the release list without duplicates or gaps', async () => {
      const created: string[] = [];
      for (let index = 0; index < 5; index += 1) {
        const release = expectStatus<Release>(
          await call({
            method: 'POST',
            url: '/api/v1/releases',
            body: {
              name: `portal-paged-${index}`,
              versions: [{ component: 'portal-app', version: '1.0.0' }],
            },
          }),
          201,
        );
        created.push(release.id);
      }
      const listed = (await walkPages<Release>(server.app, token, '/api/v1/releases', 2)).flat();
      expect(new Set(listed.map((release) => release.id)).size).toBe(listed.length);
      expect(listed.map((release) => release.id).filter((id) => created.includes(id))).toEqual(created);
      expect(listed.every((release) => release.versions.length > 0)).toBe(true);
    });

    it('refuses unknown versions, two versions of one component, duplicate names and empty releases', async () => {
      const create = (body: Record<string, unknown>) =>
        call({ method: 'POST', url: '/api/v1/releases', body });
      expectError(
        await create({ name: 'bad-1', versions: [{ component: 'portal-app', version: '7.7.7' }] }),
        404,
        'not_found',
      );
      await registerVersion('portal-app', { version: '1.1.0', digest: digestOf('portal-app 1.1'), size: 1 });
      expectError(
        await create({
          name: 'bad-2',
          versions: [
            { component: 'portal-app', version: '1.0.0' },
            { component: 'portal-app', version: '1.1.0' },
          ],
        }),
        409,
        'conflict',
      );
      expectError(
        await create({ name: 'portal-2024.1', versions: [{ component: 'portal-app', version: '1.1.0' }] }),
        409,
        'conflict',
      );
      expectFieldProblem(await create({ name: 'bad-3', versions: [] }), '/body/versions');
      for (const name of ['bad-1', 'bad-2', 'bad-3']) {
        expectError(await call({ url: `/api/v1/releases/${name}` }), 404, 'not_found');
      }
      const kept = expectStatus<Release>(await call({ url: '/api/v1/releases/portal-2024.1' }), 200);
      expect(kept.versions.map((member) => member.versionId)).toContain(app100.id);
    });
  });

  describe('malformed input', () => {
    const valid = { version: '1.0.0', digest: digestOf('validated'), size: 1 };
    let componentId: string;
    beforeAll(async () => {
      await createService('strict');
      componentId = (await createComponent('strict', 'strict-app')).id;
    });
    const post = (request: Omit<Call, 'token' | 'method' | 'url'>) =>
      call({ method: 'POST', url: '/api/v1/components/strict-app/versions', ...request });

    it('names the bad field of a body that breaks the schema', async () => {
      expectFieldProblem(await post({ body: { ...valid, digest: 'md5:abc' } }), '/body/digest');
      expectFieldProblem(await post({ body: { ...valid, digest: undefined } }), '/body/digest');
      expectFieldProblem(await post({ body: { ...valid, size: -1 } }), '/body/size');
      expectFieldProblem(await post({ body: { ...valid, version: '../etc' } }), '/body/version');
      expectFieldProblem(await post({ body: { ...valid, sourceUri: 'not a uri' } }), '/body/sourceUri');
      expectFieldProblem(
        await post({ body: { ...valid, manifest: [{ name: 'a', kind: 'file', digest: 'nope' }] } }),
        '/body/manifest/0/digest',
      );
      expectFieldProblem(
        await post({ body: { ...valid, manifest: [{ name: 'a', kind: 'spaceship', serialNumber: 'x' }] } }),
        '/body/manifest/0/kind',
      );
    });

    it('refuses a manifest part identified by neither digest nor serial number, and duplicate parts', async () => {
      expectFieldProblem(
        await post({ body: { ...valid, manifest: [{ name: 'cable', kind: 'device' }] } }),
        '/body/manifest/0',
      );
      expectFieldProblem(
        await post({
          body: {
            ...valid,
            manifest: [
              { name: 'same', kind: 'file', digest: digestOf('a') },
              { name: 'same', kind: 'file', digest: digestOf('b') },
            ],
          },
        }),
        '/body/manifest/1/name',
      );
    });

    it('refuses unknown properties, at the top and inside the manifest', async () => {
      const response = await post({ body: { ...valid, colour: 'blue' } });
      expectFieldProblem(response, '/body/colour');
      expect(response.json<{ error: { message: string } }>().error.message).toContain('not a known property');
      expectFieldProblem(
        await post({
          body: { ...valid, manifest: [{ name: 'a', kind: 'file', digest: valid.digest, extra: 1 }] },
        }),
        '/body/manifest/0/extra',
      );
    });

    it('does not coerce JSON types: a number is not a string, a string is not a number', async () => {
      expectFieldProblem(await post({ body: { ...valid, version: 100 } }), '/body/version');
      expectFieldProblem(await post({ body: { ...valid, size: '1' } }), '/body/size');
      expectFieldProblem(await post({ body: { ...valid, manifest: { name: 'a' } } }), '/body/manifest');
      expectFieldProblem(await post({ body: [valid] }), '/body');
    });

    it('answers 400 to invalid JSON, 415 to another media type and 413 to an oversized body', async () => {
      expectError(await post({ raw: '{"version": "1.0.0", ' }), 400, 'malformed_request');
      expectError(await post({ raw: '' }), 400, 'malformed_request');
      expectError(
        await post({ raw: JSON.stringify(valid), contentType: 'application/xml' }),
        415,
        'unsupported_media_type',
      );
      expectError(
        await post({ raw: JSON.stringify(valid), contentType: 'text/plain' }),
        415,
        'unsupported_media_type',
      );
      expectError(
        await post({ raw: 'version=1.0.0', contentType: 'application/x-www-form-urlencoded' }),
        415,
        'unsupported_media_type',
      );
      expectError(
        await post({ body: { ...valid, changelog: 'x'.repeat(1024 * 1024 + 1) } }),
        413,
        'payload_too_large',
      );
    });

    it('refuses the NUL character in any text, the same way on every store', async () => {
      expectFieldProblem(
        await post({ body: { ...valid, changelog: 'line one\u0000line two' } }),
        '/body/changelog',
      );
      expectFieldProblem(
        await post({
          body: { ...valid, manifest: [{ name: 'a', kind: 'device', serialNumber: 'SN\u00001' }] },
        }),
        '/body/manifest/0/serialNumber',
      );
      expectFieldProblem(
        await call({
          method: 'POST',
          url: '/api/v1/services',
          body: { name: 'nul-svc', description: 'a\u0000b' },
        }),
        '/body/description',
      );
      expectFieldProblem(await call({ url: '/api/v1/services/nul%00svc' }), '/params/service');
      expectFieldProblem(await call({ url: '/api/v1/components?search=%00' }), '/querystring/search');
      expectError(await call({ url: '/api/v1/services/nul-svc' }), 404, 'not_found');
    });

    it('registers nothing for any refused request', async () => {
      // Every request above was refused; the component still has no versions and no audit entries.
      expect(await allVersions('strict-app')).toEqual([]);
      const audit = expectStatus<Page<AuditEvent>>(
        await call({ url: `/api/v1/audit?action=version.registered&subjectId=${componentId}` }),
        200,
      );
      expect(audit.items).toEqual([]);
      expect(expectStatus<Version>(await post({ body: valid }), 201).version).toBe('1.0.0');
    });
  });
});
