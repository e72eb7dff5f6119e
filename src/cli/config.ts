import { resolve } from 'node:path';
import { InputError } from '../domain/index.js';

/** Settings of a server process, read from the environment. */
export interface ServerConfig {
  /** SLIPWAY_HOST, default 127.0.0.1. */
  host: string;
  /** SLIPWAY_PORT, default 4300. */
  port: number;
  /** SLIPWAY_DATA_DIR, default ./.slipway: the embedded store, the admin token file, keys. */
  dataDir: string;
  /** SLIPWAY_DATABASE_URL: a postgres:// URL selects PostgreSQL instead of the embedded store. */
  databaseUrl: string | undefined;
  /** SLIPWAY_ADMIN_TOKEN: the admin's token, instead of a generated one. */
  adminToken: string | undefined;
  /** SLIPWAY_LOG_LEVEL, default info. */
  logLevel: string;
  /** SLIPWAY_SQLITE_SYNCHRONOUS: NORMAL (default) or FULL. */
  synchronous: 'NORMAL' | 'FULL';
  /**
   * SLIPWAY_ENGINE_LEASE_MS, default 30000: how long this node's claim on a deployment lasts
   * without renewal, so how long other nodes wait before taking over work of a node that died.
   */
  engineLeaseMilliseconds: number;
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Reads the server configuration, failing with a clear message on a bad value. */
export function readServerConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(nonEmpty(env.SLIPWAY_PORT) ?? '4300');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InputError(`SLIPWAY_PORT must be a port number, not "${env.SLIPWAY_PORT}".`, [
      { path: 'SLIPWAY_PORT', message: 'invalid port' },
    ]);
  }
  const synchronous = (nonEmpty(env.SLIPWAY_SQLITE_SYNCHRONOUS) ?? 'NORMAL').toUpperCase();
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
    throw new InputError('SLIPWAY_SQLITE_SYNCHRONOUS must be NORMAL or FULL.', [
      { path: 'SLIPWAY_SQLITE_SYNCHRONOUS', message: 'invalid value' },
    ]);
  }
  const engineLeaseMilliseconds = Number(nonEmpty(env.SLIPWAY_ENGINE_LEASE_MS) ?? '30000');
  // A running step renews its lease at least every second, so a shorter lease could lapse between renewals.
  if (
    !Number.isInteger(engineLeaseMilliseconds) ||
    engineLeaseMilliseconds < 2000 ||
    engineLeaseMilliseconds > 3_600_000
  ) {
    throw new InputError(
      `SLIPWAY_ENGINE_LEASE_MS must be a whole number of milliseconds from 2000 to 3600000, not "${env.SLIPWAY_ENGINE_LEASE_MS}".`,
      [{ path: 'SLIPWAY_ENGINE_LEASE_MS', message: 'invalid lease time' }],
    );
  }
  const databaseUrl = nonEmpty(env.SLIPWAY_DATABASE_URL);
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new InputError(
      'SLIPWAY_DATABASE_URL must be a postgres:// URL; leave it unset for the embedded store.',
      [{ path: 'SLIPWAY_DATABASE_URL', message: 'not a postgres URL' }],
    );
  }
  const logLevel = nonEmpty(env.SLIPWAY_LOG_LEVEL) ?? 'info';
  if (!logLevels.includes(logLevel)) {
    throw new InputError(`SLIPWAY_LOG_LEVEL must be one of ${logLevels.join(', ')}, not "${logLevel}".`, [
      { path: 'SLIPWAY_LOG_LEVEL', message: 'unknown level' },
    ]);
  }
  return {
    host: nonEmpty(env.SLIPWAY_HOST) ?? '127.0.0.1',
    port,
    dataDir: resolve(nonEmpty(env.SLIPWAY_DATA_DIR) ?? '.slipway'),
    databaseUrl,
    adminToken: nonEmpty(env.SLIPWAY_ADMIN_TOKEN),
    logLevel,
    synchronous,
    engineLeaseMilliseconds,
  };
}
