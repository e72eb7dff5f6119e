import { type Static, Type } from '@sinclair/typebox';
import { Name, Timestamp } from '../entities.js';
import { ConflictError, ErrorCode, type FieldProblem, InputError, SlipwayError } from '../errors.js';
import {
  canonicalTimeZone,
  dateTimePattern,
  formatInstant,
  type Interval,
  instantOfWritten,
  parseWrittenTime,
} from './time.js';
import { type GovernanceValidation, governanceSchemaProblems, invalid, valueOrThrow } from './validation.js';

/*
 * Change requests authorize deployments. A standard change is pre-authorized (its model is
 * registered as a standard change); a normal change waits for a change authority; an emergency
 * change may go ahead before it is authorized when policy allows, and is then reviewed
 * afterwards. The transition table below is the only place that says which state may follow
 * which.
 */

/** The types of change (practice guide: change enablement). */
export const ChangeType = {
  /** Low-risk, pre-authorized, done the same way every time. */
  standard: 'standard',
  /** Assessed and authorized by a change authority before it is implemented. */
  normal: 'normal',
  /** Must be implemented as soon as possible; may be authorized afterwards if policy allows. */
  emergency: 'emergency',
} as const;
/** A type of change. */
export type ChangeType = (typeof ChangeType)[keyof typeof ChangeType];
/** Every type of change. */
export const changeTypes = Object.values(ChangeType);

/** The states of a change request. */
export const ChangeState = {
  submitted: 'submitted',
  authorized: 'authorized',
  scheduled: 'scheduled',
  implementing: 'implementing',
  closed: 'closed',
  rejected: 'rejected',
  cancelled: 'cancelled',
} as const;
/** A state of a change request. */
export type ChangeState = (typeof ChangeState)[keyof typeof ChangeState];
/** Every state of a change request. */
export const changeStates = Object.values(ChangeState);

/** How a closed change turned out. */
export const ChangeOutcome = { successful: 'successful', unsuccessful: 'unsuccessful' } as const;
/** How a closed change turned out. */
export type ChangeOutcome = (typeof ChangeOutcome)[keyof typeof ChangeOutcome];
/** Every outcome of a closed change. */
export const changeOutcomes = Object.values(ChangeOutcome);

/** A level of risk or impact. */
export const ChangeLevel = { low: 'low', medium: 'medium', high: 'high' } as const;
/** A level of risk or impact. */
export type ChangeLevel = (typeof ChangeLevel)[keyof typeof ChangeLevel];
/** Every level of risk or impact, from the lowest. */
export const changeLevels = Object.values(ChangeLevel);

const S = ChangeState;

/**
 * The transition table of change requests: for each state, the states that may follow it.
 * An authorized change may start implementing at once when its deployment is not scheduled
 * for later. Once implementing, a change can only be closed, successful or not.
 */
export const changeTransitions: Readonly<Record<ChangeState, readonly ChangeState[]>> = {
  [S.submitted]: [S.authorized, S.rejected, S.cancelled],
  [S.authorized]: [S.scheduled, S.implementing, S.cancelled],
  [S.scheduled]: [S.implementing, S.cancelled],
  [S.implementing]: [S.closed],
  [S.closed]: [],
  [S.rejected]: [],
  [S.cancelled]: [],
};

/**
 * What an emergency change may do beyond the table: be scheduled or implemented before it is
 * authorized. Whether it actually may is a matter of policy (`decideAuthorization`); a change
 * that takes this path is marked for retroactive review.
 */
export const emergencyTransitions: Readonly<Partial<Record<ChangeState, readonly ChangeState[]>>> = {
  [S.submitted]: [S.scheduled, S.implementing],
};

/** States in which a change is finished. */
export const finishedChangeStates: readonly ChangeState[] = [S.closed, S.rejected, S.cancelled];

