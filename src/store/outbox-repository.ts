import { type Kysely, sql } from 'kysely';
import type { DeploymentKind, DeploymentState } from '../domain/index.js';
import type { Database } from './schema.js';
import { fromJson, newId } from './support.js';

/*
 * The vocabulary of events Slipway tells the outside world about. It lives beside the outbox
 * because the engine, which may not import notify/, writes these events in the same
 * transaction as the transition they report; notify/ reads them back and formats them.
 */

/** The kinds of event that outbound webhooks and e-mail report. */
export const NotifyEventType = {
  deploymentSucceeded: 'deployment.succeeded',
  deploymentFailed: 'deployment.failed',
  deploymentRolledBack: 'deployment.rolled-back',
  deploymentRemoved: 'deployment.removed',
  environmentCreated: 'environment.created',
  environmentModified: 'environment.modified',
  environmentDeleted: 'environment.deleted',
  incidentDetected: 'incident.detected',
  incidentResolved: 'incident.resolved',
} as const;
export type NotifyEventType = (typeof NotifyEventType)[keyof typeof NotifyEventType];
/** Every event type, in a stable order (for schemas and validation). */
export const notifyEventTypes: readonly NotifyEventType[] = Object.values(NotifyEventType);

/** Event types that report the end of a deployment. */
export type DeploymentEventType =
  | typeof NotifyEventType.deploymentSucceeded
  | typeof NotifyEventType.deploymentFailed
  | typeof NotifyEventType.deploymentRolledBack
  | typeof NotifyEventType.deploymentRemoved;
/** Event types that report a change of an environment. */
export type EnvironmentEventType =
  | typeof NotifyEventType.environmentCreated
  | typeof NotifyEventType.environmentModified
  | typeof NotifyEventType.environmentDeleted;
/** Event types that report an incident. */
export type IncidentEventType =
  | typeof NotifyEventType.incidentDetected
  | typeof NotifyEventType.incidentResolved;

/** An environment as events name it. */
export interface EventEnvironment {
  id: string;
  name: string;
  tier: string;
}

/** A service as events name it. */
export interface EventService {
  id: string;
  name: string;
}

/** One component version a finished deployment moved (or removed). */
export interface EventVersion {
  service: EventService;
  componentId: string;
  component: string;
  versionId: string;
  version: string;
  digest: string;
  /** The version that ran before, which a rollback returns to. */
  previousVersion?: string;
  previousDigest?: string;
}

/** What a finished deployment reports. */
export interface DeploymentOutcomeData {
  deploymentId: string;
  flowId: string;
  stage: string;
  kind: DeploymentKind;
  state: DeploymentState;
  reason?: string;
  environment: EventEnvironment;
  release?: string;
  versions: EventVersion[];
  requestedBy: string;
  requestedAt: string;
  finishedAt: string;
}

/** What an environment change reports. */
export interface EnvironmentChangeData {
  environment: EventEnvironment & { purpose: string; protected: boolean };
  /** Who made the change. */
  actorId?: string;
  /** The fields that changed (environment.modified). */
  changedFields?: string[];
}

/** What an incident event reports. */
export interface IncidentData {
  incidentId: string;
  title: string;
  severity: string;
  environment: EventEnvironment;
  service?: EventService;
  startedAt: string;
  resolvedAt?: string;
  /** Where people read more about the incident. */
  url?: string;
  /** Deployments correlated with the incident. */
  suspectedDeploymentIds?: string[];
}

/** The end of a deployment, as the outbox holds it. */
export interface DeploymentNotifyEvent {
  id: string;
  type: DeploymentEventType;
  occurredAt: string;
  data: DeploymentOutcomeData;
}

/** A change of an environment, as the outbox holds it. */
export interface EnvironmentNotifyEvent {
  id: string;
  type: EnvironmentEventType;
  occurredAt: string;
  data: EnvironmentChangeData;
}

/** An incident detected or resolved, as the outbox holds it. */
export interface IncidentNotifyEvent {
  id: string;
  type: IncidentEventType;
  occurredAt: string;
  data: IncidentData;
}

/** An event reported to the outside world, as the outbox holds it. */
export type NotifyEvent = DeploymentNotifyEvent | EnvironmentNotifyEvent | IncidentNotifyEvent;

type WithoutIdentity<T> = T extends NotifyEvent
  ? Omit<T, 'id' | 'occurredAt'> & { occurredAt?: string }
  : never;
/** An event to append; its id is assigned and its time defaults to now. */
export type NewNotifyEvent = WithoutIdentity<NotifyEvent>;

/** The services and environment an event concerns, which subscriptions filter on. */
export function eventScope(event: NotifyEvent): { serviceIds: string[]; environmentId: string } {
  switch (event.type) {
    case NotifyEventType.deploymentSucceeded:
    case NotifyEventType.deploymentFailed:
    case NotifyEventType.deploymentRolledBack:
    case NotifyEventType.deploymentRemoved:
      return {
        serviceIds: [...new Set(event.data.versions.map((version) => version.service.id))],
        environmentId: event.data.environment.id,
      };
    case NotifyEventType.environmentCreated:
    case NotifyEventType.environmentModified:
    case NotifyEventType.environmentDeleted:
      return { serviceIds: [], environmentId: event.data.environment.id };
    case NotifyEventType.incidentDetected:
    case NotifyEventType.incidentResolved:
      return {
        serviceIds: event.data.service === undefined ? [] : [event.data.service.id],
        environmentId: event.data.environment.id,
      };
  }
}

