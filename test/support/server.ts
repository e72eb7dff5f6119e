import type { FastifyInstance } from 'fastify';
import { LocalStepDispatcher } from '../../src/agents/index.js';
import { buildServer } from '../../src/api/index.js';
import { type Role, roles } from '../../src/domain/index.js';
import { DeploymentCommands, Engine, type EngineOptions } from '../../src/engine/index.js';
import { AccessControl } from '../../src/governance/index.js';
import type { DialectName, Store } from '../../src/store/index.js';
import { openTestStore } from './stores.js';

/** An in-process server on a fresh store, with one token per role. */
export interface TestServer {
  app: FastifyInstance;
  store: Store;
  access: AccessControl;
  adminToken: string;
  /** A token whose principal holds exactly that role. */
  tokens: Record<Role, string>;
  /** Listens on a free loopback port and returns the base URL (for real HTTP clients). */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** How a test server is set up; every option has a default. */
export interface TestServerOptions {
  /**
   * Start the engine so requested deployments run (default false: they stay requested).
   * Pass engine options to tune it; the poll interval defaults to 50 ms here.
   */
  engine?: boolean | EngineOptions;
}

/** Starts a server on a fresh database of the given dialect. Nothing listens until `listen`. */
export async function startTestServer(
  dialect: DialectName,
  options: TestServerOptions = {},
): Promise<TestServer> {
  const { store, close } = await openTestStore(dialect);
  const access = new AccessControl(store);
  const { generatedToken } = await access.ensureAdmin(undefined);
  if (generatedToken === undefined) throw new Error('expected a generated admin token');
  const tokens = {} as Record<Role, string>;
  for (const role of roles) {
    const { issued } = await access.createPrincipal(
      { name: `as-${role}`, kind: 'person', roles: [role] },
      undefined,
    );
    tokens[role] = issued.token;
  }
  // Unless asked, the engine is built but not started: API tests see requested deployments stay put.
  const engineOptions = typeof options.engine === 'object' ? options.engine : {};
  const engine = new Engine(store, new LocalStepDispatcher(), { pollMilliseconds: 50, ...engineOptions });
  const commands = new DeploymentCommands(store, engine.contextLoader);
  const app = await buildServer({ store, access, commands, logLevel: 'silent' });
  await app.ready();
  if (options.engine !== undefined && options.engine !== false) await engine.start();
  return {
    app,
    store,
    access,
    adminToken: generatedToken,
    tokens,
    listen: async () => app.listen({ host: '127.0.0.1', port: 0 }),
    close: async () => {
      await app.close();
      // Stopping an engine that never started does nothing.
      await engine.stop();
      await close();
    },
  };
}

/** Headers carrying a bearer token. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
