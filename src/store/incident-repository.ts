import type { Kysely } from 'kysely';
import { ConflictError, type DeploymentState, NotFoundError } from '../domain/index.js';
import type { AuditRepository } from './audit-repository.js';
import { type IncidentData, NotifyEventType, OutboxRepository } from './outbox-repository.js';
import type { Database, IncidentLinkTable, IncidentTable } from './schema.js';
import {
  decodeCursor,
  isId,
  isUniqueViolation,
  newId,
  type Page,
  type PageRequest,
  pageOf,
} from './support.js';

/** How badly an incident disrupts its service. */
export const IncidentSeverity = {
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
} as const;
export type IncidentSeverity = (typeof IncidentSeverity)[keyof typeof IncidentSeverity];
/** Every severity, most severe first. */
export const incidentSeverities: readonly IncidentSeverity[] = Object.values(IncidentSeverity);

/** What a person decided about a suspected link between an incident and a deployment. */
export const IncidentLinkState = {
  /** Found by correlation; nobody has looked at it yet. */
  suggested: 'suggested',
  /** A person confirmed the deployment probably caused the incident. */
  confirmed: 'confirmed',
  /** A person ruled the deployment out. */
  rejected: 'rejected',
} as const;
export type IncidentLinkState = (typeof IncidentLinkState)[keyof typeof IncidentLinkState];
/** Every link state. */
export const incidentLinkStates: readonly IncidentLinkState[] = Object.values(IncidentLinkState);