/** States in which a change authorizes its deployments (when policy needs an authorized change). */
export const authorizingChangeStates: readonly ChangeState[] = [S.authorized, S.scheduled, S.implementing];

/** The states that may follow `from` for a change of `type`. */
export function allowedChangeTransitions(from: ChangeState, type: ChangeType): readonly ChangeState[] {
  const extra = type === ChangeType.emergency ? (emergencyTransitions[from] ?? []) : [];
  return [...changeTransitions[from], ...extra];
}

/** Whether a change of `type` may go from `from` to `to`. */
export function canTransitionChange(from: ChangeState, to: ChangeState, type: ChangeType): boolean {
  return allowedChangeTransitions(from, type).includes(to);
}

/** A change transition the table does not allow. */
export class InvalidChangeTransitionError extends SlipwayError {
  constructor(from: ChangeState, to: ChangeState, type: ChangeType) {
    const allowed = allowedChangeTransitions(from, type);
    super(
      ErrorCode.invalidTransition,
      `A ${type} change that is ${from} cannot become ${to}` +
        (allowed.length === 0 ? ' (it is finished).' : ` (it may become ${allowed.join(', ')}).`),
      { from, to, type, allowed: [...allowed] },
    );
  }
}

/** Checks a change transition against the table, failing with `invalid_transition`. */
export function assertChangeTransition(from: ChangeState, to: ChangeState, type: ChangeType): void {
  if (!canTransitionChange(from, to, type)) throw new InvalidChangeTransitionError(from, to, type);
}

/** The state a new change starts in: standard changes are pre-authorized, the others are submitted. */
export function initialChangeState(type: ChangeType): ChangeState {
  return type === ChangeType.standard ? S.authorized : S.submitted;
}

const literals = <Value extends string>(values: readonly Value[], description: string) =>
  Type.Union(
    values.map((value) => Type.Literal(value)),
    { description },
  );

/** When a change is planned to happen, in a time zone. */
export const PlannedWindowSchema = Type.Object(
  {
    start: Type.String({
      pattern: dateTimePattern,
      description: 'Local date-time in timeZone (2025-03-29T22:00) or an instant (2025-03-29T21:00:00Z)',
    }),
    end: Type.String({ pattern: dateTimePattern, description: 'As start; must come after it' }),
    timeZone: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'IANA time zone, e.g. Europe/Berlin',
    }),
  },
  { additionalProperties: false },
);
/** When a change is planned to happen. */
export type PlannedWindow = Static<typeof PlannedWindowSchema>;

/** The change request's record in an external change system (an ITSM tool). */
export const ExternalReferenceSchema = Type.Object(
  {
    system: Type.String({ ...Name, description: 'Which external system, e.g. servicenow' }),
    id: Type.String({ minLength: 1, maxLength: 200, description: 'The change’s id there, e.g. CHG0031337' }),
    url: Type.Optional(Type.String({ maxLength: 2000, pattern: '^https?://', description: 'Link to it' })),
  },
  { additionalProperties: false },
);
/** The change request's record in an external change system. */
export type ExternalReference = Static<typeof ExternalReferenceSchema>;

/** What a person or system sends to request a change. */
export const CreateChangeRequestSchema = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200, description: 'What changes, in a line' }),
    description: Type.String({
      maxLength: 10_000,
      description: 'What changes, why, and how it is backed out',
    }),
    type: literals(changeTypes, 'standard (pre-authorized), normal (authorized first) or emergency'),
    risk: literals(changeLevels, 'How likely the change is to cause harm: low, medium or high'),
    impact: literals(changeLevels, 'How much harm it would cause: low, medium or high'),
    impactDescription: Type.Optional(
      Type.String({ maxLength: 2000, description: 'Who and what is affected, and for how long' }),
    ),
    plannedWindow: PlannedWindowSchema,
    externalReference: Type.Optional(ExternalReferenceSchema),
    deployments: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        maxItems: 500,
        uniqueItems: true,
        description: 'Ids of the deployments this change authorizes',
      }),
    ),
  },
  { additionalProperties: false },
);
/** A request to create a change. */
export type CreateChangeRequest = Static<typeof CreateChangeRequestSchema>;

