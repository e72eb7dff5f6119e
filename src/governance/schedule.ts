import { type Static, Type } from '@sinclair/typebox';
import {
  type Conflict,
  type ConflictReport,
  DeploymentState,
  type DeploymentState as DeploymentStateName,
  dateTimePattern,
  dayMilliseconds,
  detectConflicts,
  type FieldProblem,
  hourMilliseconds,
  InputError,
  type Interval,
  intervalsOverlap,
  NotFoundError,
  type PlannedDeployment,
  parseDuration,
  resolveWrittenTime,
  type ScheduledDeployment,
  type StartGate,
  type StartGateOptions,
  startGate,
  terminalStates,
} from '../domain/index.js';
import type { ScheduleEntry, Store } from '../store/index.js';
import { type OccurrenceView, occurrenceView, type WindowCommands } from './windows.js';

/** States in which a deployment is on the schedule without a planned time: it is touching targets. */
export const runningStates: readonly DeploymentStateName[] = [
  DeploymentState.verifyingComponents,
  DeploymentState.verifyingEnvironment,
  DeploymentState.executing,
  DeploymentState.verifyingDeployment,
  DeploymentState.rollingBack,
];

/** How long a running deployment without a planned end is expected to go on past now. */
export const runningEstimateMilliseconds = hourMilliseconds;

/** The longest calendar range one schedule request may ask for. */
export const maximumScheduleRangeDays = 400;

const WrittenTime = (description: string) =>
  Type.String({
    pattern: dateTimePattern,
    description: `${description}: a local date-time in timeZone (2025-03-29T22:00), a date, or an instant (…Z)`,
  });
/**
 * A duration as the API takes it. The domain's pattern uses a lookahead to refuse an empty
 * text; here minLength does that, so that tools generating inputs from the OpenAPI document
 * (which often cannot handle lookaheads) can use it. parseDuration checks the rest.
 */
export const DurationText = Type.String({
  minLength: 2,
  maxLength: 40,
  pattern: '^([0-9]{1,6}d)?([0-9]{1,6}h)?([0-9]{1,6}m)?([0-9]{1,6}s)?$',
  description: 'A duration such as 30m, 2h, 1d or 1h30m',
  examples: ['30m', '2h', '1h30m'],
});
const TimeZone = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'IANA time zone the times are read in and messages written in; default UTC',
});

/** When a deployment is planned: start, and end or duration, in a time zone. */
export const PlanTimeSchema = Type.Object(
  {
    start: WrittenTime('When it starts'),
    end: Type.Optional(WrittenTime('When it ends (excluded); give end or duration')),
    duration: Type.Optional(DurationText),
    timeZone: Type.Optional(TimeZone),
  },
  { additionalProperties: false },
);
/** When a deployment is planned. */
export type PlanTime = Static<typeof PlanTimeSchema>;

/** A deployment to check against the schedule without creating anything. */
export const PlanningCheckSchema = Type.Object(
  {
    deployment: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          'An existing deployment to check at another time: its environment and components are used',
      }),
    ),
    component: Type.Optional(
      Type.String({ minLength: 1, maxLength: 300, description: 'component or component@version' }),
    ),
    components: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 300 }), {
        maxItems: 100,
        uniqueItems: true,
        description: 'Several component or component@version',
      }),
    ),
    environment: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Environment it goes into (id or name)' }),
    ),
    emergency: Type.Optional(Type.Boolean({ description: 'It belongs to an emergency change' })),
    ...PlanTimeSchema.properties,
  },
  { additionalProperties: false },
);
/** A planning check request. */
export type PlanningCheck = Static<typeof PlanningCheckSchema>;

/** A conflict with its times in ISO text. */
export type ConflictView = Omit<Conflict, 'interval' | 'nextFreeSlot'> & {
  interval?: { start: string; end: string };
  nextFreeSlot?: { start: string; end: string };
};

/** A conflict report with its times in ISO text. */
export interface ConflictReportView {
  conflicts: ConflictView[];
  nextFreeSlot?: { start: string; end: string };
}

/** A deployment on the calendar. */
export interface ScheduledDeploymentView {
  id: string;
  state: DeploymentStateName;
  environment: string;
  model: string;
  services: string[];
  components: string[];
  changeId?: string;
  start: string;
  end: string;
  timeZone?: string;
  /** Whether the times were planned; otherwise the deployment is running and its end is an estimate. */
  planned: boolean;
}

