import {
  ConflictError,
  type Deployment,
  type Environment,
  GateState,
  InputError,
  ManualTaskState,
  modelAppliesTo,
  NotAllowedError,
  type Principal,
  preExecutionStates,
  stageForEnvironment,
  type Version,
} from '../domain/index.js';
import type { Store } from '../store/index.js';
import type { ContextLoader } from './context.js';
import { finishDeployment } from './finish.js';
import { environmentsOfStage, movementInto } from './promotion.js';

/** What a person or system asks to deploy. */
export interface DeploymentRequest {
  /** `component@version` pairs to move, or a release by name. */
  versions?: { component: string; version: string }[];
  release?: string;
  environment: string;
  /** A model by name; without it the one model that applies is used. */
  model?: string;
  removal?: boolean;
  reason?: string;
}

/**
 * The commands people and systems give the engine. Each changes a deployment in one
 * transaction, records the actor and reason, and wakes the engine; none runs a step.
 */
export class DeploymentCommands {
  constructor(
    private readonly store: Store,
    private readonly contexts: ContextLoader,
  ) {}

  private async resolveVersions(
    request: DeploymentRequest,
  ): Promise<{ versions: Version[]; releaseId?: string }> {
    if (request.release !== undefined) {
      const release = await this.store.catalog.getRelease(request.release);
      const versions = await Promise.all(
        release.versions.map((member) => this.store.catalog.getVersion(member.componentId, member.versionId)),
      );
      return { versions, releaseId: release.id };
    }
    if (request.versions === undefined || request.versions.length === 0) {
      throw new InputError('Name the versions to deploy (component@version) or a release.', [
        { path: '/body/versions', message: 'is required without release' },
      ]);
    }
    return {
      versions: await Promise.all(
        request.versions.map((entry) => this.store.catalog.getVersion(entry.component, entry.version)),
      ),
    };
  }

  private async resolveModel(request: DeploymentRequest, versions: Version[], environment: Environment) {
    const components = await Promise.all(
      versions.map((version) => this.store.catalog.getComponent(version.componentId)),
    );
    const candidates =
      request.model !== undefined
        ? [await this.store.models.getVersion(request.model)]
        : await this.store.models.listLatest();
    const matching = [];
    for (const candidate of candidates) {
      const view = await this.contexts.model(candidate.id);
      const stage = stageForEnvironment(view.stages, environment);
      const applies = components.every((component) =>
        modelAppliesTo(view.model, {
          kind: component.kind,
          service: component.service,
          labels: component.labels,
        }),
      );
      if (stage !== undefined && (applies || request.model !== undefined))
        matching.push({ version: candidate, view, stage, applies });
    }
    const chosen = matching[0];
    if (request.model !== undefined) {
      if (chosen === undefined) {
        throw new ConflictError(
          `Model ${request.model} has no stage for environment ${environment.name} (tier ${environment.tier}).`,
          {
            model: request.model,
            environment: environment.name,
          },
          'no_stage_for_environment',
        );
      }
      if (!chosen.applies) {
        throw new ConflictError(
          `Model ${request.model} does not apply to ${components.map((component) => `${component.name} (${component.kind})`).join(', ')}.`,
          {
            model: request.model,
          },
          'model_not_applicable',
        );
      }
      return chosen;
    }
    if (chosen === undefined) {
      throw new ConflictError(
        `No deployment model applies to ${components.map((component) => `${component.name} (${component.kind})`).join(', ')} with a stage for ${environment.name}. Apply one, or name one with model.`,
        { environment: environment.name },
        'no_model_applies',
      );
    }
    if (matching.length > 1) {
      throw new ConflictError(
        `Several models apply (${matching.map((match) => match.version.model).join(', ')}); name one with model.`,
        {
          models: matching.map((match) => match.version.model),
        },
        'model_ambiguous',
      );
    }
    return chosen;
  }

  /** Requests a deployment into an environment; it starts a new flow at the stage for that environment. */
  async request(request: DeploymentRequest, actor: Principal): Promise<Deployment> {
    const environment = await this.store.environments.get(request.environment);
    const { versions, releaseId } = await this.resolveVersions(request);
    const { version: modelVersion, stage } = await this.resolveModel(request, versions, environment);
    const movement = await movementInto(
      this.store,
      environment.id,
      versions.map((version) => ({ componentId: version.componentId, versionId: version.id })),
    );
    const id = await this.store.deployments.create(async (db, created) => {
      const { id, transaction } = await this.store.deployments.createIn(db, {
        modelVersionId: modelVersion.id,
        stageIndex: stage.index,
        stageName: stage.name,
        environmentId: environment.id,
        kind: request.removal === true ? 'removal' : movement.kind,
        ...(releaseId !== undefined && { releaseId }),
        versions: movement.versions,
        requestedBy: actor.id,
        reason: request.reason ?? `Requested by ${actor.name}.`,
        progress: { pinned: Object.fromEntries(versions.map((version) => [version.id, version.digest])) },
        data: {
          model: modelVersion.model,
          modelVersion: modelVersion.number,
          environment: environment.name,
          versions: versions.map((version) => ({
            component: version.component,
            version: version.version,
            digest: version.digest,
          })),
        },
      });
      created.push(transaction);
      return id;
    });
    return this.store.deployments.get(id);
  }