/** A change request as Slipway keeps and shows it. */
export const ChangeRequestSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  description: Type.String(),
  type: literals(changeTypes, 'Type of change'),
  state: literals(changeStates, 'Where the change is in its lifecycle'),
  outcome: Type.Optional(literals(changeOutcomes, 'How a closed change turned out')),
  risk: literals(changeLevels, 'Risk'),
  impact: literals(changeLevels, 'Impact'),
  impactDescription: Type.Optional(Type.String()),
  plannedWindow: PlannedWindowSchema,
  plannedStart: Timestamp,
  plannedEnd: Timestamp,
  externalReference: Type.Optional(ExternalReferenceSchema),
  deployments: Type.Array(Type.String()),
  retroactiveReview: Type.Boolean({
    description:
      'An emergency change that went ahead before it was authorized: it must be reviewed afterwards',
  }),
  requestedBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  authorizedBy: Type.Optional(Type.String()),
  authorizedAt: Type.Optional(Timestamp),
  closedAt: Type.Optional(Timestamp),
  stateReason: Type.Optional(Type.String({ description: 'Why it was rejected, cancelled or closed so' })),
});
/** A change request. */
export type ChangeRequest = Static<typeof ChangeRequestSchema>;

function plannedWindowProblems(window: PlannedWindow, base: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const timeZone = canonicalTimeZone(window.timeZone);
  if (timeZone === undefined) {
    problems.push({
      path: `${base}/timeZone`,
      message: `"${window.timeZone}" is not an IANA time zone; write one such as Europe/Berlin or UTC`,
    });
  }
  const start = parseWrittenTime(window.start);
  const end = parseWrittenTime(window.end);
  if (!start.ok) problems.push({ path: `${base}/start`, message: start.message });
  if (!end.ok) problems.push({ path: `${base}/end`, message: end.message });
  if (timeZone !== undefined && start.ok && end.ok) {
    const startInstant = instantOfWritten(start.value, timeZone);
    const endInstant = instantOfWritten(end.value, timeZone);
    if (endInstant <= startInstant) {
      problems.push({
        path: `${base}/end`,
        message: `is ${formatInstant(endInstant, timeZone)}, not after start (${formatInstant(startInstant, timeZone)})`,
      });
    }
  }
  return problems;
}

/** The planned window of a change in UTC; the window must be valid (see `validateCreateChange`). */
export function plannedInterval(window: PlannedWindow): Interval {
  const timeZone = canonicalTimeZone(window.timeZone);
  const start = parseWrittenTime(window.start);
  const end = parseWrittenTime(window.end);
  if (timeZone === undefined || !start.ok || !end.ok) {
    throw new InputError('The planned window is not valid.', plannedWindowProblems(window, '/plannedWindow'));
  }
  return { start: instantOfWritten(start.value, timeZone), end: instantOfWritten(end.value, timeZone) };
}

/** Validates a request to create a change: its fields, its time zone and that its window ends after it starts. */
export function validateCreateChange(value: unknown): GovernanceValidation<CreateChangeRequest> {
  const problems = governanceSchemaProblems(CreateChangeRequestSchema, value);
  if (problems.length > 0) return invalid('The change request', problems);
  const request = value as CreateChangeRequest;
  const windowProblems = plannedWindowProblems(request.plannedWindow, '/plannedWindow');
  if (windowProblems.length > 0) return invalid('The change request', windowProblems);
  return { valid: true, value: request };
}

/** Who creates a change, when, and under which id. */
export interface ChangeCreation {
  id: string;
  /** Epoch milliseconds. */
  at: number;
  requestedBy: string;
}

const iso = (instant: number) => new Date(instant).toISOString();