/** What the calendar shows for a range. */
export interface ScheduleView {
  from: string;
  to: string;
  deployments: ScheduledDeploymentView[];
  occurrences: OccurrenceView[];
  /** Each conflict of a deployment shown, naming the other party and the next free slot. */
  conflicts: (ConflictView & { deploymentId: string })[];
}

/** The calendar range and filters of a schedule request. */
export interface ScheduleRequest {
  from?: string;
  to?: string;
  timeZone?: string;
  environment?: string;
  service?: string;
}

const iso = (instant: number) => new Date(instant).toISOString();
const isoInterval = (interval: Interval) => ({ start: iso(interval.start), end: iso(interval.end) });

/** The API view of a conflict report. */
export function conflictReportView(report: ConflictReport): ConflictReportView {
  return {
    conflicts: report.conflicts.map(conflictView),
    ...(report.nextFreeSlot !== undefined && { nextFreeSlot: isoInterval(report.nextFreeSlot) }),
  };
}

function conflictView(conflict: Conflict): ConflictView {
  const { interval, nextFreeSlot, ...rest } = conflict;
  return {
    ...rest,
    ...(interval !== undefined && { interval: isoInterval(interval) }),
    ...(nextFreeSlot !== undefined && { nextFreeSlot: isoInterval(nextFreeSlot) }),
  };
}

function instantOf(
  text: string,
  timeZone: string,
  path: string,
  problems: FieldProblem[],
): number | undefined {
  const resolved = resolveWrittenTime(text, timeZone);
  if (!resolved.ok) {
    problems.push({ path, message: resolved.message });
    return undefined;
  }
  return resolved.value;
}

/** Reads a planned time into a UTC interval; every problem is reported with its path. */
export function planInterval(time: PlanTime, base = '/body'): { interval: Interval; timeZone: string } {
  const timeZone = time.timeZone ?? 'UTC';
  const problems: FieldProblem[] = [];
  const start = instantOf(time.start, timeZone, `${base}/start`, problems);
  if (time.end === undefined && time.duration === undefined) {
    problems.push({ path: `${base}/end`, message: 'is missing; give end or duration' });
  }
  if (time.end !== undefined && time.duration !== undefined) {
    problems.push({ path: `${base}/duration`, message: 'cannot be given with end; give end or duration' });
  }
  let end: number | undefined;
  if (time.end !== undefined) end = instantOf(time.end, timeZone, `${base}/end`, problems);
  else if (time.duration !== undefined && start !== undefined) {
    const duration = parseDuration(time.duration);
    if (duration.ok) end = start + duration.value;
    else problems.push({ path: `${base}/duration`, message: duration.message });
  }
  if (problems.length === 0 && start !== undefined && end !== undefined && end <= start) {
    problems.push({ path: `${base}/end`, message: 'must come after start' });
  }
  const [first] = problems;
  if (first !== undefined || start === undefined || end === undefined) {
    throw new InputError(
      first === undefined ? 'The planned time is not valid.' : `${first.path} ${first.message}.`,
      problems,
    );
  }
  return { interval: { start, end }, timeZone };
}

/**
 * Reads a calendar range from query text: `from` (default now) and `to` (default a week after
 * from), written as in window definitions and read in `timeZone` (default UTC).
 */
