import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectsUnderTest, openTestStore } from '../../test/support/stores.js';
import type { Store } from './store.js';

const digestA = `sha256:${'a'.repeat(64)}`;
const digestB = `sha256:${'b'.repeat(64)}`;

describe.each(await dialectsUnderTest())('catalog store on %s', (dialect) => {
  let store: Store;
  let close: () => Promise<void>;
  let actorId: string;

  beforeAll(async () => {
    ({ store, close } = await openTestStore(dialect));
    actorId = (
      await store.principals.create({ name: 'ci', kind: 'system', roles: ['service-owner'] }, undefined)
    ).id;
  });
  afterAll(async () => close());

  it('registers a version once and treats the same digest as idempotent', async () => {
    await store.catalog.createService({ name: 'shop' }, actorId);
    await store.catalog.createComponent({ service: 'shop', name: 'shop-web', kind: 'software' }, actorId);
    const first = await store.catalog.registerVersion(
      'shop-web',
      { version: '1.0.0', digest: digestA, size: 10 },
      actorId,
    );
    const again = await store.catalog.registerVersion(
      'shop-web',
      { version: '1.0.0', digest: digestA, size: 10 },
      actorId,
    );
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.version.id).toBe(first.version.id);
  });

  it('refuses the same version with another digest and changes nothing', async () => {
    await expect(
      store.catalog.registerVersion('shop-web', { version: '1.0.0', digest: digestB, size: 11 }, actorId),
    ).rejects.toMatchObject({
      code: 'version_conflict',
    });
    const kept = await store.catalog.getVersion('shop-web', '1.0.0');
    expect(kept.digest).toBe(digestA);
    expect(kept.size).toBe(10);
    const versions = await store.catalog.listVersions('shop-web', { limit: 10 });
    expect(versions.items).toHaveLength(1);
  });

  it('keeps manifests and pages versions newest first', async () => {
    const manifest = [
      { name: 'rack-rail', kind: 'device' as const, serialNumber: 'SN-1' },
      { name: 'install-guide.pdf', kind: 'document' as const, digest: digestB },
    ];
    await store.catalog.registerVersion(
      'shop-web',
      { version: '1.1.0', digest: digestB, size: 12, manifest },
      actorId,
    );
    await store.catalog.registerVersion('shop-web', { version: '1.2.0', digest: digestA, size: 13 }, actorId);
    const first = await store.catalog.listVersions('shop-web', { limit: 2 });
    expect(first.items.map((v) => v.version)).toEqual(['1.2.0', '1.1.0']);
    expect(first.items[1]?.manifest).toEqual(manifest);
    expect(first.nextCursor).toBeDefined();
    const second = await store.catalog.listVersions('shop-web', {
      limit: 2,
      ...(first.nextCursor !== undefined && { cursor: first.nextCursor }),
    });
    expect(second.items.map((v) => v.version)).toEqual(['1.0.0']);
    expect(second.nextCursor).toBeUndefined();
  });

  it('creates releases of one version per component', async () => {
    await store.catalog.createComponent(
      { service: 'shop', name: 'shop-docs', kind: 'documentation' },
      actorId,
    );
    await store.catalog.registerVersion(
      'shop-docs',
      { version: '2024.1', digest: digestA, size: 1 },
      actorId,
    );
    const release = await store.catalog.createRelease(
      {
        name: 'spring',
        versions: [
          { component: 'shop-web', version: '1.1.0' },
          { component: 'shop-docs', version: '2024.1' },
        ],
      },
      actorId,
    );
    expect(release.versions.map((v) => `${v.component}@${v.version}`)).toEqual([
      'shop-docs@2024.1',
      'shop-web@1.1.0',
    ]);
    await expect(
      store.catalog.createRelease(
        {
          name: 'twice',
          versions: [
            { component: 'shop-web', version: '1.1.0' },
            { component: 'shop-web', version: '1.0.0' },
          ],
        },
        actorId,
      ),
    ).rejects.toMatchObject({ code: 'conflict' });
    await expect(store.catalog.getRelease('twice')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('records the actor of every write in the audit trail', async () => {
    const trail = await store.audit.list({ actorId }, { limit: 100 });
    expect(trail.items.map((event) => event.action)).toEqual(
      expect.arrayContaining([
        'service.created',
        'component.created',
        'version.registered',
        'release.created',
      ]),
    );
    expect(trail.items.every((event) => event.actorId === actorId)).toBe(true);
  });
});
