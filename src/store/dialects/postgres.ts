import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../schema.js';

// int8 columns (sizes, counts) fit comfortably in a double; read them as numbers.
pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10));

/** Options of the PostgreSQL store. */
export interface PostgresOptions {
  /** A `postgres://` connection string. */
  connectionString: string;
  /** Largest number of pooled connections (default 10). */
  poolSize?: number;
}

/** Opens a pooled PostgreSQL store. */
export function openPostgres(options: PostgresOptions): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10 });
  // An idle client that loses its connection must not crash the server.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
