import { Type } from '@sinclair/typebox';
import {
  ChangePolicySchema,
  ChangeRequestSchema,
  DeploymentStateSchema,
  Timestamp,
  WindowDefinitionSchema,
  WindowScopeSchema,
} from '../../domain/index.js';
import { DurationText } from '../../governance/index.js';

/*
 * Response shapes of the governance routes: the domain's schemas with what the store adds.
 */

const Keeping = {
  id: Type.String(),
  createdAt: Timestamp,
  createdBy: Type.String(),
  updatedAt: Timestamp,
  updatedBy: Type.String(),
};

/** A window definition as the API takes it: the domain's schema, its duration as the API writes it. */
export const WindowBody = Type.Object(
  { ...WindowDefinitionSchema.properties, duration: Type.Optional(DurationText) },
  { additionalProperties: false },
);

/** A stored window: its definition as written, its id and who keeps it. */
export const WindowResponse = Type.Object({ ...WindowDefinitionSchema.properties, ...Keeping });

/** A stored change policy. */
export const PolicyResponse = Type.Object({ ...ChangePolicySchema.properties, ...Keeping });

/** A change request with its number. */
export const ChangeResponse = Type.Object({
  ...ChangeRequestSchema.properties,
  number: Type.String({ description: 'The number people call the change by, e.g. CHG-0001' }),
});

/** A stretch of time in UTC, [start, end). */
export const IntervalResponse = Type.Object({ start: Timestamp, end: Timestamp });

/** One occurrence of a window. */
export const OccurrenceResponse = Type.Object({
  window: Type.String(),
  kind: Type.String(),
  start: Timestamp,
  end: Timestamp,
  localStart: Type.String({ description: 'Wall-clock start in the window’s zone' }),
  localEnd: Type.String(),
  timeZone: Type.String(),
  scope: WindowScopeSchema,
  emergencyAllowed: Type.Boolean(),
});

/** One conflict: what clashes, the other party, and the next free slot. */
export const ConflictResponse = Type.Object({
  kind: Type.String({
    description: 'overlap, outside-maintenance-window, freeze, assignee-double-booked, unmet-dependency',
  }),
  message: Type.String(),
  other: Type.Object({
    type: Type.String(),
    id: Type.Optional(Type.String()),
    state: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    assignee: Type.Optional(Type.String()),
    task: Type.Optional(Type.String()),
    deploymentId: Type.Optional(Type.String()),
    service: Type.Optional(Type.String()),
    component: Type.Optional(Type.String()),
    minimum: Type.Optional(Type.String()),
    found: Type.Optional(Type.Array(Type.String())),
    providedBy: Type.Optional(Type.String()),
  }),
  interval: Type.Optional(IntervalResponse),
  shared: Type.Optional(
    Type.Object({
      targets: Type.Array(Type.String()),
      environment: Type.Optional(Type.String()),
      components: Type.Array(Type.String()),
    }),
  ),
  nextFreeSlot: Type.Optional(IntervalResponse),
});

/** Conflicts of one plan and its next free slot. */
export const ConflictReportResponse = Type.Object({
  conflicts: Type.Array(ConflictResponse),
  nextFreeSlot: Type.Optional(IntervalResponse),
});

/** A deployment on the calendar. */
export const ScheduledDeploymentResponse = Type.Object({
  id: Type.String(),
  state: DeploymentStateSchema,
  environment: Type.String(),
  model: Type.String(),
  services: Type.Array(Type.String()),
  components: Type.Array(Type.String()),
  changeId: Type.Optional(Type.String()),
  start: Timestamp,
  end: Timestamp,
  timeZone: Type.Optional(Type.String()),
  planned: Type.Boolean({ description: 'false: running without a planned time; its end is an estimate' }),
});
