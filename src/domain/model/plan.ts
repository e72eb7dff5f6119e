import type { Facts, Tier } from '../environments.js';
import { InputError } from '../errors.js';
import type { DeploymentKind } from '../lifecycle.js';
import { planRollout, type RolloutPlan } from '../rollout/index.js';
import { describeStep } from '../steps/index.js';
import { type ActorReference, actorKey, describeActor } from './actor.js';
import {
  type CompiledModel,
  type CompiledStage,
  type CompiledStep,
  compileModel,
  type EnvironmentReference,
  stageForEnvironment,
} from './compile.js';
import { formatDuration } from './duration.js';
import { evaluateRequirement, type RequirementResult } from './requirement.js';
import { describeStage } from './rules.js';
import type { DeploymentModel, LostTargetPolicy, Promotion } from './schema.js';
import type { TemplateContext } from './template.js';

/*
 * A dry run of a model: what would happen if a version were deployed now — stages, targets,
 * waves, gates, steps, checks, who must act, and which requirements the targets' current
 * facts fail — computed without running anything (guide table 3.2, deployment model testing).
 */

/** A target and its current facts, as the planner needs them. */
export interface PlanTarget {
  name: string;
  /** The target's environment; used to place targets when several stages are planned. */
  environment?: string;
  /** The tier of the target's environment; used for stages that name a tier. */
  tier?: Tier;
  kind?: string;
  labels?: Readonly<Record<string, string>>;
  facts: Readonly<Facts>;
}

/** What to plan. */
export interface PlanInput {
  model: DeploymentModel;
  version: string;
  component?: string;
  service?: string;
  /** install (default) and upgrade run the stage's steps; removal runs its removal steps. */
  kind?: DeploymentKind;
  /** Plan only the stage of this name. */
  stage?: string;
  /** Plan only the stage deploying into this environment. */
  environment?: EnvironmentReference;
  /** The targets; when one stage is planned, all of them belong to it. */
  targets: readonly PlanTarget[];
}

/** A step as a dry run shows it. */
export interface PlannedStep {
  name: string;
  type: string;
  automated: boolean;
  /** Who does the step; absent for automated steps that name nobody. */
  actor?: ActorReference;
  /** One line, with what the plan can fill in already filled in. */
  summary: string;
  details: string[];
  timeout: string;
  safeToRepeat: boolean;
}

/** Something that must happen or hold before (part of) a stage proceeds. */
export type PlanGate =
  | { kind: 'entry-criterion'; criterion: string; stage: string; description: string }
  | { kind: 'manual-promotion'; from: string; description: string }
  | { kind: 'approval'; by: ActorReference; count: number; before?: string; description: string }
  | { kind: 'wave'; afterWave: number; verify: boolean; approval: boolean; description: string };

/** One target of a stage: how its facts fare against the requirements. */
export interface TargetPlan {
  name: string;
  /** Whether every requirement passes and every placeholder the steps use can be filled. */
  ready: boolean;
  requirements: RequirementResult[];
  /** The requirements the target fails, with what to do about each. */
  failing: RequirementResult[];
  /** Placeholders the steps use that this target cannot fill, e.g. `target.facts.hostname`. */
  unboundPlaceholders: string[];
}

/** What one party must do. */
export interface ActorDuties {
  actor: ActorReference;
  /** e.g. `party northwind-installations`. */
  label: string;
  duties: string[];
}

/** The dry run of one stage. */
export interface StagePlan {
  index: number;
  name: string;
  /** e.g. `environment staging` or `tier live`. */
  destination: string;
  environment?: string;
  tier?: Tier;
  gates: PlanGate[];
  targets: TargetPlan[];
  rollout: RolloutPlan;
  steps: PlannedStep[];
  acceptance: PlannedStep[];
  rollback: PlannedStep[];
  promotion: { mode: Promotion; next?: string; description: string };
  onLostTarget: LostTargetPolicy;
  timeout?: string;
  actors: ActorDuties[];
  /** Why the stage could not run as things stand; empty when it could. */
  blockers: string[];
}

/** The dry run of a deployment. */
export interface DeploymentPlan {
  model: string;
  version: string;
  component?: string;
  service?: string;
  kind: DeploymentKind;
  stages: StagePlan[];
  /** Parts the version's manifest must list. */
  requiredParts: string[];
  /** Everyone who must act, across the planned stages, with the model's declared responsibilities. */
  actors: ActorDuties[];
  /** Whether no planned stage has a blocker. */
  ready: boolean;
  blockers: string[];
}

