import type { Kysely } from 'kysely';
import { type DeploymentState, NotFoundError, terminalStates } from '../domain/index.js';
import type { AuditRepository } from './audit-repository.js';
import type { Database } from './schema.js';
import { isId } from './support.js';

/** When a deployment is planned to run: UTC instants as ISO text, and the zone they were written in. */
export interface DeploymentPlan {
  start: string;
  end: string;
  timeZone: string;
}

/** A deployment as the schedule sees it: where, what, when and under which change. */
export interface ScheduleEntry {
  id: string;
  state: DeploymentState;
  environmentId: string;
  environment: string;
  model: string;
  changeId?: string;
  plan?: DeploymentPlan;
  requestedAt: string;
  updatedAt: string;
  versions: { service: string; component: string; version: string }[];
}

/** Which deployments the schedule reads. */
export interface ScheduleQuery {
  /** States in which a deployment is on the schedule even without a planned time (it is running). */
  runningStates: readonly DeploymentState[];
}

/**
 * The planning side of deployments: their planned times (set by governance, never by the
 * engine's transitions) and the reads the schedule and conflict detection need.
 */
export class PlanRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly audit: AuditRepository,
  ) {}

  private entryQuery() {
    return this.db
      .selectFrom('deployments')
      .innerJoin('environments', 'environments.id', 'deployments.environment_id')
      .innerJoin('model_versions', 'model_versions.id', 'deployments.model_version_id')
      .innerJoin('deployment_models', 'deployment_models.id', 'model_versions.model_id')
      .select([
        'deployments.id as id',
        'deployments.state as state',
        'deployments.environment_id as environment_id',
        'environments.name as environment',
        'deployment_models.name as model',
        'deployments.change_id as change_id',
        'deployments.planned_start as planned_start',
        'deployments.planned_end as planned_end',
        'deployments.time_zone as time_zone',
        'deployments.requested_at as requested_at',
        'deployments.updated_at as updated_at',
      ]);
  }

  private async withVersions(
    rows: Awaited<ReturnType<ReturnType<PlanRepository['entryQuery']>['execute']>>,
  ): Promise<ScheduleEntry[]> {
    if (rows.length === 0) return [];
    const versions = await this.db
      .selectFrom('deployment_versions')
      .innerJoin('components', 'components.id', 'deployment_versions.component_id')
      .innerJoin('services', 'services.id', 'components.service_id')
      .innerJoin('versions', 'versions.id', 'deployment_versions.version_id')
      .select([
        'deployment_versions.deployment_id as deployment_id',
        'services.name as service',
        'components.name as component',
        'versions.version as version',
      ])
      .where(
        'deployment_versions.deployment_id',
        'in',
        rows.map((row) => row.id),
      )
      .execute();
    return rows.map((row) => ({
      id: row.id,
      state: row.state as DeploymentState,
      environmentId: row.environment_id,
      environment: row.environment,
      model: row.model,
      ...(row.change_id !== null && { changeId: row.change_id }),
      ...(row.planned_start !== null &&
        row.planned_end !== null && {
          plan: { start: row.planned_start, end: row.planned_end, timeZone: row.time_zone ?? 'UTC' },
        }),
      requestedAt: row.requested_at,
      updatedAt: row.updated_at,
      versions: versions
        .filter((version) => version.deployment_id === row.id)
        .map(({ service, component, version }) => ({ service, component, version })),
    }));
  }

  /** One deployment as the schedule sees it. */
  async get(deploymentId: string): Promise<ScheduleEntry> {
    const rows = isId(deploymentId)
      ? await this.entryQuery().where('deployments.id', '=', deploymentId).execute()
      : [];
    const [entry] = await this.withVersions(rows);
    if (entry === undefined) throw new NotFoundError('deployment', deploymentId);
    return entry;
  }

  /** Every unfinished deployment that has a planned time or is running. */
  async scheduled(query: ScheduleQuery): Promise<ScheduleEntry[]> {
    const rows = await this.entryQuery()
      .where('deployments.state', 'not in', [...terminalStates])
      .where((eb) =>
        eb.or([
          eb('deployments.planned_start', 'is not', null),
          ...(query.runningStates.length > 0
            ? [eb('deployments.state', 'in', [...query.runningStates])]
            : []),
        ]),
      )
      .orderBy('deployments.id')
      .execute();
    return this.withVersions(rows);
  }

  /** Sets or clears the planned time of a deployment, with an audit entry. */
  async setPlan(deploymentId: string, plan: DeploymentPlan | undefined, actorId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('deployments')
        .set({
          planned_start: plan?.start ?? null,
          planned_end: plan?.end ?? null,
          time_zone: plan?.timeZone ?? null,
        })
        .where('id', '=', deploymentId)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw new NotFoundError('deployment', deploymentId);
      await this.audit.record(trx, {
        actorId,
        action: plan === undefined ? 'deployment.unplanned' : 'deployment.planned',
        subjectType: 'deployment',
        subjectId: deploymentId,
        details: { ...(plan !== undefined && { plan }), at: this.now().toISOString() },
      });
    });
  }
}
