import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../schema.js';

/** Options of the embedded store. */
export interface SqliteOptions {
  /** File path of the database, or `:memory:`. */
  filename: string;
  /**
   * SQLite's `synchronous` pragma. NORMAL (the default) survives a killed process in WAL
   * mode but may lose the last commits on power loss; FULL survives both at a cost.
   */
  synchronous?: 'NORMAL' | 'FULL';
}

/** Opens the embedded SQLite store in WAL mode with foreign keys enforced. */
export function openSqlite(options: SqliteOptions): Kysely<Database> {
  if (options.filename !== ':memory:') mkdirSync(dirname(options.filename), { recursive: true });
  const connection = new SqliteDatabase(options.filename);
  connection.pragma('journal_mode = WAL');
  connection.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
}