  /** Promotes a version that succeeded in the stage before the environment's stage. */
  async promote(
    input: { component: string; version: string; environment: string; reason?: string },
    actor: Principal,
  ): Promise<Deployment> {
    const environment = await this.store.environments.get(input.environment);
    const version = await this.store.catalog.getVersion(input.component, input.version);
    const succeeded = await this.store.deployments.list(
      { componentId: version.componentId, states: ['succeeded'] },
      { limit: 200 },
    );
    for (const previous of succeeded.items) {
      if (!previous.versions.some((member) => member.versionId === version.id)) continue;
      const model = await this.contexts.model(previous.modelVersionId);
      const next = model.stages[previous.stageIndex + 1];
      if (next === undefined) continue;
      const targets = await environmentsOfStage(this.store, next);
      if (!targets.some((candidate) => candidate.id === environment.id)) continue;
      const flow = await this.store.deployments.inFlow(previous.flowId);
      const existing = flow.find(
        (row) =>
          row.stage_index === next.index &&
          row.environment_id === environment.id &&
          !['failed', 'cancelled', 'rejected', 'rolled-back'].includes(row.state),
      );
      if (existing !== undefined) {
        throw new ConflictError(
          `${input.component}@${input.version} is already promoted to ${environment.name} (deployment ${existing.id}, ${existing.state}).`,
          {
            deploymentId: existing.id,
          },
          'already_promoted',
        );
      }
      const members = previous.versions.map((member) => ({
        componentId: member.componentId,
        versionId: member.versionId,
      }));
      const movement = await movementInto(this.store, environment.id, members);
      const id = await this.store.deployments.create(async (db, created) => {
        const { id, transaction } = await this.store.deployments.createIn(db, {
          flowId: previous.flowId,
          modelVersionId: previous.modelVersionId,
          stageIndex: next.index,
          stageName: next.name,
          environmentId: environment.id,
          kind: movement.kind,
          versions: movement.versions,
          requestedBy: actor.id,
          reason: input.reason ?? `Promoted by ${actor.name} from ${previous.environment}.`,
          progress: {
            pinned: Object.fromEntries(previous.versions.map((member) => [member.versionId, member.digest])),
          },
          data: { promotedFrom: previous.id, environment: environment.name },
        });
        created.push(transaction);
        return id;
      });
      return this.store.deployments.get(id);
    }
    throw new ConflictError(
      `${input.component}@${input.version} has not succeeded in a stage that leads to ${environment.name}, so it cannot be promoted there.`,
      { component: input.component, version: input.version, environment: environment.name },
      'not_promotable',
    );
  }

  /** Cancels a deployment that has not started executing. */
  async cancel(deploymentId: string, reason: string, actor: Principal): Promise<Deployment> {
    const row = await this.store.deployments.row(deploymentId);
    if (row === undefined) return this.store.deployments.get(deploymentId);
    const context = await this.contexts.load(row);
    await this.store.deployments.mutate(deploymentId, async (transaction) => {
      if (!preExecutionStates.includes(transaction.state)) {
        throw new ConflictError(
          `Deployment ${deploymentId} is ${transaction.state}; only deployments that have not started executing can be cancelled.`,
          {
            state: transaction.state,
          },
          'invalid_transition',
        );
      }
      await finishDeployment(
        this.store.scope(transaction.db),
        transaction,
        context,
        'cancelled',
        reason,
        actor.id,
      );
    });
    return this.store.deployments.get(deploymentId);
  }

  /** Starts the rollback of a failed deployment whose stage has rollback steps. */
  async rollback(deploymentId: string, reason: string, actor: Principal): Promise<Deployment> {
    const row = await this.store.deployments.row(deploymentId);
    if (row === undefined) return this.store.deployments.get(deploymentId);
    const context = await this.contexts.load(row);
    if (context.stage.rollback.length === 0) {
      throw new ConflictError(
        `Stage ${context.stage.name} of model ${context.model.name} has no rollback steps.`,
        {},
        'no_rollback_steps',
      );
    }
    await this.store.deployments.mutate(deploymentId, async (transaction) => {
      transaction.transition('rolling-back', reason, { actorId: actor.id });
      transaction.setProgress({ ...transaction.progress, phase: 'rollback', stepIndex: 0 });
      await transaction.schedule();
    });
    return this.store.deployments.get(deploymentId);
  }

