import { InputError } from '../errors.js';
import { dayMilliseconds, formatInterval, type Interval, intervalsOverlap, mergeIntervals } from './time.js';
import { compareVersions, satisfiesMinimum } from './versions.js';
import {
  applicableWindows,
  type CompiledWindow,
  defaultSearchHorizon,
  inside,
  occurrences,
  type PlanningScope,
  WindowKind,
  type WindowOccurrence,
} from './windows.js';

/*
 * Conflict detection answers, before anything runs: can this deployment happen at the time it
 * is planned for? It looks at the other planned and running deployments, the maintenance
 * windows and freezes, the people booked on manual tasks, and the versions the deployment
 * depends on. Every conflict names the other party and carries the next free slot: the earliest
 * time, at or after the planned one, at which the deployment could run with every conflict that
 * moving it can solve solved. The search is exact (it works on interval arithmetic, not by
 * trying times one by one) and bounded by a horizon, 90 days unless told otherwise.
 */

/** What a planned deployment conflicts with. */
export const ConflictKind = {
  /** Another planned or running deployment at the same time on the same target, environment or component. */
  overlap: 'overlap',
  /** The scope has maintenance windows and the planned time is not inside them. */
  outsideMaintenanceWindow: 'outside-maintenance-window',
  /** The planned time overlaps a freeze that applies to the deployment. */
  freeze: 'freeze',
  /** A person assigned to a manual task is booked elsewhere at the same time. */
  assigneeDoubleBooked: 'assignee-double-booked',
  /** A service the deployment needs is not at the version it needs when the deployment starts. */
  unmetDependency: 'unmet-dependency',
} as const;
/** A kind of conflict. */
export type ConflictKind = (typeof ConflictKind)[keyof typeof ConflictKind];
/** Every kind of conflict, in the order reports list them. */
export const conflictKinds = Object.values(ConflictKind);

/** What two deployments may share that makes running them at the same time a conflict. */
export const OverlapBasis = {
  target: 'target',
  environment: 'environment',
  component: 'component',
} as const;
/** A basis of overlap. */
export type OverlapBasis = (typeof OverlapBasis)[keyof typeof OverlapBasis];
/** Every basis of overlap; conflict detection uses all of them unless told otherwise. */
export const overlapBases = Object.values(OverlapBasis);

/** A person booked for a stretch of time: a manual task of a deployment, or any other booking. */
export interface TaskBooking {
  /** The person (principal id or name, as long as it is used consistently). */
  assignee: string;
  interval: Interval;
  /** The task's title, for messages. */
  task?: string;
  /** The deployment the task belongs to, if any. */
  deploymentId?: string;
}

/** A version of a service (or of one of its components) that a deployment moves or finds. */
export interface ServiceVersion {
  service: string;
  component?: string;
  version: string;
}

/** A version currently deployed in an environment. */
export interface DeployedVersion extends ServiceVersion {
  environment: string;
}

/**
 * A dependency declared by a model: the deployment needs `service` (or one of its components)
 * at `minimum` or later in the same environment. Without a component, every component of the
 * service found in the environment must be at `minimum` or later.
 */
export interface DependencyRequirement {
  service: string;
  component?: string;
  minimum: string;
}

/** A deployment on the schedule, planned or running, as conflict detection sees it. */
export interface ScheduledDeployment {
  id: string;
  /** When it runs (or is expected to run), [start, end). */
  interval: Interval;
  environment: string;
  services: readonly string[];
  components: readonly string[];
  targets: readonly string[];
  /** Its lifecycle state, for messages (e.g. planned, scheduled, executing). */
  state?: string;
  /** Its manual tasks with their assignees and booked times. */
  tasks?: readonly TaskBooking[];
  /** The versions it moves into its environment. */
  versions?: readonly ServiceVersion[];
}

/** The deployment being checked. */
export interface PlannedDeployment extends ScheduledDeployment {
  /** What its model says it needs in the environment. */
  dependencies?: readonly DependencyRequirement[];
  /** It belongs to an emergency change: freezes that allow emergencies let it pass. */
  emergency?: boolean;
  /** Freezes a person overrode for it (the caller checks the permission and records the reason). */
  overriddenFreezes?: readonly string[];
}