function selectStages(compiled: CompiledModel, input: PlanInput): CompiledStage[] {
  const names = compiled.stages.map((stage) => stage.name).join(', ');
  if (input.stage !== undefined) {
    const stage = compiled.stages.find((candidate) => candidate.name === input.stage);
    if (stage === undefined) {
      throw new InputError(`Model ${compiled.name} has no stage "${input.stage}"; its stages are ${names}.`, [
        { path: '/stage', message: `must be one of ${names}` },
      ]);
    }
    return [stage];
  }
  if (input.environment !== undefined) {
    const stage = stageForEnvironment(compiled.stages, input.environment);
    if (stage === undefined) {
      throw new InputError(
        `Model ${compiled.name} has no stage for environment ${input.environment.name} ` +
          `(tier ${input.environment.tier}); its stages are ${compiled.model.stages.map(describeStage).join(', ')}.`,
        [{ path: '/environment', message: 'no stage of the model deploys into this environment' }],
      );
    }
    return [stage];
  }
  return compiled.stages;
}

function targetsOf(stage: CompiledStage, input: PlanInput, single: boolean): PlanTarget[] {
  if (single) return [...input.targets];
  return input.targets.filter((target) =>
    stage.environment !== undefined ? target.environment === stage.environment : target.tier === stage.tier,
  );
}

function plannedStep(step: CompiledStep, context: TemplateContext): PlannedStep {
  const preview = describeStep(step.step, context);
  return {
    name: step.name,
    type: step.type,
    automated: step.automated,
    ...(step.actor === undefined ? {} : { actor: step.actor }),
    summary: preview.summary,
    details: preview.details,
    timeout: formatDuration(step.timeoutMilliseconds),
    safeToRepeat: step.safeToRepeat,
  };
}

class DutyBook {
  private readonly entries = new Map<string, ActorDuties>();

  add(actor: ActorReference, duty: string): void {
    const key = actorKey(actor);
    const entry = this.entries.get(key) ?? { actor, label: describeActor(actor), duties: [] };
    this.entries.set(key, entry);
    if (!entry.duties.includes(duty)) entry.duties.push(duty);
  }

  list(): ActorDuties[] {
    return [...this.entries.values()];
  }
}

function stageGates(compiled: CompiledModel, stage: CompiledStage, rollout: RolloutPlan): PlanGate[] {
  const gates: PlanGate[] = [];
  const previous = stage.index > 0 ? compiled.stages[stage.index - 1] : undefined;
  if (previous !== undefined && previous.promotion === 'manual') {
    gates.push({
      kind: 'manual-promotion',
      from: previous.name,
      description: `A person promotes the version from ${previous.name} (continuous delivery).`,
    });
  }
  for (const criterion of stage.entryCriteria) {
    gates.push({
      kind: 'entry-criterion',
      criterion: criterion.text,
      stage: criterion.stage,
      description:
        criterion.kind === 'soaked'
          ? `The version must have succeeded in ${criterion.stage} at least ${criterion.duration} ago.`
          : `The version must have succeeded in ${criterion.stage}.`,
    });
  }
  for (const approval of stage.approvals) {
    const who = `${approval.count === 1 ? 'one person' : `${approval.count} different people`} with ${describeActor(approval.by)}`;
    const when = approval.before === undefined ? 'before execution starts' : `before step ${approval.before}`;
    gates.push({
      kind: 'approval',
      by: approval.by,
      count: approval.count,
      ...(approval.before === undefined ? {} : { before: approval.before }),
      description: `${who} must approve ${when}${approval.description === undefined ? '' : `: ${approval.description}`}.`,
    });
  }
  for (const wave of rollout.waves) {
    if (wave.gateAfter === undefined) continue;
    gates.push({
      kind: 'wave',
      afterWave: wave.index,
      verify: wave.gateAfter.verify,
      approval: wave.gateAfter.approval,
      description: wave.gateAfter.description,
    });
  }
  return gates;
}

