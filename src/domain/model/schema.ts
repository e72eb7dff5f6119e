import { type Static, Type } from '@sinclair/typebox';
import { ComponentKindSchema, Name, TierSchema } from '../entities.js';
import { RolloutSchema } from '../rollout/index.js';
import { AcceptanceCheckSchema, StepSchema } from '../steps/index.js';
import { ActorReferenceSchema } from './actor.js';
import { durationField } from './duration.js';

/*
 * The deployment model as written in YAML. The API validates with these schemas and
 * publishes them as JSON Schema; the TypeScript types are derived from them. Rules the
 * schema cannot express (unique names, exactly one of two fields, expressions that must
 * parse) live in rules.ts.
 *
 * No schema here carries a `default`: a validator that fills defaults in would change the
 * model, and with it its fingerprint. Defaults are applied when a model is compiled.
 */

/** The only apiVersion models have today. */
export const modelApiVersion = 'slipway/v1';
/** The kind every model document declares. */
export const modelKind = 'DeploymentModel';

/** What success in a stage does: start the next stage, or wait for a person to promote. */
export const Promotion = {
  /** Continuous deployment: the next stage's deployment is created at once. */
  automatic: 'automatic',
  /** Continuous delivery: the version becomes promotable and waits for a person. */
  manual: 'manual',
} as const;
/** A promotion mode. */
export type Promotion = (typeof Promotion)[keyof typeof Promotion];
/** Every promotion mode. */
export const promotions = Object.values(Promotion);

/** What to do when a target is lost mid-deployment (its agent stops answering). */
export const LostTargetPolicy = {
  retry: 'retry',
  skip: 'skip',
  fail: 'fail',
} as const;
/** A lost-target policy. */
export type LostTargetPolicy = (typeof LostTargetPolicy)[keyof typeof LostTargetPolicy];
/** Every lost-target policy. */
export const lostTargetPolicies = Object.values(LostTargetPolicy);

/** Kinds of third party a model may name. */
export const PartyKind = {
  supplier: 'supplier',
  vendor: 'vendor',
  partner: 'partner',
  contractor: 'contractor',
  team: 'team',
} as const;
/** A kind of third party. */
export type PartyKind = (typeof PartyKind)[keyof typeof PartyKind];
/** Every kind of third party. */
export const partyKinds = Object.values(PartyKind);

const literals = <Value extends string>(values: readonly Value[], description: string) =>
  Type.Union(
    values.map((value) => Type.Literal(value)),
    { description },
  );

const Text = (maxLength: number, description: string) => Type.String({ maxLength, description });

/** Which components and services a model is meant for. */
export const AppliesToSchema = Type.Object(
  {
    componentKinds: Type.Array(ComponentKindSchema, {
      minItems: 1,
      uniqueItems: true,
      description: 'Component kinds the model deploys',
    }),
    services: Type.Optional(
      Type.Array(Type.String({ ...Name }), {
        uniqueItems: true,
        description: 'Only components of these services; absent: any service',
      }),
    ),
    labels: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.String({ maxLength: 1000 }), {
        description: 'Only components whose labels include all of these',
      }),
    ),
  },
  { additionalProperties: false, description: 'What the model applies to' },
);
/** What a model applies to. */
export type AppliesTo = Static<typeof AppliesToSchema>;

/** One party's part in the model: a role or a third party, and what it does and approves. */
export const ResponsibilitySchema = Type.Object(
  {
    role: Type.Optional(ActorReferenceSchema.properties.role),
    party: Type.Optional(
      Type.String({
        ...Name,
        description: 'A third party (supplier, vendor...) that steps can name with { party: <name> }',
      }),
    ),
    kind: Type.Optional(literals(partyKinds, 'What kind of third party; only with party')),
    contact: Type.Optional(Text(500, 'How to reach the party')),
    description: Type.Optional(Text(2000, 'The party in a sentence')),
    does: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 500 }), {
        maxItems: 100,
        description: 'What the party does in deployments of this model',
      }),
    ),
    approves: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 500 }), {
        maxItems: 100,
        description: 'What the party approves or signs off',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Exactly one of role or party, with what it does and approves',
  },
);
/** One responsibility of a model. */
export type Responsibility = Static<typeof ResponsibilitySchema>;

/** A constraint on a target's facts. */
export const RequirementEntrySchema = Type.Union(
  [
    Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'e.g. os == linux, disk_free_gb >= 10, os in [linux, darwin], exists gpu_model',
    }),
    Type.Object(
      {
        expression: Type.String({ minLength: 1, maxLength: 500, description: 'The requirement expression' }),
        description: Type.Optional(Text(1000, 'Why the requirement exists; shown when a target fails it')),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'A requirement expression, or { expression, description }' },
);
/** A requirement as written: the expression, or the expression with a reason. */
export type RequirementEntry = Static<typeof RequirementEntrySchema>;

