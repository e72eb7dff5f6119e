import { sql } from 'kysely';
import { GateState, ManualTaskState } from '../domain/index.js';
import { PreparedQuery } from './prepared-query.js';

/*
 * The SQL of creating and advancing deployments, compiled once per dialect (see
 * PreparedQuery). The repository and the transaction hold the logic; this file holds only
 * the statements they run.
 */

/*
 * The statements every transition runs, compiled once (see PreparedQuery). Each has the
 * same SQL as the query builder chain it was written as.
 */
export const scheduleWork = new PreparedQuery(2, (db, _dialect, deploymentId: string, dueAt: string) =>
  db
    .insertInto('engine_work')
    .values({ deployment_id: deploymentId, due_at: dueAt, lease_owner: null, lease_until: null, fence: 0 })
    .onConflict((conflict) =>
      conflict.column('deployment_id').doUpdateSet({ due_at: dueAt, lease_owner: null, lease_until: null }),
    ),
);
export const unscheduleWork = new PreparedQuery(1, (db, _dialect, deploymentId: string) =>
  db.deleteFrom('engine_work').where('deployment_id', '=', deploymentId),
);
export const allStepRuns = new PreparedQuery(1, (db, _dialect, deploymentId: string) =>
  db.selectFrom('step_runs').selectAll().where('deployment_id', '=', deploymentId).orderBy('id'),
);
export const stepRunsOfPhase = new PreparedQuery(2, (db, _dialect, deploymentId: string, phase: string) =>
  db
    .selectFrom('step_runs')
    .selectAll()
    .where('deployment_id', '=', deploymentId)
    .orderBy('id')
    .where('phase', '=', phase),
);
export const insertStepRun = new PreparedQuery(
  11,
  (
    db,
    _dialect,
    id: string,
    deploymentId: string,
    phase: string,
    stepIndex: number,
    stepName: string,
    stepType: string,
    targetId: string | null,
    targetName: string | null,
    attempt: number,
    state: string,
    startedAt: string,
  ) =>
    db.insertInto('step_runs').values({
      id,
      deployment_id: deploymentId,
      phase,
      step_index: stepIndex,
      step_name: stepName,
      step_type: stepType,
      target_id: targetId,
      target_name: targetName,
      attempt,
      state,
      started_at: startedAt,
      finished_at: null,
      exit_code: null,
      message: null,
    }),
);
export const updateStepRun = new PreparedQuery(
  6,
  (
    db,
    _dialect,
    state: string,
    finishedAt: string | null,
    exitCode: number | null,
    message: string | null,
    stepRunId: string,
    deploymentId: string,
  ) =>
    db
      .updateTable('step_runs')
      .set({ state, finished_at: finishedAt, exit_code: exitCode, message })
      .where('id', '=', stepRunId)
      .where('deployment_id', '=', deploymentId),
);
export const cancelTasks = new PreparedQuery(2, (db, _dialect, decidedAt: string, deploymentId: string) =>
  db
    .updateTable('manual_tasks')
    .set({ state: ManualTaskState.cancelled, decided_at: decidedAt })
    .where('deployment_id', '=', deploymentId)
    .where('state', '=', ManualTaskState.open),
);
export const cancelGates = new PreparedQuery(2, (db, _dialect, decidedAt: string, deploymentId: string) =>
  db
    .updateTable('gates')
    .set({ state: GateState.cancelled, decided_at: decidedAt })
    .where('deployment_id', '=', deploymentId)
    .where('state', '=', GateState.open),
);
export const allGates = new PreparedQuery(1, (db, _dialect, deploymentId: string) =>
  db.selectFrom('gates').selectAll().where('deployment_id', '=', deploymentId).orderBy('id'),
);
export const gatesOfKind = new PreparedQuery(2, (db, _dialect, deploymentId: string, kind: string) =>
  db
    .selectFrom('gates')
    .selectAll()
    .where('deployment_id', '=', deploymentId)
    .orderBy('id')
    .where('kind', '=', kind),
);
export const updateDeployment = new PreparedQuery(
  9,
  (
    db,
    _dialect,
    state: string,
    stateReason: string | null,
    supervised: number,
    progress: string,
    updatedAt: string,
    finishedAt: string | null,
    eventCount: number,
    lastHash: string,
    id: string,
  ) =>
    db
      .updateTable('deployments')
      .set({
        state,
        state_reason: stateReason,
        supervised,
        progress,
        updated_at: updatedAt,
        finished_at: finishedAt,
        event_count: eventCount,
        last_hash: lastHash,
      })
      .where('id', '=', id),
);
export const versionsOfDeployment = new PreparedQuery(1, (db, _dialect, deploymentId: string) =>
  db.selectFrom('deployment_versions').selectAll().where('deployment_id', '=', deploymentId),
);
export const recordMatrixOutcome = new PreparedQuery(
  6,
  (
    db,
    _dialect,
    componentId: string,
    environmentId: string,
    versionId: string | null,
    deploymentId: string,
    outcome: string,
    at: string,
  ) =>
    db
      .insertInto('deployment_matrix')
      .values({
        component_id: componentId,
        environment_id: environmentId,
        version_id: versionId,
        deployment_id: deploymentId,
        outcome,
        at,
        in_flight_deployment_id: null,
        in_flight_version_id: null,
      })
      .onConflict((conflict) =>
        conflict.columns(['component_id', 'environment_id']).doUpdateSet({
          version_id: versionId,
          deployment_id: deploymentId,
          outcome,
          at,
        }),
      ),
);
export const clearMatrixInFlight = new PreparedQuery(
  3,
  (db, _dialect, componentId: string, environmentId: string, deploymentId: string) =>
    db
      .updateTable('deployment_matrix')
      .set({ in_flight_deployment_id: null, in_flight_version_id: null })
      .where('component_id', '=', componentId)
      .where('environment_id', '=', environmentId)
      .where('in_flight_deployment_id', '=', deploymentId),
);

