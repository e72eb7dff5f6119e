import type { StepPhase } from '../deployments.js';
import type { Tier } from '../environments.js';
import { InputError } from '../errors.js';
import { defaultRollout, type Rollout } from '../rollout/index.js';
import {
  defaultCheckInterval,
  defaultCheckTimeout,
  type Step,
  type StepType,
  stepKindOf,
} from '../steps/index.js';
import type { ActorReference } from './actor.js';
import { parseDuration } from './duration.js';
import { type EntryCriterion, parseEntryCriterion } from './entry-criteria.js';
import { modelFingerprint } from './fingerprint.js';
import { parseRequirement, type Requirement } from './requirement.js';
import { findEarlierStage, modelRuleProblems, requirementText } from './rules.js';
import type {
  Approval,
  DeploymentModel,
  LostTargetPolicy,
  Promotion,
  RequirementEntry,
  Responsibility,
  Timeouts,
} from './schema.js';

/*
 * A compiled model is the written model with everything the engine and the planner need
 * made explicit: defaults applied, durations in milliseconds, expressions parsed, entry
 * criteria resolved to the stage they name, rollback and removal steps chosen per stage.
 * The written model stays the source of truth; compiling is pure and repeatable.
 */

/** Used when neither the step, its stage nor the model sets a timeout for an automated step. */
export const defaultStepTimeout = '15m';
/** Used when neither the step, its stage nor the model sets a timeout for a manual step. */
export const defaultManualStepTimeout = '7d';

/** A step ready to run: its definition plus the values the engine needs about it. */
export interface CompiledStep {
  phase: StepPhase;
  name: string;
  type: StepType;
  /** The step as written; executors read their fields from here. */
  step: Step;
  /** Whether a machine runs it (false: a person does). */
  automated: boolean;
  safeToRepeat: boolean;
  /** The longest the whole step may take, tries and pauses included. */
  timeoutMilliseconds: number;
  /** Who does it: the step's `by`, or a manual step's assignee. */
  actor?: ActorReference;
  /** For wait steps: how long to wait. */
  waitMilliseconds?: number;
}

/** An entry criterion tied to the earlier stage it names. */
export type ResolvedEntryCriterion = EntryCriterion & {
  /** Name of the earlier stage. */
  stage: string;
  stageIndex: number;
};

/** An approval with its durations in milliseconds. */
export interface CompiledApproval {
  by: ActorReference;
  count: number;
  /** The step the approval must come before; absent: before execution starts. */
  before?: string;
  expiresAfterMilliseconds?: number;
  description?: string;
}

/** One stage with every default applied. */
export interface CompiledStage {
  index: number;
  name: string;
  description?: string;
  environment?: string;
  tier?: Tier;
  entryCriteria: ResolvedEntryCriterion[];
  approvals: CompiledApproval[];
  /** The model's requirements followed by the stage's own. */
  requirements: Requirement[];
  rollout: Rollout;
  steps: CompiledStep[];
  acceptance: CompiledStep[];
  /** The stage's rollback steps, or else the model's. */
  rollback: CompiledStep[];
  /** The stage's removal steps, or else the model's. */
  removal: CompiledStep[];
  promotion: Promotion;
  onLostTarget: LostTargetPolicy;
  /** How long the stage may take; absent: no limit. */
  timeoutMilliseconds?: number;
  /** The next stage's name; absent for the last stage. */
  next?: string;
}

/** A model ready for the engine and the planner. */
export interface CompiledModel {
  name: string;
  description?: string;
  /** The written model. */
  model: DeploymentModel;
  /** See modelFingerprint. */
  fingerprint: string;
  responsibilities: Responsibility[];
  requiredParts: string[];
  stages: CompiledStage[];
  /** How long a deployment may take from request to end; absent: no limit. */
  deploymentTimeoutMilliseconds?: number;
}

function milliseconds(text: string): number {
  const parsed = parseDuration(text);
  // compileModel checked every duration first, so this only guards against misuse.
  if (!parsed.ok) throw new InputError(parsed.message, [{ path: '', message: parsed.message }]);
  return parsed.value;
}

function requirements(entries: readonly RequirementEntry[] | undefined): Requirement[] {
  return (entries ?? []).map((entry) => {
    const { expression, description } = requirementText(entry);
    const parsed = parseRequirement(expression, description);
    if (!parsed.ok) throw new InputError(parsed.message, [{ path: '', message: parsed.message }]);
    return parsed.value;
  });
}

function stepTimeout(step: Step, timeouts: readonly (Timeouts | undefined)[]): number {
  if (step.type === 'wait') return milliseconds(step.duration);
  if (step.type === 'http-check') {
    const tries = (step.retries ?? 0) + 1;
    const perTry = milliseconds(step.timeout ?? defaultCheckTimeout);
    const pause = milliseconds(step.interval ?? defaultCheckInterval);
    return tries * perTry + (tries - 1) * pause;
  }
  const own = stepKindOf(step).timeout(step);
  if (own !== undefined) return milliseconds(own);
  const inherited = timeouts.map((layer) => (step.type === 'manual' ? layer?.manualStep : layer?.step));
  const first = inherited.find((value): value is string => value !== undefined);
  return milliseconds(first ?? (step.type === 'manual' ? defaultManualStepTimeout : defaultStepTimeout));
}

