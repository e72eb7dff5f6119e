import { type Static, Type } from '@sinclair/typebox';
import type { Temporal } from 'temporal-polyfill';
import { Name } from '../entities.js';
import { type FieldProblem, InputError } from '../errors.js';
import { durationField, durationPattern } from '../model/index.js';
import {
  parseRecurrence,
  type Recurrence,
  type RecurrenceExpander,
  recurrenceExpander,
} from './recurrence.js';
import {
  canonicalTimeZone,
  coversInterval,
  dateTimePattern,
  dayMilliseconds,
  floatingOfInstant,
  floatingOfLocal,
  formatFloating,
  formatInstant,
  type Interval,
  instantOfFloating,
  instantOfWritten,
  intervalsOverlap,
  localOfWritten,
  mergeIntervals,
  parseWrittenTime,
  type WrittenTime,
} from './time.js';
import { type GovernanceValidation, governanceSchemaProblems, invalid, valueOrThrow } from './validation.js';

/*
 * Maintenance windows say when deployments may run; freeze periods say when they may not.
 * Both are written the same way: a first occurrence (start, and end or duration) in an IANA
 * time zone, optionally repeated by an RFC 5545 recurrence rule, and a scope.
 *
 * How long each occurrence lasts depends on how the first one was written:
 * - with `end`, every occurrence ends at the same wall-clock time relative to its start, so a
 *   window from Saturday 22:00 to Sunday 04:00 always ends at 04:00 local time, even on the
 *   night the clocks change (it then lasts 5 or 7 hours);
 * - with `duration`, every occurrence lasts that long: hours, minutes and seconds are exact
 *   elapsed time, days are calendar days (as DURATION in RFC 5545), so `4h` is four real hours.
 */

/** What a window does. */
export const WindowKind = {
  /** Deployments in its scope may run only inside a maintenance window (when the scope has any). */
  maintenance: 'maintenance',
  /** Deployments in its scope may not start or run inside a freeze. */
  freeze: 'freeze',
} as const;
/** A kind of window. */
export type WindowKind = (typeof WindowKind)[keyof typeof WindowKind];
/** Every kind of window. */
export const windowKinds = Object.values(WindowKind);

const Text = (maxLength: number, description: string) =>
  Type.String({ minLength: 1, maxLength, description });

/** Where a window applies; without environment and service it applies everywhere. */
export const WindowScopeSchema = Type.Object(
  {
    environment: Type.Optional(
      Type.String({ ...Name, description: 'Only deployments into this environment' }),
    ),
    service: Type.Optional(Type.String({ ...Name, description: 'Only deployments of this service' })),
  },
  {
    additionalProperties: false,
    description: 'Where the window applies; both fields must match when both are given; none: everywhere',
  },
);
/** Where a window applies. */
export type WindowScope = Static<typeof WindowScopeSchema>;

const WrittenTimeSchema = (description: string) =>
  Type.String({
    pattern: dateTimePattern,
    description: `${description}: a local date-time in timeZone (2025-03-29T22:00), a date (2025-12-20, midnight) or an instant (2025-03-29T21:00:00Z)`,
    examples: ['2025-03-29T22:00', '2025-12-20', '2025-03-29T21:00:00Z'],
  });

/** A maintenance window or freeze period as a deployment manager writes it. */
export const WindowDefinitionSchema = Type.Object(
  {
    kind: Type.Union(
      windowKinds.map((kind) => Type.Literal(kind)),
      { description: 'maintenance: deployments may run inside it; freeze: they may not' },
    ),
    name: Type.String({ ...Name, description: 'Unique among windows; conflicts name the window by it' }),
    description: Type.Optional(Text(1000, 'Why the window exists, for the calendar')),
    scope: Type.Optional(WindowScopeSchema),
    start: WrittenTimeSchema('Start of the first occurrence'),
    end: Type.Optional(WrittenTimeSchema('End of the first occurrence (excluded); give end or duration')),
    duration: Type.Optional(
      durationField(
        'How long each occurrence lasts; give end or duration. Hours are exact, days are calendar days',
      ),
    ),
    timeZone: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'IANA time zone the local times are read in, e.g. Europe/Berlin',
      examples: ['Europe/Berlin', 'America/New_York', 'UTC'],
    }),
    recurrence: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 500,
        description: 'RFC 5545 recurrence rule, e.g. FREQ=WEEKLY;BYDAY=SA;BYHOUR=22; absent: one occurrence',
        examples: ['FREQ=WEEKLY;BYDAY=SA', 'FREQ=MONTHLY;BYDAY=-1SU;COUNT=12'],
      }),
    ),
    emergencyAllowed: Type.Optional(
      Type.Boolean({ description: 'Freezes only: emergency changes may pass this freeze; default false' }),
    ),
  },
  { additionalProperties: false },
);
/** A window as written. */
export type WindowDefinition = Static<typeof WindowDefinitionSchema>;

