import { type Static, Type } from '@sinclair/typebox';
import { Timestamp } from './entities.js';
import { deploymentKinds, deploymentStates } from './lifecycle.js';

const literalUnion = <T extends string>(values: readonly T[]) =>
  Type.Union(values.map((value) => Type.Literal(value)));

export const DeploymentStateSchema = literalUnion(deploymentStates);
export const DeploymentKindSchema = literalUnion(deploymentKinds);

/** Which phase of a deployment a step runs in. */
export const StepPhase = {
  execution: 'execution',
  acceptance: 'acceptance',
  rollback: 'rollback',
  removal: 'removal',
} as const;
export type StepPhase = (typeof StepPhase)[keyof typeof StepPhase];
export const stepPhases = Object.values(StepPhase);

/** The state of one step on one target. */
export const StepRunState = {
  running: 'running',
  waiting: 'waiting',
  succeeded: 'succeeded',
  failed: 'failed',
  interrupted: 'interrupted',
  skipped: 'skipped',
} as const;
export type StepRunState = (typeof StepRunState)[keyof typeof StepRunState];
export const stepRunStates = Object.values(StepRunState);

export const DeploymentVersionSchema = Type.Object({
  componentId: Type.String(),
  component: Type.String(),
  versionId: Type.String(),
  version: Type.String(),
  digest: Type.String(),
  previousVersion: Type.Optional(Type.String()),
});
export type DeploymentVersion = Static<typeof DeploymentVersionSchema>;

export const DeploymentSchema = Type.Object({
  id: Type.String(),
  flowId: Type.String(),
  stageIndex: Type.Integer(),
  stage: Type.String(),
  model: Type.String(),
  modelVersion: Type.Integer(),
  modelVersionId: Type.String(),
  environmentId: Type.String(),
  environment: Type.String(),
  kind: DeploymentKindSchema,
  release: Type.Optional(Type.String()),
  versions: Type.Array(DeploymentVersionSchema),
  state: DeploymentStateSchema,
  stateReason: Type.Optional(Type.String()),
  supervised: Type.Boolean({
    description: 'A supervised first run of a new model version in a live-tier environment',
  }),
  requestedBy: Type.String(),
  requestedAt: Timestamp,
  updatedAt: Timestamp,
  finishedAt: Type.Optional(Timestamp),
  events: Type.Integer({ description: 'Number of events in the record' }),
});
export type Deployment = Static<typeof DeploymentSchema>;

export const DeploymentEventSchema = Type.Object({
  id: Type.String(),
  deploymentId: Type.String(),
  sequence: Type.Integer(),
  at: Timestamp,
  type: Type.String(),
  actorId: Type.Optional(Type.String()),
  data: Type.Unknown(),
  previousHash: Type.String(),
  hash: Type.String(),
});
export type DeploymentEvent = Static<typeof DeploymentEventSchema>;

export const StepRunSchema = Type.Object({
  id: Type.String(),
  deploymentId: Type.String(),
  phase: literalUnion(stepPhases),
  stepIndex: Type.Integer(),
  step: Type.String(),
  type: Type.String(),
  targetId: Type.Optional(Type.String()),
  target: Type.Optional(Type.String()),
  attempt: Type.Integer(),
  state: literalUnion(stepRunStates),
  startedAt: Timestamp,
  finishedAt: Type.Optional(Timestamp),
  exitCode: Type.Optional(Type.Integer()),
  message: Type.Optional(Type.String()),
});
export type StepRun = Static<typeof StepRunSchema>;

/** The state of a manual task. */
export const ManualTaskState = {
  open: 'open',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;
export type ManualTaskState = (typeof ManualTaskState)[keyof typeof ManualTaskState];

export const ManualTaskSchema = Type.Object({
  id: Type.String(),
  deploymentId: Type.String(),
  stepRunId: Type.String(),
  title: Type.String(),
  checklist: Type.Array(Type.String()),
  assigneeRole: Type.Optional(Type.String()),
  assigneeParty: Type.Optional(Type.String()),
  evidenceRequired: Type.Boolean(),
  state: literalUnion(Object.values(ManualTaskState)),
  evidence: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  decidedBy: Type.Optional(Type.String()),
  decidedAt: Type.Optional(Timestamp),
  createdAt: Timestamp,
});
export type ManualTask = Static<typeof ManualTaskSchema>;

/** The state of a gate a deployment waits at. */
/** A gate is open until decided; a deployment that ends without it cancels it. */
export const GateState = {
  open: 'open',
  passed: 'passed',
  rejected: 'rejected',
  cancelled: 'cancelled',
} as const;
export type GateState = (typeof GateState)[keyof typeof GateState];

export const GateSchema = Type.Object({
  id: Type.String(),
  deploymentId: Type.String(),
  kind: Type.String(),
  state: literalUnion(Object.values(GateState)),
  requiredRoles: Type.Array(Type.String()),
  requiredCount: Type.Integer({ description: 'Distinct people who must approve' }),
  beforeStep: Type.Optional(
    Type.String({ description: 'The step the gate stands before; absent: before execution' }),
  ),
  approvers: Type.Array(Type.String(), { description: 'Principals who approved so far' }),
  description: Type.String(),
  decidedBy: Type.Optional(Type.String()),
  decidedAt: Type.Optional(Timestamp),
  comment: Type.Optional(Type.String()),
  createdAt: Timestamp,
});
export type Gate = Static<typeof GateSchema>;

export const MatrixCellSchema = Type.Object({
  componentId: Type.String(),
  component: Type.String(),
  service: Type.String(),
  environmentId: Type.String(),
  environment: Type.String(),
  version: Type.Optional(Type.String()),
  outcome: Type.Optional(Type.String({ description: 'succeeded, or removed' })),
  at: Type.Optional(Timestamp),
  deploymentId: Type.Optional(Type.String()),
  inFlight: Type.Optional(
    Type.Object({
      deploymentId: Type.String(),
      version: Type.Optional(Type.String()),
      state: DeploymentStateSchema,
    }),
  ),
});
export type MatrixCell = Static<typeof MatrixCellSchema>;

export const NotificationSchema = Type.Object({
  id: Type.String(),
  deploymentId: Type.Optional(Type.String()),
  kind: Type.String(),
  subject: Type.String(),
  body: Type.String(),
  createdAt: Timestamp,
  readAt: Type.Optional(Timestamp),
});
export type Notification = Static<typeof NotificationSchema>;

export const ModelVersionSchema = Type.Object({
  id: Type.String(),
  modelId: Type.String(),
  model: Type.String(),
  number: Type.Integer(),
  changelog: Type.String(),
  fingerprint: Type.String(),
  source: Type.String(),
  definition: Type.Unknown(),
  createdAt: Timestamp,
  createdBy: Type.String(),
});
export type ModelVersion = Static<typeof ModelVersionSchema>;
