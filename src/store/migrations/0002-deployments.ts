import type { Kysely } from 'kysely';

/**
 * Deployment models and their versions, flows, deployments with their tamper-evident
 * records, step runs, manual tasks, gates, the engine's due work, notifications and the
 * pre-aggregated environment × component matrix.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deployment_models')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('model_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('model_id', 'text', (c) => c.notNull().references('deployment_models.id'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('changelog', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('model_versions_model_number', ['model_id', 'number'])
    .execute();

  await db.schema
    .createTable('flows')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('model_version_id', 'text', (c) => c.notNull().references('model_versions.id'))
    .addColumn('release_id', 'text')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('deployments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('flow_id', 'text', (c) => c.notNull().references('flows.id'))
    .addColumn('stage_index', 'integer', (c) => c.notNull())
    .addColumn('stage_name', 'text', (c) => c.notNull())
    .addColumn('model_version_id', 'text', (c) => c.notNull().references('model_versions.id'))
    .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('release_id', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('state_reason', 'text')
    .addColumn('supervised', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('progress', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addColumn('last_hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('deployments_flow')
    .on('deployments')
    .columns(['flow_id', 'stage_index'])
    .execute();
  await db.schema
    .createIndex('deployments_environment')
    .on('deployments')
    .columns(['environment_id', 'state'])
    .execute();
  await db.schema.createIndex('deployments_state').on('deployments').column('state').execute();

  await db.schema
    .createTable('deployment_versions')
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
    .addColumn('component_id', 'text', (c) => c.notNull().references('components.id'))
    .addColumn('version_id', 'text', (c) => c.notNull().references('versions.id'))
    .addColumn('previous_version_id', 'text')
    .addPrimaryKeyConstraint('deployment_versions_pk', ['deployment_id', 'component_id'])
    .execute();
  await db.schema
    .createIndex('deployment_versions_version')
    .on('deployment_versions')
    .columns(['version_id'])
    .execute();

  await db.schema
    .createTable('deployment_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('previous_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addUniqueConstraint('deployment_events_sequence', ['deployment_id', 'sequence'])
    .execute();

  await db.schema
    .createTable('step_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('step_index', 'integer', (c) => c.notNull())
    .addColumn('step_name', 'text', (c) => c.notNull())
    .addColumn('step_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text')
    .addColumn('target_name', 'text')
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('exit_code', 'integer')
    .addColumn('message', 'text')
    .execute();
  await db.schema
    .createIndex('step_runs_deployment')
    .on('step_runs')
    .columns(['deployment_id', 'phase', 'step_index'])
    .execute();

  await db.schema
    .createTable('manual_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
    .addColumn('step_run_id', 'text', (c) => c.notNull().references('step_runs.id'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('checklist', 'text', (c) => c.notNull())
    .addColumn('assignee_role', 'text')
    .addColumn('assignee_party', 'text')
    .addColumn('evidence_required', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('evidence', 'text')
    .addColumn('reason', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('manual_tasks_state')
    .on('manual_tasks')
    .columns(['state', 'assignee_role'])
    .execute();

  await db.schema
    .createTable('gates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('required_roles', 'text', (c) => c.notNull())
    .addColumn('required_count', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('before_step', 'text')
    .addColumn('approvers', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'text')
    .addColumn('comment', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('gates_deployment').on('gates').columns(['deployment_id', 'state']).execute();

  await db.schema
    .createTable('engine_work')
    .addColumn('deployment_id', 'text', (c) => c.primaryKey().references('deployments.id'))
    .addColumn('due_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('fence', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('engine_work_due').on('engine_work').column('due_at').execute();

  await db.schema
    .createTable('subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('principal_id', 'text', (c) => c.notNull().references('principals.id'))
    .addColumn('service_id', 'text')
    .addColumn('environment_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('principal_id', 'text', (c) => c.notNull().references('principals.id'))
    .addColumn('deployment_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('read_at', 'text')
    .execute();
  await db.schema
    .createIndex('notifications_principal')
    .on('notifications')
    .columns(['principal_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('deployment_matrix')
    .addColumn('component_id', 'text', (c) => c.notNull())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('version_id', 'text')
    .addColumn('deployment_id', 'text')
    .addColumn('outcome', 'text')
    .addColumn('at', 'text')
    .addColumn('in_flight_deployment_id', 'text')
    .addColumn('in_flight_version_id', 'text')
    .addPrimaryKeyConstraint('deployment_matrix_pk', ['component_id', 'environment_id'])
    .execute();
}

/** Migrations move forward only; a down step exists so that tests can prove the guard. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'deployment_matrix',
    'notifications',
    'subscriptions',
    'engine_work',
    'gates',
    'manual_tasks',
    'step_runs',
    'deployment_events',
    'deployment_versions',
    'deployments',
    'flows',
    'model_versions',
    'deployment_models',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