/** A validated window with its time zone normalized, ready for `occurrences`. Plain data: it may be stored. */
export interface CompiledWindow {
  kind: WindowKind;
  name: string;
  description?: string;
  scope: WindowScope;
  /** Canonical IANA name of the zone. */
  timeZone: string;
  /** The recurrence rule, normalized; absent for a one-off window. */
  recurrence?: string;
  /** Whether emergency changes pass this freeze; always false for maintenance windows. */
  emergencyAllowed: boolean;
  /** The first occurrence in UTC: the first time the rule produces on or after start. */
  first: Interval;
  /** The window as it was written. */
  definition: WindowDefinition;
}

/** One concrete occurrence of a window. */
export interface WindowOccurrence {
  name: string;
  kind: WindowKind;
  /** The occurrence in UTC, [start, end). */
  interval: Interval;
  /** Start and end as wall-clock times in the window's zone, e.g. 2025-03-29T22:00:00. */
  localStart: string;
  localEnd: string;
  timeZone: string;
  window: CompiledWindow;
}

/**
 * The deployment or calendar a window question is about. A field left out matches every
 * window, so `{ environment: 'live' }` finds the windows of live, the global ones and those of
 * any service.
 */
export interface PlanningScope {
  environment?: string;
  services?: readonly string[];
}

/** The most occurrences one window may produce in one query; ask for a shorter range beyond it. */
export const maximumOccurrencesPerQuery = 20_000;

/** How far ahead a recurrence rule must produce its first occurrence to be accepted. */
const firstOccurrenceHorizonYears = 10;

type OccurrenceLength =
  /** Ends at a fixed wall-clock offset from its start. */
  | { kind: 'wall-clock'; milliseconds: number }
  /** Lasts calendar days plus exact time. */
  | { kind: 'elapsed'; days: number; milliseconds: number };

interface Layout {
  timeZone: string;
  startLocal: Temporal.PlainDateTime;
  length: OccurrenceLength;
  /** The first occurrence: as written for a one-off window, as the rule places it otherwise. */
  first: Interval;
  expander?: RecurrenceExpander;
  /** An upper bound of any occurrence's length, for searching back from a query's start. */
  longest: number;
}

function splitDuration(text: string): { days: number; milliseconds: number } {
  let days = 0;
  let milliseconds = 0;
  const unit = { h: 3_600_000, m: 60_000, s: 1_000 } as const;
  for (const match of text.trim().matchAll(/([0-9]+)([dhms])/g)) {
    const amount = Number(match[1]);
    const letter = match[2] as 'd' | 'h' | 'm' | 's';
    if (letter === 'd') days += amount;
    else milliseconds += amount * unit[letter];
  }
  return { days, milliseconds };
}

/** Adds calendar days (same wall-clock time) and then exact time, as Temporal's ZonedDateTime.add does. */
function endOfElapsed(
  start: number,
  timeZone: string,
  length: { days: number; milliseconds: number },
): number {
  const afterDays =
    length.days === 0
      ? start
      : instantOfFloating(floatingOfInstant(start, timeZone) + length.days * dayMilliseconds, timeZone);
  return afterDays + length.milliseconds;
}

function occurrenceAt(layout: Layout, startFloating: number): Interval {
  const start = instantOfFloating(startFloating, layout.timeZone);
  if (layout.length.kind === 'elapsed') {
    return { start, end: endOfElapsed(start, layout.timeZone, layout.length) };
  }
  return { start, end: instantOfFloating(startFloating + layout.length.milliseconds, layout.timeZone) };
}

interface LayoutInput {
  timeZone: string;
  start: WrittenTime;
  end?: WrittenTime;
  duration?: string;
  recurrence?: Recurrence;
}

