import type { FieldProblem } from '../errors.js';
import { checkRollout } from '../rollout/index.js';
import { type Step, stepKindOf } from '../steps/index.js';
import { type ActorReference, describeActor } from './actor.js';
import { parseDuration } from './duration.js';
import { parseEntryCriterion } from './entry-criteria.js';
import { parseRequirement } from './requirement.js';
import type { DeploymentModel, RequirementEntry, Stage, Timeouts } from './schema.js';
import { closest } from './schema-problems.js';
import { prefixedPlaceholders, simplePlaceholders, unknownPlaceholders } from './template.js';

/*
 * The rules a model must follow beyond its JSON Schema. They run only on a model that
 * already satisfies the schema, so they may rely on its shape.
 */

/** A list of steps with its place in the model. */
export interface StepList {
  /** JSON pointer of the list, e.g. `/stages/1/steps`. */
  path: string;
  steps: readonly Step[];
}

/** Every list of steps in a model: per stage its steps, acceptance, rollback and removal, then the model's. */
export function stepLists(model: DeploymentModel): StepList[] {
  const lists: StepList[] = [];
  model.stages.forEach((stage, index) => {
    const base = `/stages/${index}`;
    lists.push({ path: `${base}/steps`, steps: stage.steps });
    if (stage.acceptance !== undefined) lists.push({ path: `${base}/acceptance`, steps: stage.acceptance });
    if (stage.rollback !== undefined) lists.push({ path: `${base}/rollback`, steps: stage.rollback });
    if (stage.removal !== undefined) lists.push({ path: `${base}/removal`, steps: stage.removal });
  });
  if (model.rollback !== undefined) lists.push({ path: '/rollback', steps: model.rollback });
  if (model.removal !== undefined) lists.push({ path: '/removal', steps: model.removal });
  return lists;
}

/** How a stage is named in messages: `staging (environment staging)`. */
export function describeStage(stage: Stage): string {
  if (stage.environment !== undefined) return `${stage.name} (environment ${stage.environment})`;
  if (stage.tier !== undefined) return `${stage.name} (tier ${stage.tier})`;
  return stage.name;
}

/**
 * The index of the stage before `stageIndex` that an entry criterion's reference names — by
 * stage name first, then by environment, then by tier — or undefined when none does.
 */
export function findEarlierStage(
  model: DeploymentModel,
  stageIndex: number,
  reference: string,
): number | undefined {
  const earlier = model.stages.slice(0, stageIndex);
  const byName = earlier.findIndex((stage) => stage.name === reference);
  if (byName >= 0) return byName;
  const byEnvironment = earlier.findIndex((stage) => stage.environment === reference);
  if (byEnvironment >= 0) return byEnvironment;
  const byTier = earlier.findIndex((stage) => stage.tier === reference);
  return byTier >= 0 ? byTier : undefined;
}

/** Requirement entries as expression and optional reason. */
export function requirementText(entry: RequirementEntry): { expression: string; description?: string } {
  return typeof entry === 'string' ? { expression: entry } : entry;
}

const placeholderList = [
  ...simplePlaceholders,
  ...prefixedPlaceholders.map((prefix) => `${prefix}<key>`),
].join(', ');

