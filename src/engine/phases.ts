import {
  type CompiledApproval,
  type CompiledStep,
  describeActor,
  GateState,
  renderTemplate,
  type StepPhase,
  StepRunState,
  type TemplateContext,
} from '../domain/index.js';
import type { DeploymentTransaction, StepRunTable } from '../store/index.js';
import type { DeploymentContext } from './context.js';
import type { TargetView } from './dispatcher.js';

/** An automated step run the engine must hand to a dispatcher once the transaction commits. */
export interface PendingRun {
  stepRunId: string;
  step: CompiledStep;
  target?: TargetView;
  attempt: number;
}

/** Where a phase stands after the engine looked at it. */
export type PhaseResult =
  | { kind: 'complete' }
  | { kind: 'failed'; message: string }
  | { kind: 'run'; runs: PendingRun[] }
  | { kind: 'wait'; until: Date }
  | { kind: 'park'; until?: Date };

function latestPerTarget(runs: StepRunTable[]): StepRunTable[] {
  const latest = new Map<string, StepRunTable>();
  for (const run of runs) {
    const key = run.target_id ?? '';
    const known = latest.get(key);
    if (known === undefined || run.attempt > known.attempt) latest.set(key, run);
  }
  return [...latest.values()];
}

function targetLabel(run: StepRunTable): string {
  return run.target_name ?? 'the server';
}

/** Opens the gate of a stage approval and records it. */
export async function openApprovalGate(
  transaction: DeploymentTransaction,
  approval: CompiledApproval,
): Promise<void> {
  const requiredRoles = approval.by.role === undefined ? [] : [approval.by.role];
  const description =
    approval.description ??
    `Approval by ${describeActor(approval.by)}${approval.count > 1 ? ` (${approval.count} people)` : ''}${approval.before === undefined ? '' : ` before ${approval.before}`}.`;
  const gateId = await transaction.openGate({
    kind: 'approval',
    requiredRoles,
    requiredCount: approval.count,
    ...(approval.before !== undefined && { beforeStep: approval.before }),
    description,
  });
  transaction.append('gate.opened', {
    gateId,
    kind: 'approval',
    requiredRoles,
    requiredCount: approval.count,
    ...(approval.by.party !== undefined && { party: approval.by.party }),
    ...(approval.before !== undefined && { before: approval.before }),
  });
}

/**
 * Checks the approvals a step waits for: opens their gates the first time, and says whether
 * the step may start, must wait, or fails because an approval was rejected.
 */
async function approvalsBefore(
  transaction: DeploymentTransaction,
  context: DeploymentContext,
  step: CompiledStep,
): Promise<PhaseResult | undefined> {
  const approvals = context.stage.approvals.filter((approval) => approval.before === step.name);
  if (approvals.length === 0) return undefined;
  const gates = (await transaction.gates('approval')).filter((gate) => gate.before_step === step.name);
  if (gates.length === 0) {
    for (const approval of approvals) await openApprovalGate(transaction, approval);
    return { kind: 'park' };
  }
  const rejected = gates.find((gate) => gate.state === GateState.rejected);
  if (rejected !== undefined)
    return {
      kind: 'failed',
      message: `The approval before ${step.name} was rejected: ${rejected.comment ?? 'no comment'}.`,
    };
  return gates.some((gate) => gate.state === GateState.open) ? { kind: 'park' } : undefined;
}

/** What a manual task's placeholders are filled from. */
function taskContext(context: DeploymentContext, target: TargetView | undefined): TemplateContext {
  const first = context.members[0];
  return {
    ...(first !== undefined && { component: first.component, version: first.version }),
    environment: context.environment.name,
    tier: context.environment.tier,
    stage: context.stage.name,
    model: context.model.name,
    ...(target !== undefined && {
      target: { name: target.name, labels: target.labels, facts: target.facts },
    }),
  };
}

/** Starts a step: records each run and what it waits for, and says what happens next. */
async function startStep(
  transaction: DeploymentTransaction,
  context: DeploymentContext,
  phase: StepPhase,
  stepIndex: number,
  step: CompiledStep,
  targets: (TargetView | undefined)[],
  attempt: number,
  now: Date,
): Promise<PhaseResult> {
  const manual = step.step.type === 'manual' ? step.step : undefined;
  const party = step.actor?.party ?? step.actor?.role;
  const waiting = step.type === 'wait' || manual !== undefined;
  // A wait runs once for the stage, not per target.
  const on = step.type === 'wait' ? [undefined] : targets;
  const runs: PendingRun[] = [];
  for (const target of on) {
    const stepRunId = await transaction.startStepRun({
      phase,
      stepIndex,
      stepName: step.name,
      stepType: step.type,
      ...(target !== undefined && { targetId: target.id, targetName: target.name }),
      attempt,
      state: waiting ? StepRunState.waiting : StepRunState.running,
    });
    transaction.append('step.started', {
      stepRunId,
      phase,
      step: step.name,
      type: step.type,
      attempt,
      ...(target !== undefined && { target: target.name }),
      ...(party !== undefined && { party }),
    });
    if (manual !== undefined) {
      const task = renderTemplate(manual.task, taskContext(context, target)).text;
      const checklist = (manual.checklist ?? []).map(
        (item) => renderTemplate(item, taskContext(context, target)).text,
      );
      const taskId = await transaction.openManualTask({
        stepRunId,
        title: task,
        checklist,
        ...(manual.assignee.role !== undefined && { assigneeRole: manual.assignee.role }),
        ...(manual.assignee.party !== undefined && { assigneeParty: manual.assignee.party }),
        evidenceRequired: manual.evidenceRequired ?? true,
      });
      transaction.append('task.opened', {
        taskId,
        stepRunId,
        step: step.name,
        task,
        checklist,
        ...(manual.assignee.role !== undefined && { role: manual.assignee.role }),
        ...(manual.assignee.party !== undefined && { party: manual.assignee.party }),
        ...(target !== undefined && { target: target.name }),
      });
    }
    runs.push({ stepRunId, step, ...(target !== undefined && { target }), attempt });
  }
  if (step.type === 'wait')
    return { kind: 'wait', until: new Date(now.getTime() + (step.waitMilliseconds ?? 0)) };
  if (manual !== undefined)
    return { kind: 'park', until: new Date(now.getTime() + step.timeoutMilliseconds) };
  return { kind: 'run', runs };
}

