import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../api/index.js';
import { AccessControl } from '../governance/index.js';
import { Store } from '../store/index.js';
import type { ServerConfig } from './config.js';
import { slipwayVersion } from './version.js';

/** A running server and how to stop it. */
export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  url: string;
  stop(): Promise<void>;
}

/**
 * Opens the store (migrating it), makes sure an admin can sign in, and starts listening.
 * A generated admin token is printed once and written to the data dir with mode 0600.
 */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  mkdirSync(config.dataDir, { recursive: true });
  const store = await Store.open({
    dataDir: config.dataDir,
    synchronous: config.synchronous,
    ...(config.databaseUrl !== undefined && { databaseUrl: config.databaseUrl }),
  });
  const access = new AccessControl(store);
  const { generatedToken } = await access.ensureAdmin(config.adminToken);
  if (generatedToken !== undefined) {
    const tokenFile = join(config.dataDir, 'admin-token');
    writeFileSync(tokenFile, `${generatedToken}\n`, { mode: 0o600 });
    process.stderr.write(
      `\nFirst start: created the admin principal. Its API token (shown once, also saved to ${tokenFile}):\n\n  ${generatedToken}\n\n`,
    );
  }
  const app = await buildServer({ store, access, logLevel: config.logLevel, version: slipwayVersion });
  const address = await app.listen({ host: config.host, port: config.port });
  return {
    app,
    store,
    url: address,
    stop: async () => {
      await app.close();
      await store.close();
    },
  };
}
