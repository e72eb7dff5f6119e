import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment, Principal } from '../../src/domain/index.js';
import { type IncidentNotifyEvent, WebhookHeader, WebhookWorker } from '../../src/notify/index.js';
import type {
  Incident,
  IncidentLink,
  WebhookDelivery,
  WebhookDeliveryAttempt,
  WebhookSubscription,
} from '../../src/store/index.js';
import { waitForState } from '../support/engine.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dialectsUnderTest } from '../support/stores.js';
import { type Call, digestOf, expectError, expectStatus, type Page, send } from './http.js';

/** Software goes to dev or staging by itself. */
const webModel = `apiVersion: slipway/v1
kind: DeploymentModel
name: web
appliesTo: { componentKinds: [software] }
stages:
  - name: dev
    environment: dev
    steps:
      - name: install
        type: shell
        command: "echo installing {{ component }} {{ version }}"
  - name: staging
    environment: staging
    steps:
      - name: install
        type: shell
        command: "echo staging {{ component }} {{ version }}"
`;

const day = 24 * 60 * 60 * 1000;

interface IncidentWithLinks {
  incident: Incident;
  links: IncidentLink[];
}

describe.each(await dialectsUnderTest())('incidents and outbound webhooks over HTTP on %s', (dialect) => {
  let server: TestServer;
  let receiver: Receiver;
  const as = (token: string) => (request: Omit<Call, 'token'>) => send(server.app, { ...request, token });
  const admin = (request: Omit<Call, 'token'>) => as(server.adminToken)(request);
  const manager = (request: Omit<Call, 'token'>) => as(server.tokens['deployment-manager'])(request);
  const practitioner = (request: Omit<Call, 'token'>) => as(server.tokens.practitioner)(request);
  const deployed: Record<string, Deployment> = {};
  let incident: Incident;

  /** Registers a version and deploys it, and waits until it has finished. */
  const deploy = async (component: string, version: string, environment: string): Promise<Deployment> => {
    const registered = await practitioner({
      method: 'POST',
      url: `/api/v1/components/${component}/versions`,
      body: { version, digest: digestOf(`${component}@${version}`), size: 1 },
    });
    expect([200, 201]).toContain(registered.statusCode);
    const requested = expectStatus<Deployment>(
      await practitioner({
        method: 'POST',
        url: '/api/v1/deployments',
        body: { component, version, environment },
      }),
      201,
    );
    const finished = await waitForState(server.store, requested.id);
    expect(finished.state).toBe('succeeded');
    return finished;
  };

  beforeAll(async () => {
    server = await startTestServer(dialect, { engine: true });
    receiver = await startReceiver();
    for (const [name, tier] of [
      ['dev', 'development'],
      ['staging', 'staging'],
    ] as const) {
      expectStatus(await admin({ method: 'POST', url: '/api/v1/environments', body: { name, tier } }), 201);
      expectStatus(
        await admin({
          method: 'POST',
          url: `/api/v1/environments/${name}/targets`,
          body: { name: `${name}-1`, kind: 'host' },
        }),
        201,
      );
    }
    for (const [service, components] of [
      ['shop', ['shop-web', 'shop-api']],
      ['blog', ['blog-web']],
    ] as const) {
      expectStatus(await admin({ method: 'POST', url: '/api/v1/services', body: { name: service } }), 201);
      for (const name of components) {
        expectStatus(
          await admin({
            method: 'POST',
            url: '/api/v1/components',
            body: { service, name, kind: 'software' },
          }),
          201,
        );
      }
    }
    expectStatus(await manager({ method: 'POST', url: '/api/v1/models', body: { source: webModel } }), 201);
    // One after the other, so that each finished after the one before.
    deployed.oldWeb = await deploy('shop-web', '1.0.0', 'staging');
    deployed.api = await deploy('shop-api', '2.0.0', 'staging');
    deployed.web = await deploy('shop-web', '1.1.0', 'staging');
    deployed.devWeb = await deploy('shop-web', '1.1.0', 'dev');
    deployed.blog = await deploy('blog-web', '0.9.0', 'staging');
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  it('links an incident to the recent deployments into its service and environment, newest first', async () => {
    // The incident starts just under a day after shop-api finished: the first shop-web
    // deployment, which finished before it, is outside the 24-hour window.
    const startedAt = new Date(Date.parse(deployed.api?.finishedAt as string) + day - 1).toISOString();
    const registered = expectStatus<IncidentWithLinks>(
      await practitioner({
        method: 'POST',
        url: '/api/v1/incidents',
        body: {
          service: 'shop',
          environment: 'staging',
          severity: 'high',
          title: 'Checkout answers 502',
          startedAt,
          source: 'pager',
          externalId: 'PD-42',
        },
      }),
      201,
    );
    incident = registered.incident;
    expect(incident).toMatchObject({
      service: 'shop',
      environment: 'staging',
      severity: 'high',
      startedAt,
      source: 'pager',
      externalId: 'PD-42',
    });
    expect(incident.resolvedAt).toBeUndefined();
    expect(registered.links.map((link) => link.deploymentId)).toEqual([deployed.web?.id, deployed.api?.id]);
    const [newest, older] = registered.links;
    expect(newest).toMatchObject({ state: 'suggested', deploymentState: 'succeeded' });
    expect(newest?.reason).toMatch(
      /^shop-web 1\.1\.0 succeeded in staging 2\d h( \d+ min)? before the incident started\.$/,
    );
    expect(older?.reason).toContain('shop-api 2.0.0 succeeded in staging');
    expect(newest?.score).toBeGreaterThanOrEqual(older?.score ?? 0);

    const links = expectStatus<{ items: IncidentLink[] }>(
      await as(server.tokens.auditor)({ url: `/api/v1/incidents/${incident.id}/links` }),
      200,
    ).items;
    expect(links).toEqual(registered.links);
  });

  it('records who confirmed or rejected each link and when', async () => {
    const whoami = async (token: string) =>
      expectStatus<Principal>(await as(token)({ url: '/api/v1/whoami' }), 200);
    const practitionerId = (await whoami(server.tokens.practitioner)).id;
    const managerId = (await whoami(server.tokens['deployment-manager'])).id;
    const linkUrl = (deployment: Deployment | undefined, decision: string) =>
      `/api/v1/incidents/${incident.id}/links/${deployment?.id}/${decision}`;

    expectError(
      await as(server.tokens.auditor)({ method: 'POST', url: linkUrl(deployed.web, 'confirm'), body: {} }),
      403,
      'forbidden',
    );
    const confirmed = expectStatus<IncidentLink>(
      await practitioner({
        method: 'POST',
        url: linkUrl(deployed.web, 'confirm'),
        body: { comment: 'The 502s began with the new upstream timeout in 1.1.0.' },
      }),
      200,
    );
    expect(confirmed).toMatchObject({
      state: 'confirmed',
      decidedBy: practitionerId,
      comment: 'The 502s began with the new upstream timeout in 1.1.0.',
    });
    expect(Date.parse(confirmed.decidedAt as string)).not.toBeNaN();
    const rejected = expectStatus<IncidentLink>(
      await manager({ method: 'POST', url: linkUrl(deployed.api, 'reject'), body: {} }),
      200,
    );
    expect(rejected).toMatchObject({ state: 'rejected', decidedBy: managerId });
    // A deployment correlation did not link cannot be confirmed.
    expectError(
      await manager({ method: 'POST', url: linkUrl(deployed.oldWeb, 'confirm'), body: {} }),
      404,
      'not_found',
    );

    const links = expectStatus<{ items: IncidentLink[] }>(
      await manager({ url: `/api/v1/incidents/${incident.id}/links` }),
      200,
    ).items;
    expect(links.map((link) => [link.deploymentId, link.state])).toEqual([
      [deployed.web?.id, 'confirmed'],
      [deployed.api?.id, 'rejected'],
    ]);
    const audit = await server.store.audit.list(
      { subjectType: 'incident', subjectId: incident.id },
      { limit: 50 },
    );
    expect(audit.items.map((entry) => [entry.action, entry.actorId])).toEqual([
      ['incident.registered', practitionerId],
      ['incident-link.confirmed', practitionerId],
      ['incident-link.rejected', managerId],
    ]);
  });

  it('updates the incident a tool reports again, keeping the decisions, and lists it as resolved', async () => {
    const resolvedAt = new Date(Date.parse(incident.startedAt) + 45 * 60_000).toISOString();
    const again = expectStatus<IncidentWithLinks>(
      await practitioner({
        method: 'POST',
        url: '/api/v1/incidents',
        body: {
          service: 'shop',
          environment: 'staging',
          severity: 'critical',
          title: 'Checkout answers 502',
          startedAt: incident.startedAt,
          resolvedAt,
          source: 'pager',
          externalId: 'PD-42',
        },
      }),
      200,
    );
    expect(again.incident).toMatchObject({ id: incident.id, severity: 'critical', resolvedAt });
    expect(again.links.map((link) => link.state)).toEqual(['confirmed', 'rejected']);
    const open = expectStatus<Page<Incident>>(await manager({ url: '/api/v1/incidents?open=true' }), 200);
    expect(open.items).toEqual([]);
    const resolved = expectStatus<Page<Incident>>(
      await manager({ url: '/api/v1/incidents?open=false&service=shop' }),
      200,
    );
    expect(resolved.items.map((item) => item.id)).toEqual([incident.id]);
    expectError(
      await practitioner({
        method: 'POST',
        url: '/api/v1/incidents',
        body: {
          service: 'shop',
          environment: 'staging',
          severity: 'low',
          title: 'Backwards',
          startedAt: resolvedAt,
          resolvedAt: incident.startedAt,
        },
      }),
      400,
      'validation_failed',
    );
  });

  it('manages webhook subscriptions, records each delivery with its attempts, and redelivers one', async () => {
    const worker = new WebhookWorker(server.store);
    const subscription = expectStatus<WebhookSubscription>(
      await manager({
        method: 'POST',
        url: '/api/v1/webhook-subscriptions',
        body: {
          description: 'Service desk',
          url: `${receiver.url}/hooks/slipway`,
          secret: 'receiver-secret-0123456789',
          service: 'shop',
          eventTypes: ['incident.detected', 'incident.resolved'],
          format: 'plain',
        },
      }),
      201,
    );
    expect(JSON.stringify(subscription)).not.toContain('receiver-secret');
    expectError(
      await practitioner({
        method: 'POST',
        url: '/api/v1/webhook-subscriptions',
        body: { url: receiver.url, secret: 'receiver-secret-0123456789', format: 'plain' },
      }),
      403,
      'forbidden',
    );
    const changed = expectStatus<WebhookSubscription>(
      await manager({
        method: 'PATCH',
        url: `/api/v1/webhook-subscriptions/${subscription.id}`,
        body: { environment: 'staging', description: 'Service desk (staging)' },
      }),
      200,
    );
    expect(changed).toMatchObject({
      description: 'Service desk (staging)',
      serviceId: subscription.serviceId,
    });
    expect(changed.environmentId).toEqual(expect.any(String));

    // The incident's detected and resolved events, written when it was registered and resolved.
    await worker.runOnce();
    // Both are sent at once: the order they arrive in is not defined.
    const eventOf = (index: number) =>
      JSON.parse(receiver.requests[index]?.body ?? '{}') as IncidentNotifyEvent;
    const received = [eventOf(0), eventOf(1)].sort((left, right) => left.type.localeCompare(right.type));
    expect(received.map((event) => event.type)).toEqual(['incident.detected', 'incident.resolved']);
    // Detected with both suggested links; resolved after shop-api was ruled out.
    expect(received[0]?.data).toMatchObject({
      incidentId: incident.id,
      suspectedDeploymentIds: [deployed.web?.id, deployed.api?.id],
    });
    expect(received[1]?.data).toMatchObject({
      incidentId: incident.id,
      suspectedDeploymentIds: [deployed.web?.id],
    });

    const deliveries = expectStatus<Page<WebhookDelivery>>(
      await as(server.tokens.auditor)({ url: `/api/v1/webhook-deliveries?subscription=${subscription.id}` }),
      200,
    ).items;
    expect(deliveries.map((delivery) => [delivery.eventType, delivery.state])).toEqual([
      ['incident.resolved', 'succeeded'],
      ['incident.detected', 'succeeded'],
    ]);
    const first = deliveries[1] as WebhookDelivery;
    const detail = expectStatus<{ delivery: WebhookDelivery; attempts: WebhookDeliveryAttempt[] }>(
      await manager({ url: `/api/v1/webhook-deliveries/${first.id}` }),
      200,
    );
    expect(detail.attempts).toMatchObject([{ attempt: 1, outcome: 'succeeded', statusCode: 200 }]);

    const again = expectStatus<WebhookDelivery>(
      await manager({ method: 'POST', url: `/api/v1/webhook-deliveries/${first.id}/redeliver` }),
      201,
    );
    expect(again).toMatchObject({ redeliveryOf: first.id, state: 'pending', payload: first.payload });
    await worker.runOnce();
    expect(receiver.requests).toHaveLength(3);
    expect(receiver.requests[2]?.body).toBe(first.payload);
    expect(receiver.requests[2]?.headers[WebhookHeader.delivery.toLowerCase()]).toBe(again.id);

    // A subscription with recorded deliveries is deactivated, not deleted.
    expectError(
      await manager({ method: 'DELETE', url: `/api/v1/webhook-subscriptions/${subscription.id}` }),
      409,
      'subscription_in_use',
    );
    const unused = expectStatus<WebhookSubscription>(
      await manager({
        method: 'POST',
        url: '/api/v1/webhook-subscriptions',
        body: { url: `${receiver.url}/other`, secret: 'another-secret-0123456789', format: 'cdevents' },
      }),
      201,
    );
    expect(
      (await manager({ method: 'DELETE', url: `/api/v1/webhook-subscriptions/${unused.id}` })).statusCode,
    ).toBe(204);
    const remaining = expectStatus<Page<WebhookSubscription>>(
      await manager({ url: '/api/v1/webhook-subscriptions' }),
      200,
    );
    expect(remaining.items.map((item) => item.id)).toEqual([subscription.id]);
  });
});
