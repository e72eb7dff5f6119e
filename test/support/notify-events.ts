import type {
  DeploymentNotifyEvent,
  DeploymentOutcomeData,
  EnvironmentNotifyEvent,
  EventVersion,
  IncidentNotifyEvent,
} from '../../src/store/index.js';

/** Ids the example events use, so subscriptions can filter on them. */
export const exampleIds = {
  shop: '01900000-0000-7000-8000-000000000001',
  billing: '01900000-0000-7000-8000-000000000002',
  production: '01900000-0000-7000-8000-000000000003',
  staging: '01900000-0000-7000-8000-000000000004',
} as const;

/** A component version of the `shop` service. */
export function exampleVersion(overrides: Partial<EventVersion> = {}): EventVersion {
  return {
    service: { id: exampleIds.shop, name: 'shop' },
    componentId: '01900000-0000-7000-8000-0000000000c1',
    component: 'shop-web',
    versionId: '01900000-0000-7000-8000-0000000000d1',
    version: '1.2.0',
    digest: `sha256:${'a'.repeat(64)}`,
    ...overrides,
  };
}

/** A finished deployment of shop-web into production. */
export function exampleDeploymentEvent(
  type: DeploymentNotifyEvent['type'] = 'deployment.succeeded',
  data: Partial<DeploymentOutcomeData> = {},
): Omit<DeploymentNotifyEvent, 'id' | 'occurredAt'> & { occurredAt?: string } {
  return {
    type,
    data: {
      deploymentId: '01900000-0000-7000-8000-0000000000e1',
      flowId: '01900000-0000-7000-8000-0000000000f1',
      stage: 'live',
      kind: 'install',
      state:
        type === 'deployment.failed'
          ? 'failed'
          : type === 'deployment.rolled-back'
            ? 'rolled-back'
            : 'succeeded',
      environment: { id: exampleIds.production, name: 'production', tier: 'live' },
      versions: [exampleVersion()],
      requestedBy: '01900000-0000-7000-8000-0000000000a1',
      requestedAt: '2030-01-01T00:00:00.000Z',
      finishedAt: '2030-01-01T00:05:00.000Z',
      ...data,
    },
  };
}

/** A complete deployment event, as the outbox returns it. */
export function storedDeploymentEvent(
  type: DeploymentNotifyEvent['type'] = 'deployment.succeeded',
  data: Partial<DeploymentOutcomeData> = {},
): DeploymentNotifyEvent {
  return {
    id: '01900000-0000-7000-8000-00000000ee01',
    occurredAt: '2030-01-01T00:05:00.000Z',
    ...exampleDeploymentEvent(type, data),
  };
}

/** A complete environment event. */
export function storedEnvironmentEvent(type: EnvironmentNotifyEvent['type']): EnvironmentNotifyEvent {
  return {
    id: '01900000-0000-7000-8000-00000000ee02',
    type,
    occurredAt: '2030-01-02T00:00:00.000Z',
    data: {
      environment: {
        id: exampleIds.staging,
        name: 'staging',
        tier: 'staging',
        purpose: 'Acceptance by the product owner',
        protected: false,
      },
      actorId: '01900000-0000-7000-8000-0000000000a1',
      ...(type === 'environment.modified' && { changedFields: ['purpose'] }),
    },
  };
}

/** A complete incident event. */
export function storedIncidentEvent(type: IncidentNotifyEvent['type']): IncidentNotifyEvent {
  return {
    id: '01900000-0000-7000-8000-00000000ee03',
    type,
    occurredAt: '2030-01-03T00:00:00.000Z',
    data: {
      incidentId: '01900000-0000-7000-8000-0000000000b1',
      title: 'Checkout answers 502 <for some users>',
      severity: 'major',
      environment: { id: exampleIds.production, name: 'production', tier: 'live' },
      service: { id: exampleIds.shop, name: 'shop' },
      startedAt: '2030-01-02T23:50:00.000Z',
      ...(type === 'incident.resolved' && { resolvedAt: '2030-01-03T00:00:00.000Z' }),
      suspectedDeploymentIds: ['01900000-0000-7000-8000-0000000000e1'],
    },
  };
}