function buildLayout(input: LayoutInput): Layout {
  const { timeZone } = input;
  const startLocal = localOfWritten(input.start, timeZone);
  const startInstant = instantOfWritten(input.start, timeZone);
  let length: OccurrenceLength;
  let firstEnd: number;
  if (input.end !== undefined) {
    const endLocal = localOfWritten(input.end, timeZone);
    length = { kind: 'wall-clock', milliseconds: floatingOfLocal(endLocal) - floatingOfLocal(startLocal) };
    firstEnd = instantOfWritten(input.end, timeZone);
  } else {
    const parts = splitDuration(input.duration ?? '0s');
    length = { kind: 'elapsed', ...parts };
    firstEnd = endOfElapsed(startInstant, timeZone, parts);
  }
  const nominal =
    length.kind === 'elapsed' ? length.days * dayMilliseconds + length.milliseconds : length.milliseconds;
  return {
    timeZone,
    startLocal,
    length,
    first: { start: startInstant, end: firstEnd },
    ...(input.recurrence !== undefined && {
      expander: recurrenceExpander(input.recurrence, startLocal, timeZone),
    }),
    // Daylight-saving changes stretch an occurrence by at most a few hours; a day covers any zone.
    longest: Math.max(0, nominal) + dayMilliseconds,
  };
}

const layouts = new WeakMap<CompiledWindow, Layout>();

function layoutOf(window: CompiledWindow): Layout {
  const cached = layouts.get(window);
  if (cached !== undefined) return cached;
  // A window that was stored and read back is not in the cache: rebuild it from its definition.
  const layout = valueOrThrow(checkWindow(window.definition)).layout;
  layouts.set(window, layout);
  return layout;
}

function checkWindow(
  definition: WindowDefinition,
): GovernanceValidation<{ layout: Layout; timeZone: string }> {
  const problems: FieldProblem[] = [];
  const timeZone = canonicalTimeZone(definition.timeZone);
  if (timeZone === undefined) {
    problems.push({
      path: '/timeZone',
      message: /^[+-]/.test(definition.timeZone)
        ? `is a fixed offset ("${definition.timeZone}"), which does not follow daylight saving; write an IANA time zone such as Europe/Berlin`
        : `"${definition.timeZone}" is not an IANA time zone; write one such as Europe/Berlin, America/New_York or UTC`,
    });
  }
  const start = parseWrittenTime(definition.start);
  if (!start.ok) problems.push({ path: '/start', message: start.message });
  const end = definition.end === undefined ? undefined : parseWrittenTime(definition.end);
  if (end !== undefined && !end.ok) problems.push({ path: '/end', message: end.message });
  if (definition.end === undefined && definition.duration === undefined) {
    problems.push({ path: '/end', message: 'is missing; give end or duration' });
  }
  if (definition.end !== undefined && definition.duration !== undefined) {
    problems.push({ path: '/duration', message: 'cannot be given with end; give end or duration' });
  }
  if (definition.duration !== undefined && !new RegExp(durationPattern).test(definition.duration.trim())) {
    problems.push({
      path: '/duration',
      message: `expected a duration such as 4h or 1h30m, found "${definition.duration}"`,
    });
  }
  const recurrence = definition.recurrence === undefined ? undefined : parseRecurrence(definition.recurrence);
  if (recurrence !== undefined && !recurrence.ok) {
    problems.push({ path: '/recurrence', message: recurrence.message });
  }
  if (definition.emergencyAllowed !== undefined && definition.kind !== WindowKind.freeze) {
    problems.push({ path: '/emergencyAllowed', message: 'applies only to freezes' });
  }
  if (problems.length > 0 || timeZone === undefined || !start.ok || (end !== undefined && !end.ok)) {
    return invalid('The window', problems);
  }
  const layout = buildLayout({
    timeZone,
    start: start.value,
    ...(end?.ok === true && { end: end.value }),
    ...(definition.duration !== undefined && { duration: definition.duration }),
    ...(recurrence?.ok === true && { recurrence: recurrence.value }),
  });
  if (layout.first.end <= layout.first.start) {
    const when = (instant: number) => formatInstant(instant, timeZone);
    problems.push(
      definition.end === undefined
        ? { path: '/duration', message: 'must be longer than zero' }
        : {
            path: '/end',
            message:
              layout.first.end === layout.first.start
                ? `is the same time as start (${when(layout.first.start)}); a window must last longer than zero`
                : `is ${when(layout.first.end)}, before start (${when(layout.first.start)}); end must come after start`,
          },
    );
  } else if (layout.expander !== undefined) {
    const horizon = floatingOfLocal(layout.startLocal.add({ years: firstOccurrenceHorizonYears }));
    const firstStart = layout.expander.first(horizon);
    // The rule decides the first occurrence: a start that is not one of its times only anchors it.
    if (firstStart !== undefined) layout.first = occurrenceAt(layout, firstStart);
    else {
      problems.push({
        path: '/recurrence',
        message: `produces no occurrence within ${firstOccurrenceHorizonYears} years of start${
          recurrence?.ok === true && recurrence.value.until !== undefined ? ' (is UNTIL before start?)' : ''
        }`,
      });
    }
  }
  if (problems.length > 0) return invalid('The window', problems);
  return { valid: true, value: { layout, timeZone } };
}

