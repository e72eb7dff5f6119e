import type { Kysely } from 'kysely';

/**
 * Incidents and the deployments they are linked to, and the trigger rules that turn a
 * version control push into a registered version and a started flow.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
    .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id'))
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('incidents_scope')
    .on('incidents')
    .columns(['service_id', 'environment_id', 'started_at'])
    .execute();
  // An incident tool that reports the same incident again updates it instead of adding one.
  await db.schema
    .createIndex('incidents_external')
    .on('incidents')
    .columns(['source', 'external_id'])
    .unique()
    .execute();

  await db.schema
    .createTable('incident_links')
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('score', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'text')
    .addColumn('comment', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('incident_links_pk', ['incident_id', 'deployment_id'])
    .execute();
  await db.schema
    .createIndex('incident_links_deployment')
    .on('incident_links')
    .column('deployment_id')
    .execute();

  await db.schema
    .createTable('trigger_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('ref_pattern', 'text', (c) => c.notNull())
    .addColumn('component_id', 'text', (c) => c.notNull().references('components.id'))
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id'))
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('version_template', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('trigger_rules_repository')
    .on('trigger_rules')
    .columns(['source', 'repository'])
    .execute();
}

/** Migrations move forward only; a down step exists so that tests can prove the guard. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['trigger_rules', 'incident_links', 'incidents']) {
    await db.schema.dropTable(table).execute();
  }
}