/** Everything a planned deployment is checked against. */
export interface ConflictContext {
  /** Other planned and running deployments; the planned one itself, if listed, is skipped. */
  deployments: readonly ScheduledDeployment[];
  /** Every maintenance window and freeze; those that do not apply to the deployment are ignored. */
  windows: readonly CompiledWindow[];
  /** Bookings of people outside the listed deployments' tasks. */
  bookings?: readonly TaskBooking[];
  /** What is deployed now, per environment. */
  deployed?: readonly DeployedVersion[];
  /** The next free slot starts no earlier than this (usually now). */
  notBefore?: number;
  /** How far past the planned start to search for a free slot, in milliseconds; default 90 days. */
  horizon?: number;
  /** What shared makes two deployments at the same time a conflict; default target, environment and component. */
  overlapOn?: readonly OverlapBasis[];
  /** The zone times are written in in messages; default UTC. Windows' times are written in their own zone. */
  timeZone?: string;
}

/** The other side of a conflict. */
export type ConflictParty =
  | { type: 'deployment'; id: string; state?: string }
  | { type: 'maintenance-window'; name: string }
  | { type: 'freeze'; name: string }
  | { type: 'assignee'; assignee: string; task?: string; deploymentId?: string }
  | {
      type: 'dependency';
      service: string;
      component?: string;
      minimum: string;
      /** The versions found where the deployment would start; empty when nothing is deployed. */
      found: string[];
      /** A planned deployment that brings a version that would do, if any. */
      providedBy?: string;
    };

/** What two overlapping deployments share. */
export interface SharedResources {
  targets: string[];
  environment?: string;
  components: string[];
}

/** One conflict of a planned deployment. */
export interface Conflict {
  kind: ConflictKind;
  /** A sentence a person can act on: what clashes, when, and what to do. */
  message: string;
  other: ConflictParty;
  /** When the clash happens, where it is a stretch of time. */
  interval?: Interval;
  /** For overlaps: what the two deployments share. */
  shared?: SharedResources;
  /** The earliest time the deployment could run instead; absent when moving it cannot help or no slot exists. */
  nextFreeSlot?: Interval;
}

/** The outcome of conflict detection. */
export interface ConflictReport {
  /** Every conflict, by kind in the order of `conflictKinds`, then by time. */
  conflicts: Conflict[];
  /**
   * The earliest slot, at or after the planned start, free of every conflict that moving the
   * deployment can solve; equal to the planned interval when there is no conflict.
   */
  nextFreeSlot?: Interval;
}

/** A manual task of the deployment, placed relative to its start, and its assignee's other bookings. */
export interface TaskConstraint {
  /** Milliseconds from the deployment's start to the task's start. */
  offset: number;
  /** How long the task takes. */
  duration: number;
  /** When the assignee is busy elsewhere. */
  busy: readonly Interval[];
}

/** What a free slot must respect. */
export interface SlotConstraints {
  /** Maintenance windows and freezes; those that do not apply to `scope` are ignored. */
  windows?: readonly CompiledWindow[];
  scope?: PlanningScope;
  /** Freezes that allow emergencies let the deployment pass. */
  emergency?: boolean;
  /** Freezes overridden for the deployment. */
  overriddenFreezes?: readonly string[];
  /** Times the deployment must not overlap (the other deployments on its targets, environment, components). */
  busy?: readonly Interval[];
  /** Its manual tasks and their assignees' other bookings. */
  tasks?: readonly TaskConstraint[];
  /** How far past `after` a slot may start, in milliseconds; default 90 days. */
  horizon?: number;
}

function freezeBlocks(
  occurrence: WindowOccurrence,
  emergency: boolean | undefined,
  overridden: readonly string[] | undefined,
): boolean {
  if (overridden?.includes(occurrence.name) === true) return false;
  return !(emergency === true && occurrence.window.emergencyAllowed);
}

/**
 * The earliest interval of `duration` milliseconds starting at or after `after` that lies inside
 * the maintenance windows of the scope (when it has any), overlaps no blocking freeze, no busy
 * time, and books no task's assignee twice. Undefined when none starts within the horizon.
 */