/** How long things may take. */
export const TimeoutsSchema = Type.Object(
  {
    step: Type.Optional(durationField('Default timeout of automated steps that set none; default 15m')),
    manualStep: Type.Optional(durationField('Default timeout of manual steps that set none; default 7d')),
    stage: Type.Optional(durationField('How long one stage may take from start to end; default: no limit')),
    deployment: Type.Optional(
      durationField('How long a deployment may take from request to end; default: no limit'),
    ),
  },
  { additionalProperties: false, description: 'Timeouts; a stage may override the model’s' },
);
/** Timeouts of a model or a stage. */
export type Timeouts = Static<typeof TimeoutsSchema>;

/** Approvals a stage needs from people beyond the environment's own approval rules. */
export const ApprovalSchema = Type.Object(
  {
    by: Type.Object(ActorReferenceSchema.properties, {
      additionalProperties: false,
      description: 'Who approves: { role: <role> } or { party: <declared third party> }',
    }),
    count: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 20,
        description: 'How many distinct people must approve; default 1',
      }),
    ),
    before: Type.Optional(
      Type.String({
        ...Name,
        description: 'Name of the step the approval must come before; absent: before execution starts',
      }),
    ),
    expiresAfter: Type.Optional(durationField('How long an approval stays valid; default: until used')),
    description: Type.Optional(Text(1000, 'What the approver confirms')),
  },
  { additionalProperties: false, description: 'An approval the stage waits for' },
);
/** An approval a stage waits for. */
export type Approval = Static<typeof ApprovalSchema>;

const stepList = (description: string) => Type.Array(StepSchema, { maxItems: 200, description });

/** One stage of the flow: a deployment into one environment (or an environment of one tier). */
export const StageSchema = Type.Object(
  {
    name: Type.String({ ...Name, description: 'Unique within the model' }),
    description: Type.Optional(Text(2000, 'What the stage is for')),
    environment: Type.Optional(
      Type.String({ ...Name, description: 'The environment the stage deploys to; or give tier instead' }),
    ),
    tier: Type.Optional(TierSchema),
    entryCriteria: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        maxItems: 20,
        description:
          'What must hold before the stage starts, e.g. "succeeded in staging", "soaked 2h in staging"',
      }),
    ),
    approvals: Type.Optional(Type.Array(ApprovalSchema, { maxItems: 20 })),
    requirements: Type.Optional(
      Type.Array(RequirementEntrySchema, {
        maxItems: 100,
        description: 'Target requirements added to the model’s for this stage',
      }),
    ),
    steps: Type.Array(StepSchema, {
      minItems: 1,
      maxItems: 200,
      description: 'What the stage does, in order',
    }),
    rollout: Type.Optional(RolloutSchema),
    acceptance: Type.Optional(
      Type.Array(AcceptanceCheckSchema, {
        maxItems: 100,
        description: 'Checks that must pass after the steps; a failure rolls back when rollback steps exist',
      }),
    ),
    promotion: Type.Optional(
      literals(
        promotions,
        'After success: automatic starts the next stage (continuous deployment), manual waits for a person ' +
          '(continuous delivery); default manual',
      ),
    ),
    onLostTarget: Type.Optional(
      literals(
        lostTargetPolicies,
        'When a target is lost mid-step: retry on it when it returns, skip it, or fail; default fail',
      ),
    ),
    timeouts: Type.Optional(TimeoutsSchema),
    rollback: Type.Optional(stepList('Rollback steps for this stage, replacing the model’s')),
    removal: Type.Optional(stepList('Removal steps for this stage, replacing the model’s')),
  },
  { additionalProperties: false, description: 'A stage names exactly one of environment or tier' },
);
/** A stage as written in a model. */
export type Stage = Static<typeof StageSchema>;

/** A deployment model: a repeatable approach for one type of deployment. */
export const DeploymentModelSchema = Type.Object(
  {
    apiVersion: Type.Literal(modelApiVersion),
    kind: Type.Literal(modelKind),
    name: Type.String({
      ...Name,
      description: 'The model’s name; applying a changed model makes a new version',
    }),
    description: Type.Optional(Text(5000, 'What the model is for and when to use it')),
    appliesTo: AppliesToSchema,
    responsibilities: Type.Optional(Type.Array(ResponsibilitySchema, { maxItems: 50 })),
    requirements: Type.Optional(
      Type.Array(RequirementEntrySchema, {
        maxItems: 100,
        description: 'Target requirements for every stage, e.g. os == linux, disk_free_gb >= 10',
      }),
    ),
    timeouts: Type.Optional(TimeoutsSchema),
    requiredParts: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 500 }), {
        maxItems: 1_000,
        uniqueItems: true,
        description:
          'Parts every version’s manifest must list, by part name (devices, documents, licence keys); ' +
          'verification of components fails naming each one that is missing',
      }),
    ),
    stages: Type.Array(StageSchema, { minItems: 1, maxItems: 50, description: 'The flow, in order' }),
    rollback: Type.Optional(stepList('Steps that undo a failed deployment')),
    removal: Type.Optional(stepList('Steps that remove the component from a target')),
  },
  { additionalProperties: false },
);
/** A deployment model as written. */
export type DeploymentModel = Static<typeof DeploymentModelSchema>;