/** An incident as callers see it. */
export interface Incident {
  id: string;
  serviceId: string;
  service: string;
  environmentId: string;
  environment: string;
  severity: IncidentSeverity;
  title: string;
  description: string;
  startedAt: string;
  resolvedAt?: string;
  /** Who reported it: `api`, or the name of the incident tool. */
  source: string;
  /** The incident tool's own id of it. */
  externalId?: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** An incident to register; service and environment by id or name. */
export interface NewIncident {
  service: string;
  environment: string;
  severity: IncidentSeverity;
  title: string;
  description?: string;
  startedAt: string;
  resolvedAt?: string;
  source: string;
  externalId?: string;
}

/** Changes to an incident; absent leaves a field as it is. */
export interface IncidentChanges {
  severity?: IncidentSeverity;
  title?: string;
  description?: string;
  startedAt?: string;
  resolvedAt?: string;
}

/** A deployment suspected of causing an incident. */
export interface IncidentLink {
  incidentId: string;
  deploymentId: string;
  state: IncidentLinkState;
  /** How strongly correlation suspects it, 0–100 (recent deployments score higher). */
  score: number;
  /** Why it is suspected, in words. */
  reason: string;
  decidedBy?: string;
  decidedAt?: string;
  comment?: string;
  createdAt: string;
  /** The deployment's state now. */
  deploymentState: DeploymentState;
  /** When the deployment finished, if it has. */
  deploymentFinishedAt?: string;
}

/** A suspected link to add. */
export interface NewIncidentLink {
  deploymentId: string;
  score: number;
  reason: string;
}

/** A deployment that correlation considers for an incident. */
export interface CorrelationCandidate {
  deploymentId: string;
  state: DeploymentState;
  requestedAt: string;
  finishedAt?: string;
  environment: string;
  /** The versions it moved that belong to the incident's service. */
  versions: { component: string; version: string }[];
}

/** Filters of the incident list. */
export interface IncidentFilter {
  service?: string;
  environment?: string;
  severity?: IncidentSeverity;
  /** true: only open incidents; false: only resolved ones. */
  open?: boolean;
}

type IncidentRow = IncidentTable & { service_name: string; environment_name: string };

function toIncident(row: IncidentRow): Incident {
  return {
    id: row.id,
    serviceId: row.service_id,
    service: row.service_name,
    environmentId: row.environment_id,
    environment: row.environment_name,
    severity: row.severity as IncidentSeverity,
    title: row.title,
    description: row.description,
    startedAt: row.started_at,
    ...(row.resolved_at !== null && { resolvedAt: row.resolved_at }),
    source: row.source,
    ...(row.external_id !== null && { externalId: row.external_id }),
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toLink(
  row: IncidentLinkTable & { deployment_state: string; deployment_finished_at: string | null },
): IncidentLink {
  return {
    incidentId: row.incident_id,
    deploymentId: row.deployment_id,
    state: row.state as IncidentLinkState,
    score: Number(row.score),
    reason: row.reason,
    ...(row.decided_by !== null && { decidedBy: row.decided_by }),
    ...(row.decided_at !== null && { decidedAt: row.decided_at }),
    ...(row.comment !== null && { comment: row.comment }),
    createdAt: row.created_at,
    deploymentState: row.deployment_state as DeploymentState,
    ...(row.deployment_finished_at !== null && { deploymentFinishedAt: row.deployment_finished_at }),
  };
}

/** States of a deployment that never touched a target, and so cannot have caused anything. */
const harmlessStates = [
  'requested',
  'planned',
  'awaiting-authorization',
  'scheduled',
  'verifying-components',
  'verifying-environment',
  'cancelled',
  'rejected',
];

/**
 * Incidents and the deployments linked to them. Registering and resolving an incident write
 * its notify event (incident.detected / incident.resolved) in the same transaction.
 */
export class IncidentRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly dialect: 'sqlite' | 'postgres',
    private readonly audit: AuditRepository,
  ) {}

  private incidentQuery(db: Kysely<Database> = this.db) {
    return db
      .selectFrom('incidents')
      .innerJoin('services', 'services.id', 'incidents.service_id')
      .innerJoin('environments', 'environments.id', 'incidents.environment_id')
      .selectAll('incidents')
      .select(['services.name as service_name', 'environments.name as environment_name']);
  }

  private async resolveScope(
    db: Kysely<Database>,
    service: string,
    environment: string,
  ): Promise<{ serviceId: string; environmentId: string }> {
    const serviceRow = await db
      .selectFrom('services')
      .select('id')
      .where(isId(service) ? 'id' : 'name', '=', service)
      .executeTakeFirst();
    if (serviceRow === undefined) throw new NotFoundError('service', service);
    const environmentRow = await db
      .selectFrom('environments')
      .select('id')
      .where(isId(environment) ? 'id' : 'name', '=', environment)
      .executeTakeFirst();
    if (environmentRow === undefined) throw new NotFoundError('environment', environment);
    return { serviceId: serviceRow.id, environmentId: environmentRow.id };
  }

  /** The ids of a service and an environment named by id or name, or `not_found`. */
  async scopeOf(service: string, environment: string): Promise<{ serviceId: string; environmentId: string }> {
    return this.resolveScope(this.db, service, environment);
  }

  private async eventData(db: Kysely<Database>, incidentId: string): Promise<IncidentData> {
    const row = await db
      .selectFrom('incidents')
      .innerJoin('services', 'services.id', 'incidents.service_id')
      .innerJoin('environments', 'environments.id', 'incidents.environment_id')
      .select([
        'incidents.id',
        'incidents.title',
        'incidents.severity',
        'incidents.started_at',
        'incidents.resolved_at',
        'services.id as service_id',
        'services.name as service_name',
        'environments.id as environment_id',
        'environments.name as environment_name',
        'environments.tier as environment_tier',
      ])
      .where('incidents.id', '=', incidentId)
      .executeTakeFirstOrThrow();
    const links = await db
      .selectFrom('incident_links')
      .select('deployment_id')
      .where('incident_id', '=', incidentId)
      .where('state', '!=', IncidentLinkState.rejected)
      .orderBy('score', 'desc')
      .orderBy('deployment_id', 'desc')
      .execute();
    return {
      incidentId: row.id,
      title: row.title,
      severity: row.severity,
      environment: { id: row.environment_id, name: row.environment_name, tier: row.environment_tier },
      service: { id: row.service_id, name: row.service_name },
      startedAt: row.started_at,
      ...(row.resolved_at !== null && { resolvedAt: row.resolved_at }),
      suspectedDeploymentIds: links.map((link) => link.deployment_id),
    };
  }

  private async insertLinks(db: Kysely<Database>, incidentId: string, links: readonly NewIncidentLink[]) {
    const at = this.now().toISOString();
    for (const link of links) {
      await db
        .insertInto('incident_links')
        .values({
          incident_id: incidentId,
          deployment_id: link.deploymentId,
          state: IncidentLinkState.suggested,
          score: link.score,
          reason: link.reason,
          decided_by: null,
          decided_at: null,
          comment: null,
          created_at: at,
        })
        // A link already there keeps its decision.
        .onConflict((conflict) => conflict.columns(['incident_id', 'deployment_id']).doNothing())
        .execute();
    }
  }

  /**
   * Registers an incident with the links correlation suggested, and writes its
   * incident.detected event. An incident tool's id (source + externalId) is unique.
   */
  async create(input: NewIncident, links: readonly NewIncidentLink[], actorId: string): Promise<Incident> {
    const id = newId();
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      const { serviceId, environmentId } = await this.resolveScope(trx, input.service, input.environment);
      try {
        await trx
          .insertInto('incidents')
          .values({
            id,
            service_id: serviceId,
            environment_id: environmentId,
            severity: input.severity,
            title: input.title,
            description: input.description ?? '',
            started_at: input.startedAt,
            resolved_at: input.resolvedAt ?? null,
            source: input.source,
            external_id: input.externalId ?? null,
            created_by: actorId,
            created_at: at,
            updated_at: at,
          })
          .execute();
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        throw new ConflictError(
          `Incident ${input.externalId ?? ''} from ${input.source} is already registered; change it instead.`,
          { source: input.source, externalId: input.externalId },
        );
      }
      await this.insertLinks(trx, id, links);
      await this.audit.record(trx, {
        actorId,
        action: 'incident.registered',
        subjectType: 'incident',
        subjectId: id,
        details: {
          severity: input.severity,
          title: input.title,
          source: input.source,
          suggestedDeploymentIds: links.map((link) => link.deploymentId),
        },
      });
      const outbox = new OutboxRepository(trx, this.now, this.dialect);
      const data = await this.eventData(trx, id);
      await outbox.append({ type: NotifyEventType.incidentDetected, occurredAt: input.startedAt, data });
      if (input.resolvedAt !== undefined) {
        await outbox.append({ type: NotifyEventType.incidentResolved, occurredAt: input.resolvedAt, data });
      }
    });
    return this.get(id);
  }

  /**
   * Changes an incident and adds newly suggested links (existing links keep their decision).
   * Resolving it writes its incident.resolved event.
   */
  async update(
    id: string,
    changes: IncidentChanges,
    links: readonly NewIncidentLink[],
    actorId: string,
  ): Promise<Incident> {
    const before = await this.get(id);
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('incidents')
        .set({
          ...(changes.severity !== undefined && { severity: changes.severity }),
          ...(changes.title !== undefined && { title: changes.title }),
          ...(changes.description !== undefined && { description: changes.description }),
          ...(changes.startedAt !== undefined && { started_at: changes.startedAt }),
          ...(changes.resolvedAt !== undefined && { resolved_at: changes.resolvedAt }),
          updated_at: at,
        })
        .where('id', '=', id)
        .execute();
      await this.insertLinks(trx, id, links);
      await this.audit.record(trx, {
        actorId,
        action:
          changes.resolvedAt !== undefined && before.resolvedAt === undefined
            ? 'incident.resolved'
            : 'incident.changed',
        subjectType: 'incident',
        subjectId: id,
        details: { changes: { ...changes }, suggestedDeploymentIds: links.map((link) => link.deploymentId) },
      });
      if (changes.resolvedAt !== undefined && before.resolvedAt === undefined) {
        await new OutboxRepository(trx, this.now, this.dialect).append({
          type: NotifyEventType.incidentResolved,
          occurredAt: changes.resolvedAt,
          data: await this.eventData(trx, id),
        });
      }
    });
    return this.get(id);
  }

  /** Deletes an incident (registered by mistake) and its links; the audit trail keeps it. */
  async delete(id: string, actorId: string): Promise<void> {
    const incident = await this.get(id);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('incident_links').where('incident_id', '=', id).execute();
      await trx.deleteFrom('incidents').where('id', '=', id).execute();
      await this.audit.record(trx, {
        actorId,
        action: 'incident.deleted',
        subjectType: 'incident',
        subjectId: id,
        details: { title: incident.title, service: incident.service, environment: incident.environment },
      });
    });
  }

  /** One incident, or `not_found`. */
  async get(id: string): Promise<Incident> {
    if (!isId(id)) throw new NotFoundError('incident', id);
    const row = await this.incidentQuery().where('incidents.id', '=', id).executeTakeFirst();
    if (row === undefined) throw new NotFoundError('incident', id);
    return toIncident(row);
  }

  /** The incident an incident tool reported under its own id, if registered. */
  async findExternal(source: string, externalId: string): Promise<Incident | undefined> {
    const row = await this.incidentQuery()
      .where('incidents.source', '=', source)
      .where('incidents.external_id', '=', externalId)
      .executeTakeFirst();
    return row === undefined ? undefined : toIncident(row);
  }

  /** Incidents, newest registration first. */
  async list(filter: IncidentFilter, page: PageRequest): Promise<Page<Incident>> {
    let query = this.incidentQuery()
      .orderBy('incidents.id', 'desc')
      .limit(page.limit + 1);
    const before = decodeCursor(page.cursor);
    if (before !== undefined) query = query.where('incidents.id', '<', before);
    if (filter.service !== undefined)
      query = query.where(isId(filter.service) ? 'services.id' : 'services.name', '=', filter.service);
    if (filter.environment !== undefined)
      query = query.where(
        isId(filter.environment) ? 'environments.id' : 'environments.name',
        '=',
        filter.environment,
      );
    if (filter.severity !== undefined) query = query.where('incidents.severity', '=', filter.severity);
    if (filter.open === true) query = query.where('incidents.resolved_at', 'is', null);
    if (filter.open === false) query = query.where('incidents.resolved_at', 'is not', null);
    return pageOf(await query.execute(), page.limit, toIncident);
  }

  /** The links of an incident, most suspected first. */
  async links(incidentId: string): Promise<IncidentLink[]> {
    await this.get(incidentId);
    const rows = await this.db
      .selectFrom('incident_links')
      .innerJoin('deployments', 'deployments.id', 'incident_links.deployment_id')
      .selectAll('incident_links')
      .select(['deployments.state as deployment_state', 'deployments.finished_at as deployment_finished_at'])
      .where('incident_links.incident_id', '=', incidentId)
      .orderBy('incident_links.score', 'desc')
      .orderBy('incident_links.deployment_id', 'desc')
      .execute();
    return rows.map(toLink);
  }

  /** Records a person's decision about a link (confirm or reject); deciding again overrides. */
  async decideLink(
    incidentId: string,
    deploymentId: string,
    state: typeof IncidentLinkState.confirmed | typeof IncidentLinkState.rejected,
    actorId: string,
    comment?: string,
  ): Promise<IncidentLink> {
    await this.get(incidentId);
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('incident_links')
        .set({ state, decided_by: actorId, decided_at: at, comment: comment ?? null })
        .where('incident_id', '=', incidentId)
        .where('deployment_id', '=', deploymentId)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1)
        throw new NotFoundError('incident link', `${incidentId}/${deploymentId}`);
      await this.audit.record(trx, {
        actorId,
        action: state === IncidentLinkState.confirmed ? 'incident-link.confirmed' : 'incident-link.rejected',
        subjectType: 'incident',
        subjectId: incidentId,
        details: { deploymentId, ...(comment !== undefined && { comment }) },
      });
    });
    const link = (await this.links(incidentId)).find((candidate) => candidate.deploymentId === deploymentId);
    if (link === undefined) throw new NotFoundError('incident link', `${incidentId}/${deploymentId}`);
    return link;
  }

  /**
   * Deployments into an environment that moved a component of a service and were running at
   * some point between `from` and `to`: requested before `to`, not finished before `from`,
   * and past the states in which nothing has touched a target. Newest first.
   */
  async correlationCandidates(
    serviceId: string,
    environmentId: string,
    from: string,
    to: string,
  ): Promise<CorrelationCandidate[]> {
    const rows = await this.db
      .selectFrom('deployments')
      .innerJoin('deployment_versions', 'deployment_versions.deployment_id', 'deployments.id')
      .innerJoin('components', 'components.id', 'deployment_versions.component_id')
      .innerJoin('versions', 'versions.id', 'deployment_versions.version_id')
      .innerJoin('environments', 'environments.id', 'deployments.environment_id')
      .select([
        'deployments.id',
        'deployments.state',
        'deployments.requested_at',
        'deployments.finished_at',
        'environments.name as environment_name',
        'components.name as component_name',
        'versions.version',
      ])
      .where('deployments.environment_id', '=', environmentId)
      .where('components.service_id', '=', serviceId)
      .where('deployments.requested_at', '<=', to)
      .where((eb) =>
        eb.or([eb('deployments.finished_at', 'is', null), eb('deployments.finished_at', '>=', from)]),
      )
      .where('deployments.state', 'not in', harmlessStates)
      .orderBy('deployments.id', 'desc')
      .orderBy('components.name')
      .limit(2000)
      .execute();
    const byId = new Map<string, CorrelationCandidate>();
    for (const row of rows) {
      let candidate = byId.get(row.id);
      if (candidate === undefined) {
        candidate = {
          deploymentId: row.id,
          state: row.state as DeploymentState,
          requestedAt: row.requested_at,
          ...(row.finished_at !== null && { finishedAt: row.finished_at }),
          environment: row.environment_name,
          versions: [],
        };
        byId.set(row.id, candidate);
      }
      candidate.versions.push({ component: row.component_name, version: row.version });
    }
    return [...byId.values()];
  }
}