function planStage(
  compiled: CompiledModel,
  stage: CompiledStage,
  input: PlanInput,
  single: boolean,
  duties: DutyBook,
): StagePlan {
  const kind = input.kind ?? 'install';
  const environmentName = stage.environment ?? input.environment?.name;
  const tier = stage.tier ?? input.environment?.tier;
  const context: TemplateContext = {
    version: input.version,
    stage: stage.name,
    model: compiled.name,
    ...(input.component === undefined ? {} : { component: input.component }),
    ...(input.service === undefined ? {} : { service: input.service }),
    ...(environmentName === undefined ? {} : { environment: environmentName }),
    ...(tier === undefined ? {} : { tier }),
  };
  const executed = kind === 'removal' ? stage.removal : stage.steps;
  const acceptance = kind === 'removal' ? [] : stage.acceptance;
  const rollback = kind === 'removal' ? [] : stage.rollback;
  const targets = targetsOf(stage, input, single);
  const rolloutPlan = planRollout(stage.rollout, targets);
  const destination =
    stage.environment !== undefined ? `environment ${stage.environment}` : `tier ${stage.tier}`;

  const blockers: string[] = [];
  if (targets.length === 0) {
    blockers.push(`Stage ${stage.name} has no targets in ${destination}; register or declare targets there.`);
  }
  if (kind === 'removal' && executed.length === 0) {
    blockers.push(
      `Stage ${stage.name} has no removal steps; add removal steps to the model or to the stage.`,
    );
  }
  const targetPlans = targets.map((target): TargetPlan => {
    const requirements = stage.requirements.map((requirement) =>
      evaluateRequirement(requirement, target.facts),
    );
    const failing = requirements.filter((result) => !result.passed);
    const targetContext: TemplateContext = {
      ...context,
      target: {
        name: target.name,
        facts: target.facts,
        ...(target.kind === undefined ? {} : { kind: target.kind }),
        ...(target.labels === undefined ? {} : { labels: target.labels }),
      },
    };
    const unbound = new Set<string>();
    for (const step of [...executed, ...acceptance, ...rollback]) {
      for (const name of describeStep(step.step, targetContext).unbound) {
        if (name.startsWith('target.')) unbound.add(name);
      }
    }
    for (const result of failing) blockers.push(`Target ${target.name}: ${result.message}`);
    for (const name of unbound) {
      blockers.push(
        `Target ${target.name} cannot fill {{ ${name} }}, which a step of stage ${stage.name} uses.`,
      );
    }
    return {
      name: target.name,
      ready: failing.length === 0 && unbound.size === 0,
      requirements,
      failing,
      unboundPlaceholders: [...unbound],
    };
  });

  const stageDuties = new DutyBook();
  const note = (actor: ActorReference, duty: string) => {
    stageDuties.add(actor, duty);
    duties.add(actor, duty);
  };
  for (const step of [...executed, ...acceptance]) {
    if (step.actor === undefined) continue;
    note(
      step.actor,
      step.automated
        ? `runs step ${step.name} in stage ${stage.name}`
        : `completes manual step ${step.name} in stage ${stage.name}`,
    );
  }
  for (const approval of stage.approvals) {
    note(
      approval.by,
      `approves stage ${stage.name}` +
        (approval.before === undefined ? '' : ` before step ${approval.before}`),
    );
  }

  const next = stage.next;
  const promotionDescription =
    next === undefined
      ? 'The last stage: success ends the flow.'
      : stage.promotion === 'automatic'
        ? `Success starts the deployment into ${next} at once (continuous deployment).`
        : `Success makes the version promotable to ${next}; a person promotes it (continuous delivery).`;

  return {
    index: stage.index,
    name: stage.name,
    destination,
    ...(stage.environment === undefined ? {} : { environment: stage.environment }),
    ...(stage.tier === undefined ? {} : { tier: stage.tier }),
    gates: stageGates(compiled, stage, rolloutPlan),
    targets: targetPlans,
    rollout: rolloutPlan,
    steps: executed.map((step) => plannedStep(step, context)),
    acceptance: acceptance.map((step) => plannedStep(step, context)),
    rollback: rollback.map((step) => plannedStep(step, context)),
    promotion: {
      mode: stage.promotion,
      ...(next === undefined ? {} : { next }),
      description: promotionDescription,
    },
    onLostTarget: stage.onLostTarget,
    ...(stage.timeoutMilliseconds === undefined
      ? {}
      : { timeout: formatDuration(stage.timeoutMilliseconds) }),
    actors: stageDuties.list(),
    blockers,
  };
}

/**
 * Plans a deployment without running anything: for the chosen stage (by name or by
 * environment) or for every stage, the targets and their failing requirements, the waves,
 * the gates, the steps and checks as they would run, and who must act. Throws an InputError
 * when the model breaks a rule or has no such stage.
 */
export function planDeployment(input: PlanInput): DeploymentPlan {
  const compiled = compileModel(input.model);
  const stages = selectStages(compiled, input);
  const single = input.stage !== undefined || input.environment !== undefined;
  const duties = new DutyBook();
  for (const responsibility of compiled.responsibilities) {
    const actor: ActorReference =
      responsibility.role !== undefined
        ? { role: responsibility.role }
        : { party: responsibility.party ?? '' };
    for (const duty of responsibility.does ?? []) duties.add(actor, `does: ${duty}`);
    for (const duty of responsibility.approves ?? []) duties.add(actor, `approves: ${duty}`);
  }
  const stagePlans = stages.map((stage) => planStage(compiled, stage, input, single, duties));
  const blockers = stagePlans.flatMap((stage) => stage.blockers);
  return {
    model: compiled.name,
    version: input.version,
    ...(input.component === undefined ? {} : { component: input.component }),
    ...(input.service === undefined ? {} : { service: input.service }),
    kind: input.kind ?? 'install',
    stages: stagePlans,
    requiredParts: compiled.requiredParts,
    actors: duties.list(),
    ready: blockers.length === 0,
    blockers,
  };
}