function checkActor(
  actor: ActorReference,
  path: string,
  parties: ReadonlySet<string>,
  problems: FieldProblem[],
): void {
  if (actor.role === undefined && actor.party === undefined) {
    problems.push({ path, message: 'names nobody: give either role or party' });
  } else if (actor.role !== undefined && actor.party !== undefined) {
    problems.push({ path, message: 'names both a role and a party: give only one' });
  } else if (actor.party !== undefined && !parties.has(actor.party)) {
    const suggestion = closest(actor.party, [...parties]);
    problems.push({
      path: `${path}/party`,
      message:
        `names the party "${actor.party}", which is not declared under responsibilities` +
        (suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`) +
        '; declare it there with what it does',
    });
  }
}

function checkDuration(text: string | undefined, path: string, problems: FieldProblem[]): void {
  if (text === undefined) return;
  const parsed = parseDuration(text);
  if (!parsed.ok) problems.push({ path, message: parsed.message });
}

function checkTimeouts(timeouts: Timeouts | undefined, path: string, problems: FieldProblem[]): void {
  if (timeouts === undefined) return;
  for (const [key, value] of Object.entries(timeouts)) checkDuration(value, `${path}/${key}`, problems);
}

function checkRequirements(
  entries: readonly RequirementEntry[] | undefined,
  path: string,
  problems: FieldProblem[],
): void {
  (entries ?? []).forEach((entry, index) => {
    const parsed = parseRequirement(requirementText(entry).expression);
    if (!parsed.ok) {
      const at = typeof entry === 'string' ? `${path}/${index}` : `${path}/${index}/expression`;
      problems.push({ path: at, message: parsed.message });
    }
  });
}

function checkSteps(list: StepList, parties: ReadonlySet<string>, problems: FieldProblem[]): void {
  list.steps.forEach((step, index) => {
    const path = `${list.path}/${index}`;
    const kind = stepKindOf(step);
    if (step.by !== undefined) checkActor(step.by, `${path}/by`, parties, problems);
    if (step.type === 'manual') {
      checkActor(step.assignee, `${path}/assignee`, parties, problems);
      if (step.by !== undefined && describeActor(step.by) !== describeActor(step.assignee)) {
        problems.push({
          path: `${path}/by`,
          message: `names ${describeActor(step.by)} but the task is assigned to ${describeActor(step.assignee)}; keep only assignee`,
        });
      }
    }
    for (const field of kind.durationFields(step))
      checkDuration(field.text, `${path}${field.field}`, problems);
    for (const field of kind.templateFields(step)) {
      for (const name of unknownPlaceholders(field.text)) {
        const suggestion = closest(name, simplePlaceholders);
        problems.push({
          path: `${path}${field.field}`,
          message:
            `uses the unknown placeholder {{ ${name} }}` +
            (suggestion === undefined ? '' : ` (did you mean {{ ${suggestion} }}?)`) +
            `; known placeholders are ${placeholderList}`,
        });
      }
    }
  });
}

/** Names must be unique within the stage (steps and acceptance) and within each other list. */
function checkStepNames(model: DeploymentModel, problems: FieldProblem[]): void {
  const namespaces = new Map<string, Map<string, string>>();
  for (const list of stepLists(model)) {
    const shared = /^\/stages\/[0-9]+\/(steps|acceptance)$/.test(list.path);
    const namespace = shared ? list.path.replace(/\/(steps|acceptance)$/, '') : list.path;
    const names = namespaces.get(namespace) ?? new Map<string, string>();
    namespaces.set(namespace, names);
    list.steps.forEach((step, index) => {
      const path = `${list.path}/${index}/name`;
      const first = names.get(step.name);
      if (first !== undefined) {
        problems.push({
          path,
          message: `repeats the step name "${step.name}" (first used at ${first}); step names must be unique ${
            shared ? 'within a stage' : 'within the list'
          }`,
        });
      } else {
        names.set(step.name, path);
      }
    });
  }
}

function checkResponsibilities(model: DeploymentModel, problems: FieldProblem[]): Set<string> {
  const parties = new Set<string>();
  const seen = new Set<string>();
  (model.responsibilities ?? []).forEach((responsibility, index) => {
    const path = `/responsibilities/${index}`;
    if (responsibility.role === undefined && responsibility.party === undefined) {
      problems.push({ path, message: 'names nobody: give either role or party' });
      return;
    }
    if (responsibility.role !== undefined && responsibility.party !== undefined) {
      problems.push({ path, message: 'names both a role and a party: give one per entry' });
      return;
    }
    if (responsibility.role !== undefined && responsibility.kind !== undefined) {
      problems.push({ path: `${path}/kind`, message: 'applies only to a party; a role has no kind' });
    }
    const key =
      responsibility.role !== undefined ? `role ${responsibility.role}` : `party ${responsibility.party}`;
    if (seen.has(key)) {
      problems.push({ path, message: `repeats ${key}; list each role or party once` });
    }
    seen.add(key);
    if (responsibility.party !== undefined) parties.add(responsibility.party);
  });
  return parties;
}

function checkStages(model: DeploymentModel, parties: ReadonlySet<string>, problems: FieldProblem[]): void {
  const stageNames = new Map<string, number>();
  const destinations = new Map<string, number>();
  model.stages.forEach((stage, index) => {
    const path = `/stages/${index}`;
    const earlierName = stageNames.get(stage.name);
    if (earlierName !== undefined) {
      problems.push({
        path: `${path}/name`,
        message: `repeats the stage name "${stage.name}" of stage ${earlierName + 1}; stage names must be unique`,
      });
    } else {
      stageNames.set(stage.name, index);
    }

    if (stage.environment === undefined && stage.tier === undefined) {
      problems.push({ path, message: 'names neither environment nor tier: give exactly one of them' });
    } else if (stage.environment !== undefined && stage.tier !== undefined) {
      problems.push({
        path: `${path}/tier`,
        message: 'is given together with environment: give only one of them',
      });
    } else {
      const destination =
        stage.environment !== undefined ? `environment ${stage.environment}` : `tier ${String(stage.tier)}`;
      const earlierStage = destinations.get(destination);
      if (earlierStage !== undefined) {
        problems.push({
          path: `${path}/${stage.environment !== undefined ? 'environment' : 'tier'}`,
          message: `repeats ${destination} of stage ${earlierStage + 1}; each stage deploys to its own environment`,
        });
      } else {
        destinations.set(destination, index);
      }
    }

    (stage.entryCriteria ?? []).forEach((text, criterionIndex) => {
      const at = `${path}/entryCriteria/${criterionIndex}`;
      const parsed = parseEntryCriterion(text);
      if (!parsed.ok) {
        problems.push({ path: at, message: parsed.message });
        return;
      }
      const { reference } = parsed.value;
      if (findEarlierStage(model, index, reference) !== undefined) return;
      const earlier = model.stages.slice(0, index).map(describeStage);
      const self = stage.name === reference || stage.environment === reference || stage.tier === reference;
      problems.push({
        path: at,
        message: self
          ? `refers to this stage itself; an entry criterion names an earlier stage`
          : `refers to "${reference}", which is not an earlier stage; ` +
            (earlier.length === 0
              ? 'the first stage has no earlier stage to refer to'
              : `name one of ${earlier.join(', ')} by stage, environment or tier`),
      });
    });

    checkRequirements(stage.requirements, `${path}/requirements`, problems);
    checkTimeouts(stage.timeouts, `${path}/timeouts`, problems);

    const stepNames = new Set(stage.steps.map((step) => step.name));
    (stage.approvals ?? []).forEach((approval, approvalIndex) => {
      const at = `${path}/approvals/${approvalIndex}`;
      checkActor(approval.by, `${at}/by`, parties, problems);
      checkDuration(approval.expiresAfter, `${at}/expiresAfter`, problems);
      if (approval.before !== undefined && !stepNames.has(approval.before)) {
        const suggestion = closest(approval.before, [...stepNames]);
        problems.push({
          path: `${at}/before`,
          message:
            `names the step "${approval.before}", which is not a step of this stage` +
            (suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`),
        });
      }
    });

    if (stage.rollout !== undefined) {
      for (const problem of checkRollout(stage.rollout)) {
        problems.push({ path: `${path}/rollout${problem.path}`, message: problem.message });
      }
    }
    if (index === model.stages.length - 1 && stage.promotion === 'automatic') {
      problems.push({
        path: `${path}/promotion`,
        message: 'is automatic, but this is the last stage and there is nothing to promote to; remove it',
      });
    }
  });
}

/** Checks the rules a model must follow beyond its JSON Schema; an empty list means it follows them. */
export function modelRuleProblems(model: DeploymentModel): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const parties = checkResponsibilities(model, problems);
  checkRequirements(model.requirements, '/requirements', problems);
  checkTimeouts(model.timeouts, '/timeouts', problems);
  checkStages(model, parties, problems);
  checkStepNames(model, problems);
  for (const list of stepLists(model)) checkSteps(list, parties, problems);
  return problems;
}
