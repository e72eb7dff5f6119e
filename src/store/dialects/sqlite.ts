import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, type SqliteDatabase as KyselySqliteDatabase, SqliteDialect } from 'kysely';
import type { Database } from '../schema.js';
import { fallbackAutocheckpointPages, SqliteCheckpointer } from './sqlite-checkpointer.js';

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

const statementCacheSize = 500;

/**
 * Kysely prepares every query it runs; preparing costs several times more than running a
 * small query. Slipway's queries come from a fixed set of builders, so their SQL text
 * repeats and the prepared statements can be kept. Kysely's SQLite driver runs one query
 * at a time on its single connection, so a cached statement is never used twice at once.
 */
function withStatementCache(
  connection: SqliteDatabase.Database,
  beforeClose: () => void,
): KyselySqliteDatabase {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => {
      beforeClose();
      connection.close();
    },
    prepare: (sql: string) => {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = connection.prepare(sql);
        if (statements.size >= statementCacheSize) statements.clear();
        statements.set(sql, statement);
      }
      return statement as unknown as ReturnType<KyselySqliteDatabase['prepare']>;
    },
  };
}

/** Opens the embedded SQLite store in WAL mode with foreign keys enforced. */
export function openSqlite(options: SqliteOptions): Kysely<Database> {
  if (options.filename !== ':memory:') {
    const directory = dirname(options.filename);
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  }
  const connection = new SqliteDatabase(options.filename);
  if (options.filename !== ':memory:') chmodSync(options.filename, 0o600);
  const synchronous = options.synchronous ?? 'NORMAL';
  connection.pragma('journal_mode = WAL');
  connection.pragma(`synchronous = ${synchronous}`);
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  let checkpointer: SqliteCheckpointer | undefined;
  if (options.filename !== ':memory:') {
    // A worker checkpoints the log; this connection only steps in if the log grows far.
    connection.pragma(`wal_autocheckpoint = ${fallbackAutocheckpointPages}`);
    checkpointer = new SqliteCheckpointer(options.filename, synchronous, () => {
      if (connection.open) connection.pragma('wal_autocheckpoint = 1000');
    });
  }
  return new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(connection, () => checkpointer?.close()) }),
  });
}
