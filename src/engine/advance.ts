import {
  type CompiledStep,
  type DeploymentState,
  GateState,
  isTerminal,
  preExecutionStates,
  type StepPhase,
} from '../domain/index.js';
import type { DeploymentTransaction, StoreScope } from '../store/index.js';
import type { DeploymentContext } from './context.js';
import { finishDeployment } from './finish.js';
import { advancePhase, openApprovalGate, type PendingRun } from './phases.js';
import { environmentsOfStage } from './promotion.js';
import { verifyComponents, verifyEnvironment } from './verification.js';

/** What the engine does after one pass over a deployment. */
export type Advance =
  | { kind: 'run'; runs: PendingRun[] }
  | { kind: 'wait'; until: Date }
  | { kind: 'park'; until?: Date }
  | { kind: 'finished' };

type Pass = Advance | { kind: 'continue' };

const supervisedGate = 'supervised-first-run';

/** Whether the deployment has something to roll back with. */
function rollbackSteps(context: DeploymentContext): readonly CompiledStep[] {
  return context.stage.rollback;
}

/** When the versions last succeeded in every environment a criterion refers to, if they did. */
async function succeededSince(
  store: StoreScope,
  context: DeploymentContext,
  reference: string,
): Promise<string | undefined> {
  const stage = context.model.stages.find((candidate) => candidate.name === reference);
  const environments =
    stage !== undefined
      ? await environmentsOfStage(store, stage)
      : [await store.environments.get(reference).catch(() => undefined)].filter(
          (environment) => environment !== undefined,
        );
  if (environments.length === 0) return undefined;
  const versionIds = context.members.map((member) => member.versionId);
  let latest: string | undefined;
  for (const environment of environments) {
    const since = await store.deployments.lastFinished(environment.id, versionIds, 'succeeded');
    if (since === undefined) return undefined;
    if (latest === undefined || since > latest) latest = since;
  }
  return latest;
}

async function checkEntryCriteria(
  store: StoreScope,
  transaction: DeploymentTransaction,
  context: DeploymentContext,
  now: Date,
): Promise<Pass | undefined> {
  for (const criterion of context.stage.entryCriteria) {
    const since = await succeededSince(store, context, criterion.stage);
    if (since === undefined) {
      await finishDeployment(
        store,
        transaction,
        context,
        'rejected',
        `Entry criterion "${criterion.text}" is not met: ${context.members.map((member) => `${member.component}@${member.version}`).join(', ')} has not succeeded in ${criterion.stage}.`,
      );
      return { kind: 'finished' };
    }
    if (criterion.kind === 'soaked') {
      const until = new Date(Date.parse(since) + criterion.durationMilliseconds);
      if (now < until) {
        if (transaction.progress.waitingUntil !== until.toISOString()) {
          transaction.append('waiting', { criterion: criterion.text, until: until.toISOString() });
          transaction.setProgress({ ...transaction.progress, waitingUntil: until.toISOString() });
        }
        return { kind: 'wait', until };
      }
    }
  }
  return undefined;
}

/** Plans a requested deployment: entry criteria, targets, and a supervised first live run. */
async function plan(
  store: StoreScope,
  transaction: DeploymentTransaction,
  context: DeploymentContext,
  now: Date,
): Promise<Pass> {
  const blocked = await checkEntryCriteria(store, transaction, context, now);
  if (blocked !== undefined) return blocked;
  transaction.transition('planned', 'Entry criteria met; targets and steps resolved.', {
    data: {
      targets: context.targets.map((target) => target.name),
      steps: (transaction.row.kind === 'removal' ? context.stage.removal : context.stage.steps).map(
        (step) => step.name,
      ),
      acceptance: context.stage.acceptance.map((step) => step.name),
      rollback: rollbackSteps(context).map((step) => step.name),
    },
  });
  if (
    context.environment.tier === 'live' &&
    !(await store.deployments.hasRunInLive(transaction.row.model_version_id, transaction.row.id))
  ) {
    transaction.row.supervised = 1;
    const gateId = await transaction.openGate({
      kind: supervisedGate,
      requiredRoles: ['deployment-manager'],
      description: `First run of ${context.model.name} in a live-tier environment: a deployment manager approves and oversees it.`,
    });
    transaction.append('gate.opened', {
      gateId,
      kind: supervisedGate,
      requiredRoles: ['deployment-manager'],
    });
  }
  for (const approval of context.stage.approvals.filter((candidate) => candidate.before === undefined)) {
    await openApprovalGate(transaction, approval);
  }
  return { kind: 'continue' };
}

/** Runs a phase and maps its outcome onto the lifecycle. */
async function runPhase(
  transaction: DeploymentTransaction,
  context: DeploymentContext,
  phase: StepPhase,
  steps: readonly CompiledStep[],
  now: Date,
  onComplete: () => Promise<Pass>,
  onFailure: (message: string) => Promise<Pass>,
): Promise<Pass> {
  const result = await advancePhase(transaction, context, phase, steps, now);
  switch (result.kind) {
    case 'complete':
      return onComplete();
    case 'failed':
      return onFailure(result.message);
    default:
      return result;
  }
}

