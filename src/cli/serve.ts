import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { LocalStepDispatcher } from '../agents/index.js';
import { buildServer } from '../api/index.js';
import { DeploymentCommands, Engine } from '../engine/index.js';
import { AccessControl } from '../governance/index.js';
import { WebhookWorker } from '../notify/index.js';
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
  if (store.appliedMigrations.length > 0) {
    process.stderr.write(`Migrated the ${store.dialect} store: ${store.appliedMigrations.join(', ')}\n`);
  }
  const access = new AccessControl(store);
  const { generatedToken } = await access.ensureAdmin(config.adminToken);
  if (generatedToken !== undefined) {
    const tokenFile = join(config.dataDir, 'admin-token');
    writeFileSync(tokenFile, `${generatedToken}\n`, { mode: 0o600 });
    process.stderr.write(
      `\nFirst start: created the admin principal. Its API token (shown once, also saved to ${tokenFile}):\n\n  ${generatedToken}\n\n`,
    );
  }
  const engine = new Engine(store, new LocalStepDispatcher(), {
    leaseMilliseconds: config.engineLeaseMilliseconds,
  });
  const commands = new DeploymentCommands(store, engine.contextLoader);
  const webhookWorker = new WebhookWorker(store, {
    onError: (error) => app.log.warn({ err: error }, 'webhook delivery failed'),
  });
  const app = await buildServer({
    store,
    access,
    commands,
    webhookWorker,
    logLevel: config.logLevel,
    version: slipwayVersion,
  });
  const address = await app.listen({ host: config.host, port: config.port });
  await engine.start();
  webhookWorker.start();
  return {
    app,
    store,
    url: address,
    stop: async () => {
      await app.close();
      await webhookWorker.stop();
      await engine.stop();
      await store.close();
    },
  };
}
