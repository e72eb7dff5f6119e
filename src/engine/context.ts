import {
  type CompiledModel,
  type CompiledStage,
  compileModel,
  type Environment,
  parseModelValue,
} from '../domain/index.js';
import type { DeploymentMember, DeploymentTable, Store } from '../store/index.js';
import type { TargetView } from './dispatcher.js';

/** Everything the engine reads to advance one deployment. */
export interface DeploymentContext {
  model: CompiledModel;
  stage: CompiledStage;
  environment: Environment;
  targets: TargetView[];
  members: DeploymentMember[];
}

/** Loads deployment contexts, caching compiled models: a model version never changes. */
export class ContextLoader {
  private readonly models = new Map<string, CompiledModel>();

  constructor(private readonly store: Store) {}

  /** The compiled model of a model version. */
  async model(modelVersionId: string): Promise<CompiledModel> {
    let model = this.models.get(modelVersionId);
    if (model === undefined) {
      const version = await this.store.models.getVersionById(modelVersionId);
      model = compileModel(parseModelValue(version.definition));
      this.models.set(modelVersionId, model);
    }
    return model;
  }

  /** Loads the context of a deployment row. */
  async load(row: DeploymentTable): Promise<DeploymentContext> {
    const model = await this.model(row.model_version_id);
    const stage = model.stages[row.stage_index];
    if (stage === undefined) throw new Error(`Model ${model.name} has no stage ${row.stage_index}.`);
    const environment = await this.store.environments.get(row.environment_id);
    const targets = (await this.store.environments.allTargets(environment.id)).map((target) => ({
      id: target.id,
      name: target.name,
      labels: target.labels,
      facts: target.facts,
    }));
    const members = await this.store.deployments.members(row.id);
    return { model, stage, environment, targets, members };
  }
}
