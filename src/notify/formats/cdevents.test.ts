import { describe, expect, it } from 'vitest';
import {
  exampleVersion,
  storedDeploymentEvent,
  storedEnvironmentEvent,
  storedIncidentEvent,
} from '../../../test/support/notify-events.js';
import { notifyEventTypes } from '../../store/index.js';
import { renderEventEmail } from './email.js';
import { webhookFormat, webhookFormatNames } from './index.js';

const context = { source: 'https://slipway.example.com' };
const digest = `sha256:${'a'.repeat(64)}`;

function cloudEvents(event: Parameters<ReturnType<typeof webhookFormat>['format']>[0]) {
  return webhookFormat('cdevents')
    .format(event, context)
    .map((payload) => {
      expect(payload.contentType).toBe('application/cloudevents+json; charset=utf-8');
      return JSON.parse(payload.body);
    });
}

describe('CDEvents format', () => {
  it('wraps a first deployment as service.deployed in a CloudEvents 1.0 envelope', () => {
    const event = storedDeploymentEvent('deployment.succeeded');
    const [cloudEvent, ...others] = cloudEvents(event);
    expect(others).toEqual([]);
    expect(cloudEvent).toEqual({
      specversion: '1.0',
      id: event.id,
      source: 'https://slipway.example.com',
      type: 'dev.cdevents.service.deployed.0.2.0',
      subject: 'shop/shop-web',
      time: '2030-01-01T00:05:00.000Z',
      datacontenttype: 'application/json',
      data: {
        context: {
          version: '0.4.1',
          id: event.id,
          source: 'https://slipway.example.com',
          type: 'dev.cdevents.service.deployed.0.2.0',
          timestamp: '2030-01-01T00:05:00.000Z',
        },
        subject: {
          id: 'shop/shop-web',
          source: 'https://slipway.example.com',
          type: 'service',
          content: {
            environment: { id: 'production', source: 'https://slipway.example.com' },
            artifactId: `pkg:generic/shop/shop-web@1.2.0?checksum=${digest}`,
          },
        },
        customData: {
          slipway: expect.objectContaining({
            eventType: 'deployment.succeeded',
            deploymentId: event.data.deploymentId,
            environmentId: event.data.environment.id,
            version: '1.2.0',
            digest,
          }),
        },
        customDataContentType: 'application/json',
      },
    });
  });

  it('reports each component of a release as its own event: upgraded when a version ran before', () => {
    const event = storedDeploymentEvent('deployment.succeeded', {
      kind: 'upgrade',
      release: 'spring',
      versions: [
        exampleVersion({ previousVersion: '1.1.0', previousDigest: `sha256:${'b'.repeat(64)}` }),
        exampleVersion({ component: 'shop docs', componentId: 'c2', versionId: 'v2', version: '2024.1' }),
      ],
    });
    const events = cloudEvents(event);
    expect(events.map((item) => [item.id, item.type, item.subject])).toEqual([
      [`${event.id}.1`, 'dev.cdevents.service.upgraded.0.2.0', 'shop/shop-web'],
      [`${event.id}.2`, 'dev.cdevents.service.deployed.0.2.0', 'shop/shop docs'],
    ]);
    expect(events.map((item) => item.data.context.id)).toEqual(events.map((item) => item.id));
    expect(events[1].data.subject.content.artifactId).toBe(
      `pkg:generic/shop/shop%20docs@2024.1?checksum=${digest}`,
    );
    expect(events[0].data.customData.slipway).toMatchObject({ release: 'spring', previousVersion: '1.1.0' });
  });

  it('reports a rollback as service.rolledback to the version that ran before, or removed when none did', () => {
    const previousDigest = `sha256:${'b'.repeat(64)}`;
    const event = storedDeploymentEvent('deployment.rolled-back', {
      kind: 'upgrade',
      state: 'rolled-back',
      reason: 'acceptance failed',
      versions: [
        exampleVersion({ previousVersion: '1.1.0', previousDigest }),
        exampleVersion({ component: 'shop-api', componentId: 'c2', versionId: 'v2' }),
      ],
    });
    const [rolledBack, removed] = cloudEvents(event);
    expect(rolledBack.type).toBe('dev.cdevents.service.rolledback.0.2.0');
    expect(rolledBack.data.subject.content).toEqual({
      environment: { id: 'production', source: context.source },
      artifactId: `pkg:generic/shop/shop-web@1.1.0?checksum=${previousDigest}`,
    });
    expect(removed.type).toBe('dev.cdevents.service.removed.0.2.0');
    expect(removed.data.subject.content).toEqual({
      environment: { id: 'production', source: context.source },
    });
    expect(rolledBack.data.customData.slipway.reason).toBe('acceptance failed');
  });

  it('reports a removal as service.removed without an artifact', () => {
    const [removed] = cloudEvents(storedDeploymentEvent('deployment.removed', { kind: 'removal' }));
    expect(removed.type).toBe('dev.cdevents.service.removed.0.2.0');
    expect(removed.data.subject.content).toEqual({
      environment: { id: 'production', source: context.source },
    });
  });

  it('sends nothing for a failed deployment, which CDEvents has no predicate for', () => {
    expect(cloudEvents(storedDeploymentEvent('deployment.failed'))).toEqual([]);
  });

  it('reports environment changes with the environment subject', () => {
    for (const [type, cdeventType] of [
      ['environment.created', 'dev.cdevents.environment.created.0.2.0'],
      ['environment.modified', 'dev.cdevents.environment.modified.0.2.0'],
      ['environment.deleted', 'dev.cdevents.environment.deleted.0.2.0'],
    ] as const) {
      const [cloudEvent] = cloudEvents(storedEnvironmentEvent(type));
      expect(cloudEvent.type).toBe(cdeventType);
      expect(cloudEvent.subject).toBe('staging');
      expect(cloudEvent.data.subject).toEqual({
        id: 'staging',
        source: context.source,
        type: 'environment',
        content: { name: 'staging' },
      });
      expect(cloudEvent.data.customData.slipway).toMatchObject({ tier: 'staging', protected: false });
    }
  });

  it('reports incidents with their environment and service', () => {
    const detected = storedIncidentEvent('incident.detected');
    const [cloudEvent] = cloudEvents(detected);
    expect(cloudEvent.type).toBe('dev.cdevents.incident.detected.0.2.0');
    expect(cloudEvent.subject).toBe(detected.data.incidentId);
    expect(cloudEvent.data.subject).toEqual({
      id: detected.data.incidentId,
      source: context.source,
      type: 'incident',
      content: {
        description: 'Checkout answers 502 <for some users>',
        environment: { id: 'production', source: context.source },
        service: { id: 'shop', source: context.source },
      },
    });
    expect(cloudEvent.data.customData.slipway).toMatchObject({
      severity: 'major',
      suspectedDeploymentIds: detected.data.suspectedDeploymentIds,
    });
    const [resolved] = cloudEvents(storedIncidentEvent('incident.resolved'));
    expect(resolved.type).toBe('dev.cdevents.incident.resolved.0.2.0');
    expect(resolved.data.customData.slipway.resolvedAt).toBe('2030-01-03T00:00:00.000Z');
  });
});

