import {
  type DeploymentNotifyEvent,
  type EnvironmentNotifyEvent,
  type EventVersion,
  type IncidentNotifyEvent,
  type NotifyEvent,
  NotifyEventType,
} from '../../store/index.js';
import type { FormatContext, FormattedPayload, WebhookFormat } from './format.js';

/*
 * CDEvents (spec v0.4, event versions 0.2.0) carried in a CloudEvents 1.0 envelope in
 * structured mode: the CloudEvents attributes id, source, type, subject and time come from
 * the CDEvent's context and subject, and `data` holds the whole CDEvent.
 *
 * CDEvents' `service` is a running artifact, which in Slipway's words is a component of a
 * service in an environment; a deployment that moves several components therefore becomes
 * one CDEvent per component. Subjects are named by their unique names (readable by the
 * dashboards that consume CDEvents); Slipway's ids travel in `customData.slipway`.
 */

/** The CDEvents specification version these events follow. */
export const cdeventsSpecVersion = '0.4.1';

/** The CDEvents event types Slipway emits. */
export const CdEventType = {
  serviceDeployed: 'dev.cdevents.service.deployed.0.2.0',
  serviceUpgraded: 'dev.cdevents.service.upgraded.0.2.0',
  serviceRolledBack: 'dev.cdevents.service.rolledback.0.2.0',
  serviceRemoved: 'dev.cdevents.service.removed.0.2.0',
  environmentCreated: 'dev.cdevents.environment.created.0.2.0',
  environmentModified: 'dev.cdevents.environment.modified.0.2.0',
  environmentDeleted: 'dev.cdevents.environment.deleted.0.2.0',
  incidentDetected: 'dev.cdevents.incident.detected.0.2.0',
  incidentResolved: 'dev.cdevents.incident.resolved.0.2.0',
} as const;
export type CdEventType = (typeof CdEventType)[keyof typeof CdEventType];

/** A CDEvent: its context, its subject, and Slipway's own details as custom data. */
export interface CdEvent {
  context: {
    version: string;
    id: string;
    source: string;
    type: CdEventType;
    timestamp: string;
  };
  subject: {
    id: string;
    source: string;
    type: 'service' | 'environment' | 'incident';
    content: Record<string, unknown>;
  };
  customData: { slipway: Record<string, unknown> };
  customDataContentType: 'application/json';
}

/** A CloudEvents 1.0 event in its JSON (structured mode) form. */
export interface CloudEvent<Data> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time: string;
  datacontenttype: string;
  data: Data;
}

/** The media type of a CloudEvent sent in HTTP structured mode. */
export const cloudEventsContentType = 'application/cloudevents+json; charset=utf-8';

/** A package URL for a component version; the digest travels as purl's `checksum` qualifier. */
export function componentPurl(service: string, component: string, version: string, digest?: string): string {
  const base = `pkg:generic/${encodeURIComponent(service)}/${encodeURIComponent(component)}@${encodeURIComponent(version)}`;
  return digest === undefined ? base : `${base}?checksum=${digest}`;
}

function serviceSubjectId(version: EventVersion): string {
  return `${version.service.name}/${version.component}`;
}

function deploymentEvents(
  event: DeploymentNotifyEvent,
  context: FormatContext,
): Array<Omit<CdEvent, 'context'> & { type: CdEventType }> {
  const data = event.data;
  if (event.type === NotifyEventType.deploymentFailed) return [];
  const environment = { id: data.environment.name, source: context.source };
  return data.versions.map((version) => {
    const slipway = {
      eventType: event.type,
      deploymentId: data.deploymentId,
      flowId: data.flowId,
      stage: data.stage,
      kind: data.kind,
      state: data.state,
      ...(data.reason !== undefined && { reason: data.reason }),
      ...(data.release !== undefined && { release: data.release }),
      environmentId: data.environment.id,
      environmentTier: data.environment.tier,
      serviceId: version.service.id,
      componentId: version.componentId,
      versionId: version.versionId,
      version: version.version,
      digest: version.digest,
      ...(version.previousVersion !== undefined && { previousVersion: version.previousVersion }),
    };
    const subject = (type: CdEventType, content: Record<string, unknown>) => ({
      type,
      subject: { id: serviceSubjectId(version), source: context.source, type: 'service' as const, content },
      customData: { slipway },
      customDataContentType: 'application/json' as const,
    });
    if (event.type === NotifyEventType.deploymentRemoved) {
      return subject(CdEventType.serviceRemoved, { environment });
    }
    if (event.type === NotifyEventType.deploymentRolledBack) {
      // Rolling back a first install leaves nothing running: the service is gone.
      if (version.previousVersion === undefined) return subject(CdEventType.serviceRemoved, { environment });
      return subject(CdEventType.serviceRolledBack, {
        environment,
        artifactId: componentPurl(
          version.service.name,
          version.component,
          version.previousVersion,
          version.previousDigest,
        ),
      });
    }
    const upgraded = version.previousVersion !== undefined && version.previousVersion !== version.version;
    return subject(upgraded ? CdEventType.serviceUpgraded : CdEventType.serviceDeployed, {
      environment,
      artifactId: componentPurl(version.service.name, version.component, version.version, version.digest),
    });
  });
}