/** Values of one deployment_events row, in column order. */
export const eventColumns = 9;
/** Event inserts are prepared for batches up to this size; larger ones (rare) are built each time. */
export const preparedEventBatch = 16;
const eventInserts = new Map<number, PreparedQuery<unknown[], unknown>>();

/** The insert of `count` events at once. */
export function eventInsert(count: number): PreparedQuery<unknown[], unknown> {
  let query = eventInserts.get(count);
  if (query === undefined) {
    query = new PreparedQuery(count * eventColumns, (db, _dialect, ...values: unknown[]) =>
      db.insertInto('deployment_events').values(
        Array.from({ length: count }, (_, row) => {
          const at = (column: number) => values[row * eventColumns + column];
          return {
            id: at(0) as string,
            deployment_id: at(1) as string,
            sequence: at(2) as number,
            at: at(3) as string,
            type: at(4) as string,
            actor_id: at(5) as string | null,
            data: at(6) as string,
            previous_hash: at(7) as string,
            hash: at(8) as string,
          };
        }),
      ),
    );
    eventInserts.set(count, query);
  }
  return query;
}

/*
 * The statements of creating and advancing a deployment, compiled once (see PreparedQuery).
 */
export const insertFlow = new PreparedQuery(
  6,
  (
    db,
    _dialect,
    id: string,
    modelVersionId: string,
    releaseId: string | null,
    subject: string,
    createdAt: string,
    requestedBy: string,
  ) =>
    db.insertInto('flows').values({
      id,
      model_version_id: modelVersionId,
      release_id: releaseId,
      subject,
      created_at: createdAt,
      requested_by: requestedBy,
    }),
);
export const insertDeployment = new PreparedQuery(
  17,
  (
    db,
    _dialect,
    id: string,
    flowId: string,
    stageIndex: number,
    stageName: string,
    modelVersionId: string,
    environmentId: string,
    kind: string,
    releaseId: string | null,
    state: string,
    stateReason: string | null,
    supervised: number,
    progress: string,
    requestedBy: string,
    requestedAt: string,
    updatedAt: string,
    eventCount: number,
    lastHash: string,
  ) =>
    db.insertInto('deployments').values({
      id,
      flow_id: flowId,
      stage_index: stageIndex,
      stage_name: stageName,
      model_version_id: modelVersionId,
      environment_id: environmentId,
      kind,
      release_id: releaseId,
      state,
      state_reason: stateReason,
      supervised,
      progress,
      requested_by: requestedBy,
      requested_at: requestedAt,
      updated_at: updatedAt,
      finished_at: null,
      event_count: eventCount,
      last_hash: lastHash,
    }),
);
export const insertDeploymentVersion = new PreparedQuery(
  4,
  (
    db,
    _dialect,
    deploymentId: string,
    componentId: string,
    versionId: string,
    previousVersionId: string | null,
  ) =>
    db.insertInto('deployment_versions').values({
      deployment_id: deploymentId,
      component_id: componentId,
      version_id: versionId,
      previous_version_id: previousVersionId,
    }),
);
export const markMatrixInFlight = new PreparedQuery(
  4,
  (db, _dialect, componentId: string, environmentId: string, deploymentId: string, versionId: string) =>
    db
      .insertInto('deployment_matrix')
      .values({
        component_id: componentId,
        environment_id: environmentId,
        version_id: null,
        deployment_id: null,
        outcome: null,
        at: null,
        in_flight_deployment_id: deploymentId,
        in_flight_version_id: versionId,
      })
      .onConflict((conflict) =>
        conflict
          .columns(['component_id', 'environment_id'])
          .doUpdateSet({ in_flight_deployment_id: deploymentId, in_flight_version_id: versionId }),
      ),
);
export const deploymentRow = new PreparedQuery(1, (db, _dialect, id: string) =>
  db.selectFrom('deployments').selectAll().where('id', '=', id),
);
// The row and its lease in one read (a lease cannot exist without its deployment); locked on PostgreSQL.
export const deploymentRowForUpdate = new PreparedQuery(1, (db, dialect, id: string) => {
  const query = db
    .selectFrom('deployments')
    .leftJoin('engine_work', 'engine_work.deployment_id', 'deployments.id')
    .selectAll('deployments')
    .select('engine_work.fence as lease_fence')
    .where('deployments.id', '=', id);
  return dialect === 'postgres' ? query.forUpdate('deployments') : query;
});
export const deploymentMembers = new PreparedQuery(1, (db, _dialect, deploymentId: string) =>
  db
    .selectFrom('deployment_versions')
    .innerJoin('versions', 'versions.id', 'deployment_versions.version_id')
    .innerJoin('components', 'components.id', 'deployment_versions.component_id')
    .select([
      'components.id as component_id',
      'components.name as component_name',
      'components.service_id',
      'components.kind',
      'versions.id as version_id',
      'versions.version',
      'versions.digest',
      'versions.manifest',
      'versions.source_uri',
      'deployment_versions.previous_version_id',
    ])
    .where('deployment_versions.deployment_id', '=', deploymentId)
    .orderBy('components.name'),
);