  /** Completes a manual task with evidence; the person must hold the task's role. */
  async completeTask(
    taskId: string,
    input: { evidence?: string; checklist?: string[] },
    actor: Principal,
  ): Promise<void> {
    const task = await this.store.tasks.getTask(taskId);
    this.assertMayAct(actor, task.assigneeRole);
    if (task.evidenceRequired && (input.evidence === undefined || input.evidence.trim() === '')) {
      throw new InputError(
        'This task needs an evidence note (what was done, serial numbers, a ticket or photo reference).',
        [{ path: '/body/evidence', message: 'is required for this task' }],
      );
    }
    const unticked = task.checklist.filter((item) => !(input.checklist ?? task.checklist).includes(item));
    if (input.checklist !== undefined && unticked.length > 0) {
      throw new InputError(
        `Tick every checklist item before completing the task; missing: ${unticked.join('; ')}.`,
        [{ path: '/body/checklist', message: 'misses items' }],
      );
    }
    await this.decideTask(
      task.deploymentId,
      taskId,
      actor,
      { state: ManualTaskState.completed, ...(input.evidence !== undefined && { evidence: input.evidence }) },
      {
        checklist: task.checklist,
        evidence: input.evidence,
      },
    );
  }

  /** Fails a manual task with a reason. */
  async failTask(taskId: string, reason: string, actor: Principal): Promise<void> {
    const task = await this.store.tasks.getTask(taskId);
    this.assertMayAct(actor, task.assigneeRole);
    await this.decideTask(
      task.deploymentId,
      taskId,
      actor,
      { state: ManualTaskState.failed, reason },
      { reason },
    );
  }

  private async decideTask(
    deploymentId: string,
    taskId: string,
    actor: Principal,
    decision: { state: ManualTaskState; evidence?: string; reason?: string },
    data: Record<string, unknown>,
  ): Promise<void> {
    await this.store.deployments.mutate(deploymentId, async (transaction) => {
      const current = await this.store.scope(transaction.db).tasks.getTask(taskId);
      if (current.state !== ManualTaskState.open) {
        throw new ConflictError(
          `Task ${taskId} is already ${current.state}.`,
          { state: current.state },
          'task_closed',
        );
      }
      await transaction.decideManualTask(taskId, { ...decision, actorId: actor.id });
      transaction.append(
        decision.state === ManualTaskState.completed ? 'task.completed' : 'task.failed',
        { taskId, ...data, by: actor.name },
        actor.id,
      );
      await transaction.schedule();
    });
  }

  /**
   * Approves or rejects a gate. The person must hold one of its roles; each person counts
   * once towards the approvals it needs.
   */
  async decideGate(
    gateId: string,
    approve: boolean,
    comment: string | undefined,
    actor: Principal,
  ): Promise<void> {
    const gate = await this.store.tasks.getGate(gateId);
    if (gate.requiredRoles.length > 0 && !actor.roles.some((role) => gate.requiredRoles.includes(role))) {
      throw new NotAllowedError(`Gate ${gate.kind} needs one of: ${gate.requiredRoles.join(', ')}.`, {
        requiredRoles: gate.requiredRoles,
      });
    }
    await this.store.deployments.mutate(gate.deploymentId, async (transaction) => {
      const current = (await transaction.gates()).find((candidate) => candidate.id === gateId);
      if (current === undefined || current.state !== GateState.open) {
        throw new ConflictError(
          `Gate ${gateId} is already ${current?.state ?? 'closed'}.`,
          { state: current?.state },
          'gate_closed',
        );
      }
      if ((JSON.parse(current.approvers) as string[]).includes(actor.id)) {
        throw new ConflictError(
          `${actor.name} has already approved this gate; each person counts once.`,
          {},
          'already_approved',
        );
      }
      const state = await transaction.decideGate(current, {
        approve,
        actorId: actor.id,
        ...(comment !== undefined && { comment }),
      });
      transaction.append(
        'gate.decided',
        {
          gateId,
          kind: gate.kind,
          approved: approve,
          state,
          ...(comment !== undefined && { comment }),
          by: actor.name,
        },
        actor.id,
      );
      await transaction.schedule();
    });
  }

  private assertMayAct(actor: Principal, role: string | undefined): void {
    if (role === undefined || actor.roles.includes('admin') || actor.roles.some((held) => held === role))
      return;
    throw new NotAllowedError(`This task is assigned to the ${role} role.`, { role });
  }
}