async function failOrRollBack(
  store: StoreScope,
  transaction: DeploymentTransaction,
  context: DeploymentContext,
  message: string,
): Promise<Pass> {
  if (rollbackSteps(context).length > 0) {
    transaction.transition('rolling-back', `${message} Running the rollback steps.`);
    transaction.setProgress({ ...transaction.progress, phase: 'rollback', stepIndex: 0 });
    return { kind: 'continue' };
  }
  await finishDeployment(store, transaction, context, 'failed', message);
  return { kind: 'finished' };
}

/** One pass: moves the deployment as far as it can without a side effect outside the store. */
async function pass(
  store: StoreScope,
  transaction: DeploymentTransaction,
  context: DeploymentContext,
  now: Date,
): Promise<Pass> {
  const state: DeploymentState = transaction.state;
  const timeout = context.model.deploymentTimeoutMilliseconds;
  if (
    timeout !== undefined &&
    !isTerminal(state) &&
    now.getTime() > Date.parse(transaction.row.requested_at) + timeout
  ) {
    const message = `The deployment did not finish within its time limit of ${Math.round(timeout / 60_000)} min.`;
    if (preExecutionStates.includes(state)) {
      await finishDeployment(store, transaction, context, 'cancelled', message);
      return { kind: 'finished' };
    }
    if (state === 'rolling-back' || state === 'failed') {
      await finishDeployment(store, transaction, context, 'failed', message);
      return { kind: 'finished' };
    }
    return failOrRollBack(store, transaction, context, message);
  }

  switch (state) {
    case 'requested':
      return plan(store, transaction, context, now);
    case 'planned': {
      const gates = (await transaction.gates()).filter((gate) => gate.before_step === null);
      const rejected = gates.find((gate) => gate.state === GateState.rejected);
      if (rejected !== undefined) {
        await finishDeployment(
          store,
          transaction,
          context,
          'rejected',
          `${rejected.kind} was rejected: ${rejected.comment ?? 'no comment'}.`,
        );
        return { kind: 'finished' };
      }
      if (gates.some((gate) => gate.state === GateState.open)) {
        const deadline =
          timeout === undefined ? undefined : new Date(Date.parse(transaction.row.requested_at) + timeout);
        return deadline === undefined ? { kind: 'park' } : { kind: 'park', until: deadline };
      }
      // Seam: the governance issue inserts awaiting-authorization here for changes that need it.
      transaction.transition('scheduled', 'Ready to run.');
      return { kind: 'continue' };
    }
    case 'scheduled':
      transaction.transition('verifying-components', 'Verifying the versions against the catalog.');
      return { kind: 'continue' };
    case 'verifying-components': {
      const report = verifyComponents(context, transaction.progress);
      transaction.append('verification.components', { passed: report.passed, components: report.components });
      if (!report.passed) {
        await finishDeployment(store, transaction, context, 'failed', report.summary);
        return { kind: 'finished' };
      }
      transaction.transition(
        'verifying-environment',
        'Components verified; checking the target environment.',
      );
      return { kind: 'continue' };
    }
    case 'verifying-environment': {
      const report = verifyEnvironment(context);
      transaction.append('verification.environment', { passed: report.passed, targets: report.targets });
      if (!report.passed) {
        await finishDeployment(store, transaction, context, 'failed', report.summary);
        return { kind: 'finished' };
      }
      transaction.transition('executing', 'Environment verified; executing the steps.');
      transaction.setProgress({
        ...transaction.progress,
        phase: transaction.row.kind === 'removal' ? 'removal' : 'execution',
        stepIndex: 0,
      });
      return { kind: 'continue' };
    }
    case 'executing': {
      const removal = transaction.row.kind === 'removal';
      return runPhase(
        transaction,
        context,
        removal ? 'removal' : 'execution',
        removal ? context.stage.removal : context.stage.steps,
        now,
        async () => {
          transaction.transition('verifying-deployment', 'Steps done; checking the acceptance criteria.');
          transaction.setProgress({ ...transaction.progress, phase: 'acceptance', stepIndex: 0 });
          return { kind: 'continue' };
        },
        (message) => failOrRollBack(store, transaction, context, message),
      );
    }
    case 'verifying-deployment':
      return runPhase(
        transaction,
        context,
        'acceptance',
        context.stage.acceptance,
        now,
        async () => {
          await finishDeployment(store, transaction, context, 'succeeded', 'Acceptance criteria passed.');
          return { kind: 'finished' };
        },
        (message) => failOrRollBack(store, transaction, context, `Acceptance failed: ${message}`),
      );
    case 'rolling-back':
      return runPhase(
        transaction,
        context,
        'rollback',
        rollbackSteps(context),
        now,
        async () => {
          await finishDeployment(store, transaction, context, 'rolled-back', 'Rollback steps completed.');
          return { kind: 'finished' };
        },
        async (message) => {
          await finishDeployment(store, transaction, context, 'failed', `Rollback failed: ${message}`);
          return { kind: 'finished' };
        },
      );
    default:
      // Terminal (a failed deployment waits for a person to roll it back).
      await transaction.unschedule();
      return { kind: 'finished' };
  }
}

/** Advances a deployment inside one transaction until it must run a step, wait, or has finished. */
export async function advanceDeployment(
  store: StoreScope,
  transaction: DeploymentTransaction,
  context: DeploymentContext,
  now: Date,
): Promise<Advance> {
  for (let passes = 0; passes < 50; passes += 1) {
    const result = await pass(store, transaction, context, now);
    if (result.kind !== 'continue') return result;
  }
  return { kind: 'wait', until: now };
}