/**
 * Validates a window definition: its fields, its time zone, its recurrence rule, and that it
 * ends after it starts. Every problem is returned with the path of its field.
 */
export function validateWindow(value: unknown): GovernanceValidation<CompiledWindow> {
  const schemaProblems = governanceSchemaProblems(WindowDefinitionSchema, value);
  if (schemaProblems.length > 0) return invalid('The window', schemaProblems);
  const definition = value as WindowDefinition;
  const checked = checkWindow(definition);
  if (!checked.valid) return checked;
  const { layout, timeZone } = checked.value;
  const compiled: CompiledWindow = {
    kind: definition.kind,
    name: definition.name,
    ...(definition.description !== undefined && { description: definition.description }),
    scope: { ...definition.scope },
    timeZone,
    ...(definition.recurrence !== undefined && { recurrence: parseRecurrenceText(definition.recurrence) }),
    emergencyAllowed: definition.kind === WindowKind.freeze && definition.emergencyAllowed === true,
    first: layout.first,
    definition: structuredClone(definition),
  };
  layouts.set(compiled, layout);
  return { valid: true, value: compiled };
}

function parseRecurrenceText(text: string): string {
  const parsed = parseRecurrence(text);
  return parsed.ok ? parsed.value.text : text;
}

/** Validates and compiles a window; throws an InputError listing every problem. */
export function compileWindow(value: unknown): CompiledWindow {
  return valueOrThrow(validateWindow(value));
}

/**
 * Validates a set of windows together: each one, and that no two share a name (conflicts name
 * windows, so names must tell them apart). Problem paths start with the window's index.
 */
export function validateWindows(values: readonly unknown[]): GovernanceValidation<CompiledWindow[]> {
  const problems: FieldProblem[] = [];
  const compiled: CompiledWindow[] = [];
  const names = new Map<string, number>();
  for (const [index, value] of values.entries()) {
    const result = validateWindow(value);
    if (!result.valid) {
      problems.push(...result.problems.map((problem) => ({ ...problem, path: `/${index}${problem.path}` })));
      continue;
    }
    const earlier = names.get(result.value.name);
    if (earlier !== undefined) {
      problems.push({
        path: `/${index}/name`,
        message: `"${result.value.name}" is already the name of window ${earlier}`,
      });
    }
    names.set(result.value.name, index);
    compiled.push(result.value);
  }
  return problems.length > 0 ? invalid('The windows', problems) : { valid: true, value: compiled };
}

/** Whether a window applies to a deployment or calendar scope (see `PlanningScope`). */
export function windowApplies(window: CompiledWindow, scope: PlanningScope): boolean {
  const { environment, service } = window.scope;
  if (environment !== undefined && scope.environment !== undefined && environment !== scope.environment) {
    return false;
  }
  if (service !== undefined && scope.services !== undefined && !scope.services.includes(service))
    return false;
  return true;
}

/** The windows of one kind that apply to a scope. */
export function applicableWindows(
  windows: readonly CompiledWindow[],
  scope: PlanningScope,
  kind?: WindowKind,
): CompiledWindow[] {
  return windows.filter(
    (window) => (kind === undefined || window.kind === kind) && windowApplies(window, scope),
  );
}

