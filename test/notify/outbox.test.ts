import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCdEvents, WebhookWorker } from '../../src/notify/index.js';
import { applyModel, digestOf, type EngineHarness, startEngine, waitForState } from '../support/engine.js';
import { dialectsUnderTest } from '../support/stores.js';

const model = `
apiVersion: slipway/v1
kind: DeploymentModel
name: notify-web
appliesTo: { componentKinds: [software] }
stages:
  - name: staging
    environment: notify-staging
    steps:
      - name: install
        type: shell
        command: "echo installing {{ version }}"
    acceptance:
      - name: refuses-bad-versions
        type: shell
        command: "case '{{ version }}' in *bad*) exit 3;; esac"
    rollback:
      - name: restore
        type: shell
        command: "echo restoring"
`;

describe.each(await dialectsUnderTest())('the notify outbox with real deployments on %s', (dialect) => {
  let harness: EngineHarness;
  let serviceId: string;
  let environmentId: string;

  beforeAll(async () => {
    harness = await startEngine(dialect);
    const { store, manager } = harness;
    serviceId = (await store.catalog.createService({ name: 'shop' }, manager.id)).id;
    await store.catalog.createComponent({ service: 'shop', name: 'shop-web', kind: 'software' }, manager.id);
    environmentId = (await store.environments.create({ name: 'notify-staging', tier: 'staging' }, manager.id))
      .id;
    await store.environments.createTarget('notify-staging', { name: 'stg-1', kind: 'host' }, manager.id);
    await applyModel(harness, model);
  });
  afterAll(async () => harness.close());

  const deploy = async (version: string, digest: string) => {
    const { store, commands, owner } = harness;
    await store.catalog.registerVersion('shop-web', { version, digest, size: 1 }, owner.id);
    const requested = await commands.request(
      { versions: [{ component: 'shop-web', version }], environment: 'notify-staging' },
      owner,
    );
    return waitForState(store, requested.id);
  };

  const appendOutcome = (deploymentId: string) =>
    harness.store.db
      .transaction()
      .execute(async (trx) => harness.store.scope(trx).outbox.appendDeploymentOutcome(deploymentId));

  it('turns finished deployments into events with their services, versions and environment', async () => {
    const first = await deploy('1.0.0', digestOf('a'));
    expect(first.state).toBe('succeeded');
    const installed = await appendOutcome(first.id);
    expect(installed).toMatchObject({
      type: 'deployment.succeeded',
      occurredAt: first.finishedAt,
      data: {
        deploymentId: first.id,
        flowId: first.flowId,
        stage: 'staging',
        kind: 'install',
        state: 'succeeded',
        environment: { id: environmentId, name: 'notify-staging', tier: 'staging' },
        versions: [
          {
            service: { id: serviceId, name: 'shop' },
            component: 'shop-web',
            version: '1.0.0',
            digest: digestOf('a'),
          },
        ],
        requestedBy: harness.owner.id,
      },
    });

    const second = await deploy('1.1.0', digestOf('b'));
    const upgraded = await appendOutcome(second.id);
    expect(upgraded?.type).toBe('deployment.succeeded');
    const version = upgraded?.type === 'deployment.succeeded' ? upgraded.data.versions[0] : undefined;
    expect(version).toMatchObject({
      version: '1.1.0',
      previousVersion: '1.0.0',
      previousDigest: digestOf('a'),
    });
    const [cdevent] = upgraded === undefined ? [] : toCdEvents(upgraded, { source: '/slipway' });
    expect(cdevent?.context.type).toBe('dev.cdevents.service.upgraded.0.2.0');
    expect(cdevent?.subject.content).toMatchObject({
      environment: { id: 'notify-staging' },
      artifactId: `pkg:generic/shop/shop-web@1.1.0?checksum=${digestOf('b')}`,
    });

    const bad = await deploy('1.2.0-bad', digestOf('c'));
    expect(bad.state).toBe('rolled-back');
    const rolledBack = await appendOutcome(bad.id);
    expect(rolledBack).toMatchObject({ type: 'deployment.rolled-back', data: { state: 'rolled-back' } });
    const [rollbackEvent] = rolledBack === undefined ? [] : toCdEvents(rolledBack, { source: '/slipway' });
    expect(rollbackEvent?.context.type).toBe('dev.cdevents.service.rolledback.0.2.0');
    expect(rollbackEvent?.subject.content.artifactId).toBe(
      `pkg:generic/shop/shop-web@1.1.0?checksum=${digestOf('b')}`,
    );

    expect(
      await harness.store.outbox.appendDeploymentOutcome('01900000-0000-7000-8000-000000000000'),
    ).toBeUndefined();
  });

  it('is written by the engine in the transaction that finishes a deployment', async () => {
    const rows = async () =>
      harness.store.db.selectFrom('notify_outbox').select(['type', 'payload']).execute();
    const before = (await rows()).length;
    const finished = await deploy('3.0.0', digestOf('e'));
    expect(finished.state).toBe('succeeded');
    const written = (await rows()).slice(before).filter((row) => row.payload.includes(finished.id));
    expect(written.map((row) => row.type)).toEqual(['deployment.succeeded']);
  });

  it('keeps an event only when the transaction that wrote it commits', async () => {
    const { store, manager } = harness;
    const deployment = await deploy('1.3.0', digestOf('d'));
    // The engine already wrote this deployment's outcome; a rolled-back write adds nothing.
    const before = await store.outbox.pendingCount();
    await expect(
      store.db.transaction().execute(async (trx) => {
        await store.scope(trx).outbox.appendDeploymentOutcome(deployment.id);
        throw new Error('the transition failed');
      }),
    ).rejects.toThrow('the transition failed');
    expect(await store.outbox.pendingCount()).toBe(before);

    // Events fan out to subscriptions filtered by the real service and environment ids.
    const subscription = await store.webhooks.createSubscription(
      { url: 'http://127.0.0.1:9/unused', secret: 's', format: 'plain', serviceId, environmentId },
      manager.id,
    );
    await appendOutcome(deployment.id);
    await new WebhookWorker(store).fanOut();
    const deliveries = await store.webhooks.listDeliveries(
      { subscriptionId: subscription.id },
      { limit: 10 },
    );
    expect(deliveries.items.map((delivery) => JSON.parse(delivery.payload).data.deploymentId)).toContain(
      deployment.id,
    );
    expect(await store.outbox.pendingCount()).toBe(0);
  });
});