/**
 * Moves a phase (execution, acceptance, rollback or removal) forward as far as the store
 * allows without running anything: finishes waits that are due, reads manual task
 * decisions, treats runs left `running` by a crashed node as interrupted, and starts the
 * next step. Steps run one after another; each step runs on every target at once.
 */
export async function advancePhase(
  transaction: DeploymentTransaction,
  context: DeploymentContext,
  phase: StepPhase,
  steps: readonly CompiledStep[],
  now: Date,
): Promise<PhaseResult> {
  const progress = transaction.progress;
  let stepIndex = progress.phase === phase && typeof progress.stepIndex === 'number' ? progress.stepIndex : 0;
  const targets: (TargetView | undefined)[] = context.targets.length > 0 ? context.targets : [undefined];
  const all = await transaction.stepRuns(phase);
  for (;;) {
    const step = steps[stepIndex];
    if (step === undefined) return { kind: 'complete' };
    const latest = latestPerTarget(all.filter((run) => run.step_index === stepIndex));
    if (latest.length === 0) {
      const waitForApproval =
        phase === 'execution' ? await approvalsBefore(transaction, context, step) : undefined;
      if (waitForApproval !== undefined) return waitForApproval;
      return startStep(transaction, context, phase, stepIndex, step, targets, 1, now);
    }

    const interrupted = latest.filter((run) => run.state === StepRunState.running);
    if (interrupted.length > 0) {
      for (const run of interrupted) {
        await transaction.finishStepRun(run.id, StepRunState.interrupted, {
          message: 'The node running this step stopped before it finished.',
        });
        transaction.append('step.interrupted', {
          stepRunId: run.id,
          step: step.name,
          attempt: run.attempt,
          ...(run.target_name !== null && { target: run.target_name }),
          safeToRepeat: step.safeToRepeat,
        });
      }
      if (!step.safeToRepeat) {
        return {
          kind: 'failed',
          message: `Step ${step.name} was interrupted on ${interrupted.map(targetLabel).join(', ')} and is not marked safe to repeat.`,
        };
      }
      const again = interrupted.map((run) => context.targets.find((target) => target.id === run.target_id));
      const attempt = Math.max(...interrupted.map((run) => run.attempt)) + 1;
      return startStep(transaction, context, phase, stepIndex, step, again, attempt, now);
    }

    const waitingRuns = latest.filter((run) => run.state === StepRunState.waiting);
    if (waitingRuns.length > 0) {
      if (step.type === 'wait') {
        const run = waitingRuns[0] as StepRunTable;
        const due = new Date(Date.parse(run.started_at) + (step.waitMilliseconds ?? 0));
        if (now < due) return { kind: 'wait', until: due };
        await transaction.finishStepRun(run.id, StepRunState.succeeded, { message: 'Waited.' });
        transaction.append('step.finished', {
          stepRunId: run.id,
          step: step.name,
          succeeded: true,
          message: 'Waited.',
        });
        // `all` was read before this change: without this the same run is finished again forever.
        run.state = StepRunState.succeeded;
        continue;
      }
      const decided = await transaction.decidedTasks(waitingRuns.map((run) => run.id));
      let stillOpen = false;
      for (const run of waitingRuns) {
        const task = decided.get(run.id);
        if (task === undefined || task.state === 'open') {
          stillOpen = true;
          continue;
        }
        const succeeded = task.state === 'completed';
        const message = succeeded
          ? `Completed by a person${task.evidence ? ` with evidence: ${task.evidence}` : ''}.`
          : `Failed: ${task.reason ?? 'no reason given'}.`;
        await transaction.finishStepRun(run.id, succeeded ? StepRunState.succeeded : StepRunState.failed, {
          message,
        });
        transaction.append('step.finished', {
          stepRunId: run.id,
          step: step.name,
          succeeded,
          message,
          ...(run.target_name !== null && { target: run.target_name }),
          ...(task.decidedBy !== undefined && { by: task.decidedBy }),
        });
        run.state = succeeded ? StepRunState.succeeded : StepRunState.failed;
      }
      if (stillOpen) {
        const opened = Math.min(...waitingRuns.map((run) => Date.parse(run.started_at)));
        const deadline = new Date(opened + step.timeoutMilliseconds);
        if (now >= deadline)
          return { kind: 'failed', message: `Manual step ${step.name} was not done within its time limit.` };
        return { kind: 'park', until: deadline };
      }
    }

    const failed = latest.filter((run) => run.state === StepRunState.failed);
    if (failed.length > 0) {
      const details = failed.map((run) => `${targetLabel(run)}: ${run.message ?? 'failed'}`).join('; ');
      return { kind: 'failed', message: `Step ${step.name} failed (${details}).` };
    }
    stepIndex += 1;
    transaction.setProgress({ ...transaction.progress, phase, stepIndex });
  }
}