function environmentEvent(
  event: EnvironmentNotifyEvent,
  context: FormatContext,
): Omit<CdEvent, 'context'> & { type: CdEventType } {
  const environment = event.data.environment;
  const type =
    event.type === NotifyEventType.environmentCreated
      ? CdEventType.environmentCreated
      : event.type === NotifyEventType.environmentModified
        ? CdEventType.environmentModified
        : CdEventType.environmentDeleted;
  return {
    type,
    subject: {
      id: environment.name,
      source: context.source,
      type: 'environment',
      content: { name: environment.name },
    },
    customData: {
      slipway: {
        eventType: event.type,
        environmentId: environment.id,
        tier: environment.tier,
        purpose: environment.purpose,
        protected: environment.protected,
        ...(event.data.actorId !== undefined && { actorId: event.data.actorId }),
        ...(event.data.changedFields !== undefined && { changedFields: event.data.changedFields }),
      },
    },
    customDataContentType: 'application/json',
  };
}

function incidentEvent(
  event: IncidentNotifyEvent,
  context: FormatContext,
): Omit<CdEvent, 'context'> & { type: CdEventType } {
  const incident = event.data;
  return {
    type:
      event.type === NotifyEventType.incidentDetected
        ? CdEventType.incidentDetected
        : CdEventType.incidentResolved,
    subject: {
      id: incident.incidentId,
      source: context.source,
      type: 'incident',
      content: {
        description: incident.title,
        environment: { id: incident.environment.name, source: context.source },
        ...(incident.service !== undefined && {
          service: { id: incident.service.name, source: context.source },
        }),
      },
    },
    customData: {
      slipway: {
        eventType: event.type,
        severity: incident.severity,
        environmentId: incident.environment.id,
        ...(incident.service !== undefined && { serviceId: incident.service.id }),
        startedAt: incident.startedAt,
        ...(incident.resolvedAt !== undefined && { resolvedAt: incident.resolvedAt }),
        ...(incident.url !== undefined && { url: incident.url }),
        ...(incident.suspectedDeploymentIds !== undefined && {
          suspectedDeploymentIds: incident.suspectedDeploymentIds,
        }),
      },
    },
    customDataContentType: 'application/json',
  };
}

/**
 * The CDEvents that report a Slipway event. A failed deployment reports none: CDEvents v0.4
 * has no predicate for a deployment that failed without being rolled back.
 */
export function toCdEvents(event: NotifyEvent, context: FormatContext): CdEvent[] {
  let parts: Array<Omit<CdEvent, 'context'> & { type: CdEventType }>;
  switch (event.type) {
    case NotifyEventType.deploymentSucceeded:
    case NotifyEventType.deploymentFailed:
    case NotifyEventType.deploymentRolledBack:
    case NotifyEventType.deploymentRemoved:
      parts = deploymentEvents(event, context);
      break;
    case NotifyEventType.environmentCreated:
    case NotifyEventType.environmentModified:
    case NotifyEventType.environmentDeleted:
      parts = [environmentEvent(event, context)];
      break;
    case NotifyEventType.incidentDetected:
    case NotifyEventType.incidentResolved:
      parts = [incidentEvent(event, context)];
      break;
  }
  return parts.map(({ type, ...rest }, index) => ({
    context: {
      version: cdeventsSpecVersion,
      // One Slipway event may become several CDEvents; each needs an id of its own.
      id: parts.length === 1 ? event.id : `${event.id}.${index + 1}`,
      source: context.source,
      type,
      timestamp: event.occurredAt,
    },
    ...rest,
  }));
}

/** Wraps a CDEvent in a CloudEvents 1.0 envelope, as the CDEvents CloudEvents binding says. */
export function toCloudEvent(cdevent: CdEvent): CloudEvent<CdEvent> {
  return {
    specversion: '1.0',
    id: cdevent.context.id,
    source: cdevent.context.source,
    type: cdevent.context.type,
    subject: cdevent.subject.id,
    time: cdevent.context.timestamp,
    datacontenttype: 'application/json',
    data: cdevent,
  };
}

/** CDEvents in CloudEvents 1.0 JSON envelopes, one per component a deployment moved. */
export const cdeventsFormat: WebhookFormat = {
  name: 'cdevents',
  description:
    'CDEvents v0.4 (service.deployed/upgraded/rolledback/removed, environment.*, incident.*) in CloudEvents 1.0 JSON envelopes.',
  format(event, context): FormattedPayload[] {
    return toCdEvents(event, context).map((cdevent) => ({
      contentType: cloudEventsContentType,
      body: JSON.stringify(toCloudEvent(cdevent)),
    }));
  },
};