function toOccurrence(window: CompiledWindow, interval: Interval): WindowOccurrence {
  return {
    name: window.name,
    kind: window.kind,
    interval,
    localStart: formatFloating(floatingOfInstant(interval.start, window.timeZone)),
    localEnd: formatFloating(floatingOfInstant(interval.end, window.timeZone)),
    timeZone: window.timeZone,
    window,
  };
}

/**
 * The occurrences of a window that overlap [from, to), in UTC and in order, including one that
 * began before `from` and is still going on. Wall-clock times hold across daylight-saving
 * changes: a weekly window at 22:00 Europe/Berlin is 21:00 UTC in winter and 20:00 UTC in summer.
 * Fails with `validation_failed` when the range would hold more than `maximumOccurrencesPerQuery`.
 */
export function occurrences(window: CompiledWindow, from: number, to: number): WindowOccurrence[] {
  if (to <= from) return [];
  const layout = layoutOf(window);
  const query = { start: from, end: to };
  if (layout.expander === undefined) {
    return intervalsOverlap(layout.first, query) ? [toOccurrence(window, layout.first)] : [];
  }
  // Search on floating times, widened so that no occurrence overlapping the query is missed
  // whatever the zone's offset; the exact overlap is checked on the real instants below.
  const floatingFrom = floatingOfInstant(from, layout.timeZone) - layout.longest;
  const floatingTo = floatingOfInstant(to, layout.timeZone) + dayMilliseconds;
  const starts = layout.expander.startsBetween(floatingFrom, floatingTo, maximumOccurrencesPerQuery);
  if (starts === 'too-many') {
    throw new InputError(
      `Window ${window.name} would have more than ${maximumOccurrencesPerQuery} occurrences between ` +
        `${formatInstant(from)} and ${formatInstant(to)}; ask for a shorter range.`,
    );
  }
  const found: WindowOccurrence[] = [];
  for (const startFloating of starts) {
    const interval = occurrenceAt(layout, startFloating);
    if (interval.end > interval.start && intervalsOverlap(interval, query)) {
      found.push(toOccurrence(window, interval));
    }
  }
  return found;
}

/** The occurrences of every window that applies to `scope` and overlaps [from, to), in order of start. */
export function occurrencesOf(
  windows: readonly CompiledWindow[],
  from: number,
  to: number,
  scope: PlanningScope = {},
): WindowOccurrence[] {
  return windows
    .filter((window) => windowApplies(window, scope))
    .flatMap((window) => occurrences(window, from, to))
    .sort(
      (first, second) =>
        first.interval.start - second.interval.start || first.name.localeCompare(second.name),
    );
}

/** The occurrences of the windows applying to `scope` that are in force at `instant`. */
export function activeAt(
  windows: readonly CompiledWindow[],
  instant: number,
  scope: PlanningScope = {},
): WindowOccurrence[] {
  return occurrencesOf(windows, instant, instant + 1, scope);
}

/** The occurrences of the windows applying to `scope` that share any instant with `interval`. */
export function overlapping(
  windows: readonly CompiledWindow[],
  interval: Interval,
  scope: PlanningScope = {},
): WindowOccurrence[] {
  return occurrencesOf(windows, interval.start, interval.end, scope);
}

/**
 * Whether the whole interval lies inside the windows that apply to `scope`, taken together:
 * occurrences that touch or overlap join, so a deployment may run across two back-to-back
 * windows. Pass windows of one kind (see `applicableWindows`).
 */
export function inside(
  windows: readonly CompiledWindow[],
  interval: Interval,
  scope: PlanningScope = {},
): boolean {
  if (interval.end <= interval.start) return true;
  const cover = overlapping(windows, interval, scope).map((occurrence) => occurrence.interval);
  return coversInterval(cover, interval);
}

/** Options of `startGate`. */
export interface StartGateOptions {
  /** The deployment belongs to an emergency change: freezes with emergencyAllowed let it pass. */
  emergency?: boolean;
  /** Freezes a person overrode for this deployment, with the permission and a reason recorded by the caller. */
  overriddenFreezes?: readonly string[];
  /** How far ahead to look for the next opening, in milliseconds; default 90 days. */
  horizon?: number;
}

