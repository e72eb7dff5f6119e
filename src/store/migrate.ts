import { type Kysely, Migrator, sql } from 'kysely';
import { ErrorCode, SlipwayError } from '../domain/index.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

const migrationTable = 'slipway_migration';
const migrationLockTable = 'slipway_migration_lock';

/** Names of the migrations already applied to a database, oldest first. */
async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  const tables = await db.introspection.getTables();
  if (!tables.some((table) => table.name === migrationTable)) return [];
  const result = await sql<{
    name: string;
  }>`select name from ${sql.table(migrationTable)} order by name`.execute(db);
  return result.rows.map((row) => row.name);
}

/**
 * Brings the database up to this version's schema. Refuses a database that a newer
 * Slipway has migrated: running old code on it could corrupt what the new code wrote.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<{ applied: string[] }> {
  const known = new Set(Object.keys(migrations));
  const unknown = (await appliedMigrations(db)).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new SlipwayError(
      ErrorCode.storeTooNew,
      `This database was migrated by a newer Slipway (it has migration ${unknown.join(', ')}, which this version does not know). ` +
        'Run the newer Slipway, or point this one at another database.',
      { unknownMigrations: unknown },
    );
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: migrationTable,
    migrationLockTableName: migrationLockTable,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) throw error;
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
