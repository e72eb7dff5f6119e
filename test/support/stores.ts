import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type DialectName, Store, type StoreOptions } from '../../src/store/index.js';

/** The PostgreSQL server store tests use; its `test` database is only used to create fresh ones. */
export const postgresAdminUrl =
  process.env.SLIPWAY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

let dialectsPromise: Promise<DialectName[]> | undefined;

/**
 * The dialects every store test runs on: SQLite always, PostgreSQL when reachable. In CI
 * an unreachable PostgreSQL is a failure, not a skip.
 */
export function dialectsUnderTest(): Promise<DialectName[]> {
  dialectsPromise ??= (async () => {
    if (await postgresReachable()) return ['sqlite', 'postgres'];
    if (process.env.CI === 'true') {
      throw new Error(
        `CI=true but PostgreSQL at ${postgresAdminUrl} is unreachable; store tests must run on it.`,
      );
    }
    console.warn(`PostgreSQL at ${postgresAdminUrl} is unreachable: store tests run on SQLite only.`);
    return ['sqlite'];
  })();
  return dialectsPromise;
}

/** A fresh, empty database of one dialect and how to throw it away. */
export interface TestDatabase {
  dialect: DialectName;
  /** Options that open this database (several times, e.g. across a restart). */
  options: StoreOptions;
  /** Drops the database and its files. */
  drop(): Promise<void>;
}

/** Creates a fresh database: a new SQLite file, or a new PostgreSQL database. */
export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'slipway-test-'));
    return {
      dialect,
      options: { dataDir },
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `slipway_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    dialect,
    options: { databaseUrl: url.toString() },
    drop: async () => {
      const client = new pg.Client({ connectionString: postgresAdminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** Opens a store on a fresh database; `close` closes it and drops the database. */
export async function openTestStore(
  dialect: DialectName,
  options: Partial<StoreOptions> = {},
): Promise<{ store: Store; close(): Promise<void> }> {
  const database = await createTestDatabase(dialect);
  const store = await Store.open({ ...database.options, ...options });
  return {
    store,
    close: async () => {
      await store.close();
      await database.drop();
    },
  };
}
