import type { CompiledStage, DeploymentKind, Environment } from '../domain/index.js';
import type { DeploymentTransaction, StoreScope } from '../store/index.js';
import type { DeploymentContext } from './context.js';

/** The environments a stage deploys into: the named one, or every environment of its tier. */
export async function environmentsOfStage(store: StoreScope, stage: CompiledStage): Promise<Environment[]> {
  if (stage.environment !== undefined) return [await store.environments.get(stage.environment)];
  return (await store.environments.all()).filter((environment) => environment.tier === stage.tier);
}

/** Whether each version is an install or an upgrade in an environment, and what it replaces. */
export async function movementInto(
  store: StoreScope,
  environmentId: string,
  versions: { componentId: string; versionId: string }[],
): Promise<{
  kind: DeploymentKind;
  versions: { componentId: string; versionId: string; previousVersionId?: string }[];
}> {
  const resolved = await Promise.all(
    versions.map(async (member) => {
      const current = await store.matrix.current(member.componentId, environmentId);
      return { ...member, ...(current !== undefined && { previousVersionId: current }) };
    }),
  );
  return {
    kind: resolved.some((member) => member.previousVersionId !== undefined) ? 'upgrade' : 'install',
    versions: resolved,
  };
}

/**
 * After a stage succeeded: with automatic promotion, requests the next stage once every
 * deployment of this stage in the flow has succeeded; with manual promotion, records that
 * the versions are promotable. Runs inside the finishing transaction.
 */
export async function promoteAfterSuccess(
  store: StoreScope,
  transaction: DeploymentTransaction,
  context: DeploymentContext,
): Promise<void> {
  const next = context.model.stages[context.stage.index + 1];
  if (next === undefined || transaction.row.kind === 'removal') return;
  // Read once: nothing below writes to the flow before the new deployments are created.
  const flow = await store.deployments.inFlow(transaction.row.flow_id);
  const siblings = flow.filter(
    (row) => row.stage_index === context.stage.index && row.id !== transaction.row.id,
  );
  if (siblings.some((row) => row.state !== 'succeeded')) return;
  const environments = await environmentsOfStage(store, next);
  if (context.stage.promotion === 'manual') {
    transaction.append('promotable', {
      stage: next.name,
      environments: environments.map((environment) => environment.name),
    });
    return;
  }
  const already = flow.filter((row) => row.stage_index === next.index);
  const created: string[] = [];
  for (const environment of environments) {
    if (already.some((row) => row.environment_id === environment.id)) continue;
    const movement = await movementInto(
      store,
      environment.id,
      context.members.map((member) => ({ componentId: member.componentId, versionId: member.versionId })),
    );
    const { id, transaction: child } = await store.deployments.createIn(transaction.db, {
      flowId: transaction.row.flow_id,
      modelVersionId: transaction.row.model_version_id,
      stageIndex: next.index,
      stageName: next.name,
      environmentId: environment.id,
      kind: movement.kind,
      ...(transaction.row.release_id !== null && { releaseId: transaction.row.release_id }),
      versions: movement.versions,
      requestedBy: transaction.row.requested_by,
      reason: `Promoted automatically after ${context.stage.name} succeeded.`,
      progress: {
        pinned: Object.fromEntries(context.members.map((member) => [member.versionId, member.digest])),
      },
      data: { promotedFrom: transaction.row.id },
    });
    transaction.spawned.push(child);
    created.push(id);
  }
  if (created.length > 0) transaction.append('promoted', { stage: next.name, deployments: created });
}
