import { LocalStepDispatcher } from '../../src/agents/index.js';
import {
  type Deployment,
  type DeploymentState,
  isTerminal,
  modelFingerprint,
  type Principal,
  parseModel,
} from '../../src/domain/index.js';
import { DeploymentCommands, Engine, type EngineOptions } from '../../src/engine/index.js';
import type { DialectName, Store, StoreOptions } from '../../src/store/index.js';
import { openTestStore } from './stores.js';

/** A store with a running engine, commands, and principals for each part people play. */
export interface EngineHarness {
  store: Store;
  engine: Engine;
  commands: DeploymentCommands;
  manager: Principal;
  practitioner: Principal;
  owner: Principal;
  close(): Promise<void>;
}

/** Opens a fresh store of a dialect and starts an engine on it. */
export async function startEngine(
  dialect: DialectName,
  options: { store?: Partial<StoreOptions>; engine?: EngineOptions } = {},
): Promise<EngineHarness> {
  const { store, close } = await openTestStore(dialect, options.store ?? {});
  const engine = new Engine(store, new LocalStepDispatcher(), { pollMilliseconds: 50, ...options.engine });
  const commands = new DeploymentCommands(store, engine.contextLoader);
  const manager = await store.principals.create(
    { name: 'dana', kind: 'person', roles: ['deployment-manager'] },
    undefined,
  );
  const practitioner = await store.principals.create(
    { name: 'pat', kind: 'person', roles: ['practitioner'] },
    undefined,
  );
  const owner = await store.principals.create(
    { name: 'olga', kind: 'person', roles: ['service-owner'] },
    undefined,
  );
  await engine.start();
  return {
    store,
    engine,
    commands,
    manager,
    practitioner,
    owner,
    close: async () => {
      await engine.stop();
      await close();
    },
  };
}

/** Applies a YAML model as the deployment manager. */
export async function applyModel(
  harness: EngineHarness,
  yaml: string,
  changelog = 'test model',
): Promise<void> {
  const model = parseModel(yaml);
  await harness.store.models.apply(
    { name: model.name, source: yaml, definition: model, fingerprint: modelFingerprint(model), changelog },
    harness.manager.id,
  );
}

/** A sha256: digest made of one repeated hex character. */
export function digestOf(character: string): string {
  return `sha256:${character.repeat(64)}`;
}

/** Waits until a deployment reaches one of the states (default: any terminal state). */
export async function waitForState(
  store: Store,
  deploymentId: string,
  states?: DeploymentState[],
  timeoutMilliseconds = 20_000,
): Promise<Deployment> {
  const deadline = Date.now() + timeoutMilliseconds;
  for (;;) {
    const deployment = await store.deployments.get(deploymentId);
    if (states === undefined ? isTerminal(deployment.state) : states.includes(deployment.state))
      return deployment;
    if (Date.now() > deadline)
      throw new Error(
        `Deployment ${deploymentId} is still ${deployment.state} (${deployment.stateReason ?? ''}).`,
      );
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until a condition over the store holds. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMilliseconds = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMilliseconds;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('The condition did not hold in time.');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