export function parseRange(request: ScheduleRequest, now: number): { from: number; to: number } {
  const timeZone = request.timeZone ?? 'UTC';
  const problems: FieldProblem[] = [];
  const from =
    request.from === undefined ? now : instantOf(request.from, timeZone, '/querystring/from', problems);
  const to =
    request.to === undefined
      ? (from ?? now) + 7 * dayMilliseconds
      : instantOf(request.to, timeZone, '/querystring/to', problems);
  if (from !== undefined && to !== undefined && to <= from) {
    problems.push({ path: '/querystring/to', message: 'must come after from' });
  }
  if (from !== undefined && to !== undefined && to - from > maximumScheduleRangeDays * dayMilliseconds) {
    problems.push({
      path: '/querystring/to',
      message: `is more than ${maximumScheduleRangeDays} days after from; ask for a shorter range`,
    });
  }
  const [first] = problems;
  if (first !== undefined || from === undefined || to === undefined) {
    throw new InputError(
      first === undefined ? 'The range is not valid.' : `${first.path} ${first.message}.`,
      problems,
    );
  }
  return { from, to };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/**
 * The schedule: planned and running deployments, window and freeze occurrences and the
 * conflicts between them; planning a deployment's time; checking a plan without creating
 * anything; and the start gate the engine asks when a deployment's time comes.
 */
export class ScheduleCommands {
  constructor(
    private readonly store: Store,
    private readonly windows: WindowCommands,
  ) {}

  private intervalOf(entry: ScheduleEntry, now: number): Interval {
    if (entry.plan !== undefined) {
      return { start: Date.parse(entry.plan.start), end: Date.parse(entry.plan.end) };
    }
    const start = Date.parse(entry.requestedAt);
    return { start, end: Math.max(now, start) + runningEstimateMilliseconds };
  }

  private toScheduled(entry: ScheduleEntry, now: number): ScheduledDeployment {
    return {
      id: entry.id,
      interval: this.intervalOf(entry, now),
      environment: entry.environment,
      services: unique(entry.versions.map((version) => version.service)),
      components: unique(entry.versions.map((version) => version.component)),
      targets: [],
      state: entry.state,
      versions: entry.versions,
    };
  }

  private async context(now: number) {
    const [entries, windows] = await Promise.all([
      this.store.plans.scheduled({ runningStates }),
      this.windows.compiled(),
    ]);
    return { entries, windows, scheduled: entries.map((entry) => this.toScheduled(entry, now)) };
  }

  /** The calendar of a range: deployments, window occurrences and conflicts. */
  async schedule(request: ScheduleRequest): Promise<ScheduleView> {
    const now = this.store.now().getTime();
    const timeZone = request.timeZone ?? 'UTC';
    const { from, to } = parseRange(request, now);
    const environment =
      request.environment === undefined
        ? undefined
        : (await this.store.environments.get(request.environment)).name;
    const service =
      request.service === undefined ? undefined : (await this.store.catalog.getService(request.service)).name;
    const range = { start: from, end: to };
    const { entries, windows, scheduled } = await this.context(now);
    const shown = scheduled.filter(
      (deployment) =>
        intervalsOverlap(deployment.interval, range) &&
        (environment === undefined || deployment.environment === environment) &&
        (service === undefined || deployment.services.includes(service)),
    );
    const conflicts = shown.flatMap((deployment) =>
      detectConflicts(deployment, {
        deployments: scheduled,
        windows,
        notBefore: now,
        timeZone,
      }).conflicts.map((conflict) => ({ deploymentId: deployment.id, ...conflictView(conflict) })),
    );
    const occurrences = await this.windows.occurrences(from, to, {
      ...(environment !== undefined && { environment }),
      ...(service !== undefined && { service }),
    });
    return {
      from: iso(from),
      to: iso(to),
      deployments: shown.map((deployment) => {
        const entry = entries.find((candidate) => candidate.id === deployment.id);
        return {
          id: deployment.id,
          state: entry?.state ?? DeploymentState.planned,
          environment: deployment.environment,
          model: entry?.model ?? '',
          services: [...deployment.services],
          components: [...deployment.components],
          ...(entry?.changeId !== undefined && { changeId: entry.changeId }),
          ...isoInterval(deployment.interval),
          ...(entry?.plan !== undefined && { timeZone: entry.plan.timeZone }),
          planned: entry?.plan !== undefined,
        };
      }),
      occurrences: occurrences.map(occurrenceView),
      conflicts,
    };
  }

  private async components(references: readonly string[]): Promise<{
    services: string[];
    components: string[];
    versions: { service: string; component: string; version: string }[];
  }> {
    const services: string[] = [];
    const components: string[] = [];
    const versions: { service: string; component: string; version: string }[] = [];
    for (const reference of references) {
      const at = reference.lastIndexOf('@');
      const name = at > 0 ? reference.slice(0, at) : reference;
      const version = at > 0 ? reference.slice(at + 1) : undefined;
      const component = await this.store.catalog.getComponent(name);
      if (version !== undefined) {
        await this.store.catalog.getVersion(component.name, version);
        versions.push({ service: component.service, component: component.name, version });
      }
      services.push(component.service);
      components.push(component.name);
    }
    return { services: unique(services), components: unique(components), versions };
  }

  /**
   * Checks a deployment-to-be (or an existing deployment at another time) against the
   * schedule, the windows and freezes: every conflict and the next free slot. Creates nothing.
   */
  async check(input: PlanningCheck): Promise<ConflictReportView> {
    const now = this.store.now().getTime();
    const { interval, timeZone } = planInterval(input);
    const references = [
      ...(input.component === undefined ? [] : [input.component]),
      ...(input.components ?? []),
    ];
    const existing =
      input.deployment === undefined ? undefined : await this.store.plans.get(input.deployment);
    if (existing === undefined && (input.environment === undefined || references.length === 0)) {
      throw new InputError('Name the environment and at least one component, or an existing deployment.', [
        ...(input.environment === undefined
          ? [{ path: '/body/environment', message: 'is required without deployment' }]
          : []),
        ...(references.length === 0
          ? [{ path: '/body/component', message: 'is required without deployment' }]
          : []),
      ]);
    }
    const environment =
      input.environment === undefined
        ? (existing?.environment ?? '')
        : (await this.store.environments.get(input.environment)).name;
    const named = await this.components(references);
    const own = existing === undefined ? undefined : this.toScheduled(existing, now);
    const plan: PlannedDeployment = {
      id: existing?.id ?? 'planned',
      interval,
      environment,
      services: unique([...(own?.services ?? []), ...named.services]),
      components: unique([...(own?.components ?? []), ...named.components]),
      targets: [],
      versions: [...(own?.versions ?? []), ...named.versions],
      ...(input.emergency !== undefined && { emergency: input.emergency }),
    };
    const { scheduled, windows } = await this.context(now);
    return conflictReportView(
      detectConflicts(plan, { deployments: scheduled, windows, notBefore: now, timeZone }),
    );
  }

  /** Plans a deployment's time (it must not be finished) and reports its conflicts there. */
  async plan(
    deploymentId: string,
    time: PlanTime,
    actorId: string,
  ): Promise<ConflictReportView & { deployment: ScheduledDeploymentView }> {
    const entry = await this.store.plans.get(deploymentId);
    if (terminalStates.includes(entry.state)) {
      throw new InputError(
        `Deployment ${entry.id} is ${entry.state}; a finished deployment cannot be planned.`,
        [{ path: '/params/deployment', message: `is ${entry.state}` }],
      );
    }
    const { interval, timeZone } = planInterval(time);
    await this.store.plans.setPlan(entry.id, { ...isoInterval(interval), timeZone }, actorId);
    const report = await this.check({
      deployment: entry.id,
      start: iso(interval.start),
      end: iso(interval.end),
      timeZone,
    });
    const planned = this.toScheduled(
      { ...entry, plan: { ...isoInterval(interval), timeZone } },
      this.store.now().getTime(),
    );
    return {
      deployment: {
        id: entry.id,
        state: entry.state,
        environment: entry.environment,
        model: entry.model,
        services: [...planned.services],
        components: [...planned.components],
        ...(entry.changeId !== undefined && { changeId: entry.changeId }),
        ...isoInterval(interval),
        timeZone,
        planned: true,
      },
      ...report,
    };
  }

  /** Clears a deployment's planned time. */
  async unplan(deploymentId: string, actorId: string): Promise<void> {
    const entry = await this.store.plans.get(deploymentId);
    if (entry.plan === undefined) throw new NotFoundError(`plan of deployment`, deploymentId);
    await this.store.plans.setPlan(entry.id, undefined, actorId);
  }

  /**
   * Whether a deployment may start at `at` as far as windows and freezes go (the domain's
   * `startGate` over the stored windows, scoped by the deployment's environment and services).
   */
  async startGateFor(deploymentId: string, at: number, options: StartGateOptions = {}): Promise<StartGate> {
    const entry = await this.store.plans.get(deploymentId);
    const windows = await this.windows.compiled();
    return startGate(
      windows,
      at,
      { environment: entry.environment, services: unique(entry.versions.map((version) => version.service)) },
      options,
    );
  }
}