/**
 * A new change request from a validated or raw request; throws an InputError listing every
 * problem. Standard changes start authorized (pre-authorized by their model), others submitted.
 */
export function createChange(value: unknown, creation: ChangeCreation): ChangeRequest {
  const request = valueOrThrow(validateCreateChange(value));
  const interval = plannedInterval(request.plannedWindow);
  const state = initialChangeState(request.type);
  return {
    id: creation.id,
    title: request.title,
    description: request.description,
    type: request.type,
    state,
    risk: request.risk,
    impact: request.impact,
    ...(request.impactDescription !== undefined && { impactDescription: request.impactDescription }),
    plannedWindow: {
      ...request.plannedWindow,
      timeZone: canonicalTimeZone(request.plannedWindow.timeZone) ?? '',
    },
    plannedStart: iso(interval.start),
    plannedEnd: iso(interval.end),
    ...(request.externalReference !== undefined && { externalReference: request.externalReference }),
    deployments: [...(request.deployments ?? [])],
    retroactiveReview: false,
    requestedBy: creation.requestedBy,
    createdAt: iso(creation.at),
    updatedAt: iso(creation.at),
    ...(state === S.authorized && { authorizedBy: 'standard-change', authorizedAt: iso(creation.at) }),
  };
}

/** Who moves a change to another state, when, and with what reason or outcome. */
export interface ChangeTransition {
  /** Epoch milliseconds. */
  at: number;
  /** The principal (person or external change system) making the transition. */
  by: string;
  /** Why; required when rejecting. */
  reason?: string;
  /** Required when closing, and only then. */
  outcome?: ChangeOutcome;
}

/**
 * The change after a transition; the original is left as it was. Fails with
 * `invalid_transition` when the table does not allow it, and with `validation_failed` when a
 * rejection has no reason or a closing no outcome.
 */
export function transitionChange(
  change: ChangeRequest,
  to: ChangeState,
  transition: ChangeTransition,
): ChangeRequest {
  assertChangeTransition(change.state, to, change.type);
  if (to === S.closed && transition.outcome === undefined) {
    throw new InputError('Closing a change needs its outcome: successful or unsuccessful.', [
      { path: '/outcome', message: 'is required when closing a change' },
    ]);
  }
  if (to !== S.closed && transition.outcome !== undefined) {
    throw new InputError('Only closing a change records an outcome.', [
      { path: '/outcome', message: `cannot be given when the change becomes ${to}` },
    ]);
  }
  if (to === S.rejected && (transition.reason === undefined || transition.reason.trim().length === 0)) {
    throw new InputError('Rejecting a change needs a reason the requester can act on.', [
      { path: '/reason', message: 'is required when rejecting a change' },
    ]);
  }
  const at = iso(transition.at);
  const skipsAuthorization = change.state === S.submitted && (to === S.scheduled || to === S.implementing);
  const { stateReason: _previousReason, ...rest } = change;
  return {
    ...rest,
    state: to,
    updatedAt: at,
    ...(transition.reason !== undefined && { stateReason: transition.reason }),
    ...(transition.outcome !== undefined && { outcome: transition.outcome }),
    ...(to === S.authorized && { authorizedBy: transition.by, authorizedAt: at }),
    ...(to === S.closed && { closedAt: at }),
    retroactiveReview: change.retroactiveReview || skipsAuthorization,
  };
}

/** The change with one more deployment linked; a finished change takes no new deployments. */
export function linkDeployment(change: ChangeRequest, deploymentId: string): ChangeRequest {
  if (finishedChangeStates.includes(change.state)) {
    throw new ConflictError(
      `Change ${change.id} is ${change.state}; link the deployment to an open change instead.`,
      { changeId: change.id, state: change.state },
    );
  }
  if (change.deployments.includes(deploymentId)) return change;
  return { ...change, deployments: [...change.deployments, deploymentId] };
}