export function nextFreeSlot(
  duration: number,
  after: number,
  constraints: SlotConstraints = {},
): Interval | undefined {
  // Work in "start space": for each constraint, the set of start times it forbids or allows.
  // Instants are whole milliseconds, so the open interval (a, b) is [a + 1, b).
  const length = Math.max(1, Math.round(duration));
  const latestStart = after + (constraints.horizon ?? defaultSearchHorizon);
  const scope = constraints.scope ?? {};
  const windows = constraints.windows ?? [];
  const searchEnd = latestStart + length;

  const maintenance = applicableWindows(windows, scope, WindowKind.maintenance);
  const allowed: Interval[] =
    maintenance.length === 0
      ? [{ start: after, end: latestStart + 1 }]
      : mergeIntervals(
          maintenance
            .flatMap((window) => occurrences(window, after, searchEnd))
            .map((occurrence) => occurrence.interval),
        )
          .map((cover) => ({ start: cover.start, end: cover.end - length + 1 }))
          .filter((starts) => starts.end > starts.start);

  const forbidden: Interval[] = [];
  const forbid = (busy: Interval, offset: number, span: number) => {
    if (span > 0 && busy.end > busy.start) {
      forbidden.push({ start: busy.start - offset - span + 1, end: busy.end - offset });
    }
  };
  for (const window of applicableWindows(windows, scope, WindowKind.freeze)) {
    for (const occurrence of occurrences(window, after, searchEnd)) {
      if (freezeBlocks(occurrence, constraints.emergency, constraints.overriddenFreezes)) {
        forbid(occurrence.interval, 0, length);
      }
    }
  }
  for (const busy of constraints.busy ?? []) forbid(busy, 0, length);
  for (const task of constraints.tasks ?? []) {
    for (const busy of task.busy) forbid(busy, task.offset, task.duration);
  }
  const blocked = mergeIntervals(forbidden);

  for (const starts of allowed) {
    let candidate = Math.max(starts.start, after);
    for (const block of blocked) {
      if (block.end <= candidate) continue;
      if (block.start > candidate) break;
      candidate = block.end;
    }
    if (candidate < starts.end && candidate <= latestStart)
      return { start: candidate, end: candidate + duration };
    if (starts.start > latestStart) break;
  }
  return undefined;
}

function shared(plan: ScheduledDeployment, other: ScheduledDeployment, bases: readonly OverlapBasis[]) {
  const result: SharedResources = { targets: [], components: [] };
  if (bases.includes(OverlapBasis.target))
    result.targets = plan.targets.filter((target) => other.targets.includes(target));
  if (bases.includes(OverlapBasis.environment) && plan.environment === other.environment) {
    result.environment = plan.environment;
  }
  if (bases.includes(OverlapBasis.component)) {
    result.components = plan.components.filter((component) => other.components.includes(component));
  }
  const any = result.targets.length > 0 || result.environment !== undefined || result.components.length > 0;
  return any ? result : undefined;
}