export const deploymentsInFlow = new PreparedQuery(1, (db, _dialect, flowId: string) =>
  db.selectFrom('deployments').selectAll().where('flow_id', '=', flowId).orderBy('stage_index').orderBy('id'),
);
export const liveRunOfModelVersion = new PreparedQuery(
  2,
  (db, _dialect, modelVersionId: string, exceptDeploymentId: string) =>
    db
      .selectFrom('deployments')
      .innerJoin('environments', 'environments.id', 'deployments.environment_id')
      .select('deployments.id')
      .where('deployments.model_version_id', '=', modelVersionId)
      .where('environments.tier', '=', 'live')
      .where('deployments.id', '!=', exceptDeploymentId)
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('step_runs')
            .select(sql`1`.as('one'))
            .whereRef('step_runs.deployment_id', '=', 'deployments.id'),
        ),
      )
      .limit(1),
);

/** lastFinished is prepared for up to this many versions (one per component of a release). */
export const preparedVersionCount = 8;
export const lastFinishedQueries = new Map<
  number,
  PreparedQuery<string[], { version_id: string; finished_at: string | null }>
>();

/** The query behind lastFinished for `count` versions: environment, state, then the version ids. */
export function lastFinishedQuery(count: number) {
  let query = lastFinishedQueries.get(count);
  if (query === undefined) {
    query = new PreparedQuery(count + 2, (db, _dialect, ...values: string[]) =>
      db
        .selectFrom('deployments')
        .innerJoin('deployment_versions', 'deployment_versions.deployment_id', 'deployments.id')
        .select([
          'deployment_versions.version_id',
          (eb) => eb.fn.max('deployments.finished_at').as('finished_at'),
        ])
        .where('deployments.environment_id', '=', values[0] as string)
        .where('deployments.state', '=', values[1] as string)
        .where('deployment_versions.version_id', 'in', values.slice(2))
        .groupBy('deployment_versions.version_id'),
    );
    lastFinishedQueries.set(count, query);
  }
  return query;
}