/** The event type a deployment's terminal state reports, if it reports one. */
export function deploymentEventType(state: string, kind: string): DeploymentEventType | undefined {
  if (state === 'succeeded') {
    return kind === 'removal' ? NotifyEventType.deploymentRemoved : NotifyEventType.deploymentSucceeded;
  }
  if (state === 'failed') return NotifyEventType.deploymentFailed;
  if (state === 'rolled-back') return NotifyEventType.deploymentRolledBack;
  return undefined;
}

/**
 * The transactional outbox of notify events. The code that makes a change appends its event
 * through a repository over the same transaction, so an event exists exactly when its change
 * committed; the webhook worker fans unprocessed events out to subscriptions.
 */
export class OutboxRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  /** Appends an event; over a transaction's handle it commits (or not) with the transaction. */
  async append(event: NewNotifyEvent): Promise<NotifyEvent> {
    const now = this.now().toISOString();
    const stored = { ...event, id: newId(), occurredAt: event.occurredAt ?? now } as NotifyEvent;
    await this.db
      .insertInto('notify_outbox')
      .values({
        id: stored.id,
        type: stored.type,
        payload: JSON.stringify(stored),
        created_at: now,
        processed_at: null,
      })
      .execute();
    return stored;
  }

  /**
   * Appends the event of a deployment that has reached a terminal state, read from the store
   * (call it after the state is written, in the same transaction). Returns undefined for
   * states that report nothing (cancelled, rejected, not finished).
   */
  async appendDeploymentOutcome(deploymentId: string): Promise<NotifyEvent | undefined> {
    const data = await this.deploymentOutcome(deploymentId);
    if (data === undefined) return undefined;
    const type = deploymentEventType(data.state, data.kind);
    if (type === undefined) return undefined;
    return this.append({ type, occurredAt: data.finishedAt, data });
  }

  /** Reads what a finished deployment reports, or undefined when it does not exist. */
  async deploymentOutcome(deploymentId: string): Promise<DeploymentOutcomeData | undefined> {
    const row = await this.db
      .selectFrom('deployments')
      .innerJoin('environments', 'environments.id', 'deployments.environment_id')
      .leftJoin('releases', 'releases.id', 'deployments.release_id')
      .select([
        'deployments.id',
        'deployments.flow_id',
        'deployments.stage_name',
        'deployments.kind',
        'deployments.state',
        'deployments.state_reason',
        'deployments.requested_by',
        'deployments.requested_at',
        'deployments.updated_at',
        'deployments.finished_at',
        'environments.id as environment_id',
        'environments.name as environment_name',
        'environments.tier as environment_tier',
        'releases.name as release_name',
      ])
      .where('deployments.id', '=', deploymentId)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const members = await this.db
      .selectFrom('deployment_versions')
      .innerJoin('versions', 'versions.id', 'deployment_versions.version_id')
      .innerJoin('components', 'components.id', 'deployment_versions.component_id')
      .innerJoin('services', 'services.id', 'components.service_id')
      .leftJoin('versions as previous', 'previous.id', 'deployment_versions.previous_version_id')
      .select([
        'services.id as service_id',
        'services.name as service_name',
        'components.id as component_id',
        'components.name as component_name',
        'versions.id as version_id',
        'versions.version',
        'versions.digest',
        'previous.version as previous_version',
        'previous.digest as previous_digest',
      ])
      .where('deployment_versions.deployment_id', '=', deploymentId)
      .orderBy('components.name')
      .execute();
    return {
      deploymentId: row.id,
      flowId: row.flow_id,
      stage: row.stage_name,
      kind: row.kind as DeploymentKind,
      state: row.state as DeploymentState,
      ...(row.state_reason !== null && { reason: row.state_reason }),
      environment: { id: row.environment_id, name: row.environment_name, tier: row.environment_tier },
      ...(row.release_name !== null && { release: row.release_name }),
      versions: members.map((member) => ({
        service: { id: member.service_id, name: member.service_name },
        componentId: member.component_id,
        component: member.component_name,
        versionId: member.version_id,
        version: member.version,
        digest: member.digest,
        ...(member.previous_version !== null && { previousVersion: member.previous_version }),
        ...(member.previous_digest !== null && { previousDigest: member.previous_digest }),
      })),
      requestedBy: row.requested_by,
      requestedAt: row.requested_at,
      finishedAt: row.finished_at ?? row.updated_at,
    };
  }

  /**
   * Locks up to `limit` unprocessed events, oldest first. Call it inside a transaction that
   * also marks them processed: on PostgreSQL other nodes skip the locked rows.
   */
  async lockUnprocessed(limit: number): Promise<NotifyEvent[]> {
    const lock = this.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    const result = await sql<{ id: string; payload: string }>`
      select id, payload from notify_outbox
       where processed_at is null
       order by id
       limit ${limit}
       ${lock}`.execute(this.db);
    // The row's id is the event's id, whatever the payload says.
    return result.rows.map((row) => ({ ...fromJson<NotifyEvent>(row.payload), id: row.id }));
  }

  /** Marks events fanned out. */
  async markProcessed(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('notify_outbox')
      .set({ processed_at: this.now().toISOString() })
      .where('id', 'in', [...ids])
      .execute();
  }

  /** One event by id. */
  async get(id: string): Promise<NotifyEvent | undefined> {
    const row = await this.db
      .selectFrom('notify_outbox')
      .select('payload')
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : fromJson<NotifyEvent>(row.payload);
  }

  /** Number of events not yet fanned out, for metrics and tests. */
  async pendingCount(): Promise<number> {
    const row = await this.db
      .selectFrom('notify_outbox')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('processed_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