/** Whether a deployment may start at an instant, as far as windows and freezes are concerned. */
export interface StartGate {
  open: boolean;
  /** A sentence a person can act on. */
  reason: string;
  /** Freezes in force that block the start. */
  freezes: WindowOccurrence[];
  /** Maintenance occurrences in force at the instant. */
  maintenance: WindowOccurrence[];
  /** Whether the scope has maintenance windows at all (then starting needs one to be open). */
  maintenanceRequired: boolean;
  /** When open: when starting stops being allowed (the window closes or a freeze begins), if within the horizon. */
  closesAt?: number;
  /** When closed: the next instant a start is allowed, if within the horizon. */
  opensAt?: number;
}

/** The default horizon of searches for a free time: 90 days. */
export const defaultSearchHorizon = 90 * dayMilliseconds;

function blockingFreeze(occurrence: WindowOccurrence, options: StartGateOptions): boolean {
  if (options.overriddenFreezes?.includes(occurrence.name) === true) return false;
  return !(options.emergency === true && occurrence.window.emergencyAllowed);
}

/**
 * Says whether a deployment in `scope` may start at `instant`: no freeze in force (unless it
 * lets emergencies through or was overridden), and a maintenance window open when the scope
 * has any. The engine asks this when a deployment's time comes and before each new wave; the
 * answer says when the gate opens or closes next, for its timers.
 */
export function startGate(
  windows: readonly CompiledWindow[],
  instant: number,
  scope: PlanningScope,
  options: StartGateOptions = {},
): StartGate {
  const horizon = options.horizon ?? defaultSearchHorizon;
  const maintenanceWindows = applicableWindows(windows, scope, WindowKind.maintenance);
  const freezeWindows = applicableWindows(windows, scope, WindowKind.freeze);
  const maintenanceRequired = maintenanceWindows.length > 0;
  const until = instant + horizon;
  const maintenanceCover = mergeIntervals(
    maintenanceWindows
      .flatMap((window) => occurrences(window, instant, until))
      .map((occurrence) => occurrence.interval),
  );
  const freezeOccurrences = freezeWindows
    .flatMap((window) => occurrences(window, instant, until))
    .filter((occurrence) => blockingFreeze(occurrence, options));
  const blocked = mergeIntervals(freezeOccurrences.map((occurrence) => occurrence.interval));
  const contains = (interval: Interval, at: number) => interval.start <= at && at < interval.end;
  const freezes = freezeOccurrences.filter((occurrence) => contains(occurrence.interval, instant));
  const maintenance = activeAt(maintenanceWindows, instant, scope);
  const allowed = maintenanceRequired ? maintenanceCover : [{ start: instant, end: until }];
  const openAt = (at: number) =>
    allowed.some((interval) => contains(interval, at)) && !blocked.some((interval) => contains(interval, at));

  if (openAt(instant)) {
    const coverEnd = allowed.find((interval) => contains(interval, instant))?.end ?? until;
    const nextFreeze = blocked.find((interval) => interval.start > instant)?.start;
    const closesAt = Math.min(coverEnd, nextFreeze ?? Number.POSITIVE_INFINITY);
    return {
      open: true,
      reason: maintenanceRequired
        ? `Maintenance window ${maintenance.map((occurrence) => occurrence.name).join(', ')} is open until ${formatInstant(coverEnd)}.`
        : 'No freeze is in force and no maintenance window is required.',
      freezes: [],
      maintenance,
      maintenanceRequired,
      ...(closesAt < until && { closesAt }),
    };
  }
  let opensAt: number | undefined;
  for (const interval of allowed) {
    let candidate = Math.max(interval.start, instant);
    for (const freeze of blocked) {
      if (freeze.start <= candidate && candidate < freeze.end) candidate = freeze.end;
    }
    if (candidate < interval.end && openAt(candidate)) {
      opensAt = candidate;
      break;
    }
  }
  const [freeze] = freezes;
  const reopens =
    opensAt === undefined
      ? ' No start is possible within the search horizon.'
      : ` Starting is possible again at ${formatInstant(opensAt)}.`;
  const reason =
    freeze !== undefined
      ? `Freeze ${freeze.name} is in force until ${formatInstant(freeze.interval.end, freeze.timeZone)}${
          freeze.window.emergencyAllowed ? '; only emergency changes may pass it' : ''
        }.${reopens}`
      : `No maintenance window for this deployment is open now.${reopens}`;
  return {
    open: false,
    reason,
    freezes,
    maintenance,
    maintenanceRequired,
    ...(opensAt !== undefined && { opensAt }),
  };
}
