import type { Kysely } from 'kysely';

/**
 * Planning and governance: maintenance windows and freezes, change requests, change policies,
 * and on each deployment its change and planned time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('windows')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    // Scope ids without foreign keys: a window must not stop an environment from being deleted.
    .addColumn('environment_id', 'text')
    .addColumn('service_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('change_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('number', 'integer', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('change_requests_state')
    .on('change_requests')
    .columns(['state', 'id'])
    .execute();

  await db.schema
    .createTable('change_policies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // What the policy governs, as one text (environment id, tier, model): NULLs never collide
    // in a unique index, so two default policies could not be told apart otherwise.
    .addColumn('selector', 'text', (c) => c.notNull().unique())
    .addColumn('environment_id', 'text')
    .addColumn('tier', 'text')
    .addColumn('model', 'text')
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();

  // One statement per column: SQLite adds one column per ALTER TABLE.
  for (const column of ['change_id', 'planned_start', 'planned_end', 'time_zone']) {
    await db.schema.alterTable('deployments').addColumn(column, 'text').execute();
  }
  await db.schema.createIndex('deployments_change').on('deployments').column('change_id').execute();
  await db.schema
    .createIndex('deployments_planned')
    .on('deployments')
    .columns(['planned_start', 'planned_end'])
    .execute();
}

/** Migrations move forward only; a down step exists so that tests can prove the guard. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('deployments_planned').execute();
  await db.schema.dropIndex('deployments_change').execute();
  for (const column of ['time_zone', 'planned_end', 'planned_start', 'change_id']) {
    await db.schema.alterTable('deployments').dropColumn(column).execute();
  }
  for (const table of ['change_policies', 'change_requests', 'windows']) {
    await db.schema.dropTable(table).execute();
  }
}