function compileSteps(
  steps: readonly Step[] | undefined,
  phase: StepPhase,
  timeouts: readonly (Timeouts | undefined)[],
): CompiledStep[] {
  return (steps ?? []).map((step) => {
    const kind = stepKindOf(step);
    const actor = step.type === 'manual' ? step.assignee : step.by;
    return {
      phase,
      name: step.name,
      type: step.type,
      step,
      automated: kind.automated,
      safeToRepeat: kind.safeToRepeat(step),
      timeoutMilliseconds: stepTimeout(step, timeouts),
      ...(actor === undefined ? {} : { actor }),
      ...(step.type === 'wait' ? { waitMilliseconds: milliseconds(step.duration) } : {}),
    };
  });
}

function compileApproval(approval: Approval): CompiledApproval {
  return {
    by: approval.by,
    count: approval.count ?? 1,
    ...(approval.before === undefined ? {} : { before: approval.before }),
    ...(approval.expiresAfter === undefined
      ? {}
      : { expiresAfterMilliseconds: milliseconds(approval.expiresAfter) }),
    ...(approval.description === undefined ? {} : { description: approval.description }),
  };
}

/**
 * Makes everything about a valid model explicit for the engine and the planner. Throws an
 * InputError when the model breaks a rule, so a model read back from storage is checked too.
 */
export function compileModel(model: DeploymentModel): CompiledModel {
  const problems = modelRuleProblems(model);
  if (problems.length > 0) {
    throw new InputError(`The deployment model ${model.name} breaks ${problems.length} rule(s).`, problems);
  }
  const modelRequirements = requirements(model.requirements);
  const stages = model.stages.map((stage, index): CompiledStage => {
    const timeouts = [stage.timeouts, model.timeouts];
    const entryCriteria = (stage.entryCriteria ?? []).map((text): ResolvedEntryCriterion => {
      const parsed = parseEntryCriterion(text);
      const stageIndex = parsed.ok ? findEarlierStage(model, index, parsed.value.reference) : undefined;
      const earlier = stageIndex === undefined ? undefined : model.stages[stageIndex];
      if (!parsed.ok || stageIndex === undefined || earlier === undefined) {
        throw new InputError(`Stage ${stage.name} has an entry criterion that cannot be resolved: ${text}`);
      }
      return { ...parsed.value, stage: earlier.name, stageIndex };
    });
    const stageTimeout = stage.timeouts?.stage ?? model.timeouts?.stage;
    const next = model.stages[index + 1]?.name;
    return {
      index,
      name: stage.name,
      ...(stage.description === undefined ? {} : { description: stage.description }),
      ...(stage.environment === undefined ? {} : { environment: stage.environment }),
      ...(stage.tier === undefined ? {} : { tier: stage.tier }),
      entryCriteria,
      approvals: (stage.approvals ?? []).map(compileApproval),
      requirements: [...modelRequirements, ...requirements(stage.requirements)],
      rollout: stage.rollout ?? defaultRollout,
      steps: compileSteps(stage.steps, 'execution', timeouts),
      acceptance: compileSteps(stage.acceptance, 'acceptance', timeouts),
      rollback: compileSteps(stage.rollback ?? model.rollback, 'rollback', timeouts),
      removal: compileSteps(stage.removal ?? model.removal, 'removal', timeouts),
      promotion: stage.promotion ?? 'manual',
      onLostTarget: stage.onLostTarget ?? 'fail',
      ...(stageTimeout === undefined ? {} : { timeoutMilliseconds: milliseconds(stageTimeout) }),
      ...(next === undefined ? {} : { next }),
    };
  });
  const deploymentTimeout = model.timeouts?.deployment;
  return {
    name: model.name,
    ...(model.description === undefined ? {} : { description: model.description }),
    model,
    fingerprint: modelFingerprint(model),
    responsibilities: model.responsibilities ?? [],
    requiredParts: model.requiredParts ?? [],
    stages,
    ...(deploymentTimeout === undefined
      ? {}
      : { deploymentTimeoutMilliseconds: milliseconds(deploymentTimeout) }),
  };
}

/** An environment as far as choosing a stage is concerned. */
export interface EnvironmentReference {
  name: string;
  tier: Tier;
}

/**
 * The stage of a model that deploys into an environment: the stage naming the environment,
 * or else the stage naming its tier.
 */
export function stageForEnvironment<Staged extends { environment?: string; tier?: Tier }>(
  stages: readonly Staged[],
  environment: EnvironmentReference,
): Staged | undefined {
  return (
    stages.find((stage) => stage.environment === environment.name) ??
    stages.find((stage) => stage.environment === undefined && stage.tier === environment.tier)
  );
}

/** A component as far as choosing a model is concerned. */
export interface ModelSubject {
  kind: string;
  service: string;
  labels?: Readonly<Record<string, string>>;
}

/** Whether a model is meant for a component: its kind, its service, and its labels all match. */
export function modelAppliesTo(model: DeploymentModel, subject: ModelSubject): boolean {
  const { componentKinds, services, labels } = model.appliesTo;
  if (!(componentKinds as readonly string[]).includes(subject.kind)) return false;
  if (services !== undefined && !services.includes(subject.service)) return false;
  return Object.entries(labels ?? {}).every(([key, value]) => subject.labels?.[key] === value);
}