describe('plain format', () => {
  it('sends the event as JSON with its source', () => {
    const event = storedEnvironmentEvent('environment.created');
    const [payload] = webhookFormat('plain').format(event, context);
    expect(payload?.contentType).toBe('application/json');
    expect(JSON.parse(payload?.body ?? '')).toEqual({
      id: event.id,
      type: 'environment.created',
      occurredAt: event.occurredAt,
      source: context.source,
      data: event.data,
    });
  });
});

describe('format registry', () => {
  it('knows plain and cdevents and names them when asked for another', () => {
    expect(webhookFormatNames).toEqual(['plain', 'cdevents']);
    expect(() => webhookFormat('slack')).toThrow(/use one of plain, cdevents/);
    expect(() => webhookFormat('toString')).toThrow(/Unknown webhook format/);
  });

  it('formats every event type in every format without throwing', () => {
    for (const type of notifyEventTypes) {
      const event = type.startsWith('deployment.')
        ? storedDeploymentEvent(type as Parameters<typeof storedDeploymentEvent>[0])
        : type.startsWith('environment.')
          ? storedEnvironmentEvent(type as Parameters<typeof storedEnvironmentEvent>[0])
          : storedIncidentEvent(type as Parameters<typeof storedIncidentEvent>[0]);
      for (const name of webhookFormatNames) {
        for (const payload of webhookFormat(name).format(event, context)) {
          expect(() => JSON.parse(payload.body)).not.toThrow();
        }
      }
      expect(renderEventEmail(event).subject).toMatch(/^\[Slipway\] /);
    }
  });
});

describe('e-mail rendering', () => {
  it('says what happened in text and escaped HTML', () => {
    const mail = renderEventEmail(storedIncidentEvent('incident.detected'));
    expect(mail.subject).toBe(
      '[Slipway] Incident detected in production: Checkout answers 502 <for some users>',
    );
    expect(mail.text).toContain('Severity: major');
    expect(mail.html).toContain('Checkout answers 502 &lt;for some users&gt;');
    expect(mail.html).not.toContain('<for some users>');
    const deployed = renderEventEmail(
      storedDeploymentEvent('deployment.succeeded', {
        versions: [exampleVersion({ previousVersion: '1.1.0' })],
      }),
    );
    expect(deployed.subject).toBe('[Slipway] shop-web 1.2.0 deployed to production');
    expect(deployed.text).toContain('shop-web: 1.1.0 → 1.2.0');
  });
});