function describeShared(resources: SharedResources): string {
  const parts: string[] = [];
  const list = (noun: string, names: string[]) => `${noun}${names.length > 1 ? 's' : ''} ${names.join(', ')}`;
  if (resources.targets.length > 0) parts.push(list('target', resources.targets));
  if (resources.environment !== undefined) parts.push(`environment ${resources.environment}`);
  if (resources.components.length > 0) parts.push(list('component', resources.components));
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

function bookingsOf(plan: PlannedDeployment, context: ConflictContext): TaskBooking[] {
  const fromDeployments = context.deployments
    .filter((other) => other.id !== plan.id)
    .flatMap((other) =>
      (other.tasks ?? []).map((task) => ({ ...task, deploymentId: task.deploymentId ?? other.id })),
    );
  const external = (context.bookings ?? []).filter((booking) => booking.deploymentId !== plan.id);
  return [...fromDeployments, ...external];
}

type DependencyStatus =
  | { met: true }
  | { met: false; found: string[]; provider?: { id: string; version: string; readyAt: number } };

function matches(entry: ServiceVersion, dependency: DependencyRequirement): boolean {
  return (
    entry.service === dependency.service &&
    (dependency.component === undefined || entry.component === dependency.component)
  );
}

function dependencyStatus(
  plan: PlannedDeployment,
  dependency: DependencyRequirement,
  context: ConflictContext,
): DependencyStatus {
  // The version of each matching component when the deployment starts: what is deployed now,
  // changed by the deployments in the same environment that end before it starts, in order.
  const atStart = new Map<string, string>();
  const key = (entry: ServiceVersion) => entry.component ?? '';
  for (const entry of context.deployed ?? []) {
    if (entry.environment === plan.environment && matches(entry, dependency))
      atStart.set(key(entry), entry.version);
  }
  const sameEnvironment = context.deployments.filter(
    (other) => other.id !== plan.id && other.environment === plan.environment,
  );
  const before = sameEnvironment
    .filter((other) => other.interval.end <= plan.interval.start)
    .sort((first, second) => first.interval.end - second.interval.end);
  for (const other of before) {
    for (const entry of other.versions ?? [])
      if (matches(entry, dependency)) atStart.set(key(entry), entry.version);
  }
  // A deployment that moves the needed service together with the dependent one satisfies itself.
  for (const entry of plan.versions ?? [])
    if (matches(entry, dependency)) atStart.set(key(entry), entry.version);
  const found = [...atStart.values()];
  if (found.length > 0 && found.every((version) => satisfiesMinimum(version, dependency.minimum)))
    return { met: true };

  const providers = sameEnvironment
    .filter((other) => other.interval.end > plan.interval.start)
    .flatMap((other) =>
      (other.versions ?? [])
        .filter((entry) => matches(entry, dependency) && satisfiesMinimum(entry.version, dependency.minimum))
        .map((entry) => ({ id: other.id, version: entry.version, readyAt: other.interval.end })),
    )
    .sort((first, second) => first.readyAt - second.readyAt);
  const [provider] = providers;
  return { met: false, found: found.sort(compareVersions), ...(provider !== undefined && { provider }) };
}

function describeDependency(dependency: DependencyRequirement): string {
  return dependency.component === undefined
    ? `service ${dependency.service}`
    : `component ${dependency.component} of service ${dependency.service}`;
}

/** The slot constraints of a planned deployment in a context: the same ones `detectConflicts` uses. */
export function slotConstraints(plan: PlannedDeployment, context: ConflictContext): SlotConstraints {
  const bases = context.overlapOn ?? overlapBases;
  const busy = context.deployments
    .filter((other) => other.id !== plan.id && shared(plan, other, bases) !== undefined)
    .map((other) => other.interval);
  const bookings = bookingsOf(plan, context);
  const tasks = (plan.tasks ?? []).map((task) => ({
    offset: task.interval.start - plan.interval.start,
    duration: task.interval.end - task.interval.start,
    busy: bookings.filter((booking) => booking.assignee === task.assignee).map((booking) => booking.interval),
  }));
  return {
    windows: context.windows,
    scope: { environment: plan.environment, services: plan.services },
    ...(plan.emergency !== undefined && { emergency: plan.emergency }),
    ...(plan.overriddenFreezes !== undefined && { overriddenFreezes: plan.overriddenFreezes }),
    busy,
    tasks,
    ...(context.horizon !== undefined && { horizon: context.horizon }),
  };
}

function describeDays(milliseconds: number): string {
  const days = Math.round(milliseconds / dayMilliseconds);
  return days === 1 ? '1 day' : `${days} days`;
}

const kindOrder = new Map<ConflictKind, number>(conflictKinds.map((kind, index) => [kind, index]));

/**
 * Checks a planned deployment against the schedule, the windows and freezes, the bookings of
 * its tasks' assignees and its dependencies, and reports every conflict with the next free slot.
 * Run it when a deployment is planned and again before it starts: the schedule may have changed.
 */
export function detectConflicts(plan: PlannedDeployment, context: ConflictContext): ConflictReport {
  const { interval } = plan;
  if (!(interval.end > interval.start)) {
    throw new InputError(`Deployment ${plan.id} must end after it starts.`, [
      { path: '/interval', message: 'must end after it starts' },
    ]);
  }
  const zone = context.timeZone ?? 'UTC';
  const horizon = context.horizon ?? defaultSearchHorizon;
  const bases = context.overlapOn ?? overlapBases;
  const scope: PlanningScope = { environment: plan.environment, services: plan.services };
  const when = (span: Interval) => formatInterval(span, zone);
  const duration = interval.end - interval.start;

  const dependencies = (plan.dependencies ?? []).map((dependency) => ({
    dependency,
    status: dependencyStatus(plan, dependency, context),
  }));
  let after = Math.max(interval.start, context.notBefore ?? Number.NEGATIVE_INFINITY);
  for (const { status } of dependencies) {
    if (!status.met && status.provider !== undefined) after = Math.max(after, status.provider.readyAt);
  }
  const slot = nextFreeSlot(duration, after, slotConstraints(plan, context));
  const suggestion =
    slot === undefined
      ? `no free slot exists within ${describeDays(horizon)} of the earliest possible start`
      : `the next free slot is ${when(slot)}`;
  const withSlot = (conflict: Omit<Conflict, 'nextFreeSlot'>): Conflict => ({
    ...conflict,
    ...(slot !== undefined && { nextFreeSlot: slot }),
  });
  const conflicts: Conflict[] = [];

  for (const other of context.deployments) {
    if (other.id === plan.id || !intervalsOverlap(other.interval, interval)) continue;
    const resources = shared(plan, other, bases);
    if (resources === undefined) continue;
    const state = other.state === undefined ? '' : ` (${other.state})`;
    conflicts.push(
      withSlot({
        kind: ConflictKind.overlap,
        message:
          `Deployment ${other.id}${state} runs ${when(other.interval)} on ${describeShared(resources)}, ` +
          `overlapping this one (${when(interval)}). Move this deployment or ${other.id}: ${suggestion}.`,
        other: { type: 'deployment', id: other.id, ...(other.state !== undefined && { state: other.state }) },
        interval: {
          start: Math.max(other.interval.start, interval.start),
          end: Math.min(other.interval.end, interval.end),
        },
        shared: resources,
      }),
    );
  }

  const maintenance = applicableWindows(context.windows, scope, WindowKind.maintenance);
  if (maintenance.length > 0 && !inside(maintenance, interval, scope)) {
    // Name the window the free slot falls in; without a slot, the next one to open.
    const ahead = maintenance
      .flatMap((window) =>
        occurrences(window, interval.start, Math.max(slot?.end ?? 0, interval.start + horizon)),
      )
      .sort((first, second) => first.interval.start - second.interval.start);
    const next =
      (slot === undefined
        ? undefined
        : ahead.find(
            (occurrence) => occurrence.interval.start <= slot.start && slot.start < occurrence.interval.end,
          )) ?? ahead.find((occurrence) => occurrence.interval.start >= interval.start);
    const names = maintenance.map((window) => window.name).join(', ');
    conflicts.push(
      withSlot({
        kind: ConflictKind.outsideMaintenanceWindow,
        message:
          `The planned time (${when(interval)}) is not inside the maintenance windows that apply to this deployment (${names})` +
          `${next === undefined ? '' : `; the next one is ${next.name}, ${formatInterval(next.interval, next.timeZone)}`}. ` +
          `Plan it inside a window: ${suggestion}.`,
        other: { type: 'maintenance-window', name: next?.name ?? maintenance[0]?.name ?? '' },
      }),
    );
  }

  for (const window of applicableWindows(context.windows, scope, WindowKind.freeze)) {
    for (const occurrence of occurrences(window, interval.start, interval.end)) {
      if (!freezeBlocks(occurrence, plan.emergency, plan.overriddenFreezes)) continue;
      const emergencyNote = window.emergencyAllowed ? ' Only an emergency change may pass it.' : '';
      conflicts.push(
        withSlot({
          kind: ConflictKind.freeze,
          message:
            `The planned time (${when(interval)}) falls in freeze ${window.name} ` +
            `(${formatInterval(occurrence.interval, occurrence.timeZone)}).${emergencyNote} ` +
            `Plan it outside the freeze or have it overridden with a reason: ${suggestion}.`,
          other: { type: 'freeze', name: window.name },
          interval: {
            start: Math.max(occurrence.interval.start, interval.start),
            end: Math.min(occurrence.interval.end, interval.end),
          },
        }),
      );
    }
  }

  const bookings = bookingsOf(plan, context);
  const tasks = plan.tasks ?? [];
  for (const [index, task] of tasks.entries()) {
    const label = task.task === undefined ? 'a task of this deployment' : `task "${task.task}"`;
    for (const booking of bookings) {
      if (booking.assignee !== task.assignee || !intervalsOverlap(booking.interval, task.interval)) continue;
      const elsewhere =
        (booking.task === undefined ? 'another booking' : `task "${booking.task}"`) +
        (booking.deploymentId === undefined ? '' : ` of deployment ${booking.deploymentId}`);
      conflicts.push(
        withSlot({
          kind: ConflictKind.assigneeDoubleBooked,
          message:
            `${task.assignee} is booked on ${elsewhere} (${when(booking.interval)}) while ${label} needs them ` +
            `(${when(task.interval)}). Assign someone else or move this deployment: ${suggestion}.`,
          other: {
            type: 'assignee',
            assignee: task.assignee,
            ...(booking.task !== undefined && { task: booking.task }),
            ...(booking.deploymentId !== undefined && { deploymentId: booking.deploymentId }),
          },
          interval: {
            start: Math.max(booking.interval.start, task.interval.start),
            end: Math.min(booking.interval.end, task.interval.end),
          },
        }),
      );
    }
    // Two tasks of this deployment for one person at once: moving the deployment cannot help.
    for (const sibling of tasks.slice(index + 1)) {
      if (sibling.assignee !== task.assignee || !intervalsOverlap(sibling.interval, task.interval)) continue;
      conflicts.push({
        kind: ConflictKind.assigneeDoubleBooked,
        message:
          `${task.assignee} has two tasks of this deployment at once: ${label} (${when(task.interval)}) and ` +
          `${sibling.task === undefined ? 'another task' : `task "${sibling.task}"`} (${when(sibling.interval)}). ` +
          'Assign one of them to someone else.',
        other: {
          type: 'assignee',
          assignee: task.assignee,
          ...(sibling.task !== undefined && { task: sibling.task }),
          deploymentId: plan.id,
        },
        interval: {
          start: Math.max(sibling.interval.start, task.interval.start),
          end: Math.min(sibling.interval.end, task.interval.end),
        },
      });
    }
  }

  for (const { dependency, status } of dependencies) {
    if (status.met) continue;
    const needed = `${describeDependency(dependency)} at version ${dependency.minimum} or later in environment ${plan.environment}`;
    const foundText =
      status.found.length === 0
        ? `${dependency.service} is not deployed there`
        : `${dependency.service} is at ${status.found.join(', ')} there`;
    const other: ConflictParty = {
      type: 'dependency',
      service: dependency.service,
      ...(dependency.component !== undefined && { component: dependency.component }),
      minimum: dependency.minimum,
      found: status.found,
      ...(status.provider !== undefined && { providedBy: status.provider.id }),
    };
    if (status.provider !== undefined) {
      conflicts.push(
        withSlot({
          kind: ConflictKind.unmetDependency,
          message:
            `This deployment needs ${needed}, but when it starts ${foundText}. Deployment ${status.provider.id} brings ` +
            `${dependency.service} ${status.provider.version} and ends after this one starts; start after it: ${suggestion}.`,
          other,
        }),
      );
    } else {
      conflicts.push({
        kind: ConflictKind.unmetDependency,
        message:
          `This deployment needs ${needed}, but ${foundText} and no planned deployment brings it. ` +
          `Plan a deployment of ${dependency.service} ${dependency.minimum} or later to ${plan.environment} before this one.`,
        other,
      });
    }
  }

  conflicts.sort(
    (first, second) =>
      (kindOrder.get(first.kind) ?? 0) - (kindOrder.get(second.kind) ?? 0) ||
      (first.interval?.start ?? 0) - (second.interval?.start ?? 0),
  );
  return { conflicts, ...(slot !== undefined && { nextFreeSlot: slot }) };
}
