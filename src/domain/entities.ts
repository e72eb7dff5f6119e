import { type Static, Type } from '@sinclair/typebox';
import { componentKinds, manifestPartKinds } from './catalog.js';
import { targetKinds, tiers } from './environments.js';
import { principalKinds, roles } from './roles.js';

/*
 * The shapes Slipway shows to the world. The API validates and documents its responses
 * with these schemas, and the TypeScript types are derived from them.
 */

const literalUnion = <T extends string>(values: readonly T[]) =>
  Type.Union(values.map((value) => Type.Literal(value)));

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO-8601 time in UTC' });
export const Sha256Digest = Type.String({
  pattern: '^sha256:[0-9a-f]{64}$',
  description: 'SHA-256 digest written as sha256:<64 lowercase hex digits>',
  examples: ['sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
});
export const Name = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  description: 'Letters, digits, dot, dash and underscore; starts with a letter or digit',
});
/** Keys of labels, attributes and facts: letters, digits and . _ : / -, at most 100 characters. */
const MapKey = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$' });

export const LabelMap = Type.Record(MapKey, Type.String({ maxLength: 1000 }), {
  additionalProperties: false,
  maxProperties: 200,
  description: 'String key/value pairs; keys are letters, digits and . _ : / - (at most 100 characters)',
});
export const FactMap = Type.Record(
  MapKey,
  Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean()]),
  {
    additionalProperties: false,
    maxProperties: 500,
    description: 'Typed facts: string, number or boolean values; keys as for labels',
  },
);

export const ComponentKindSchema = literalUnion(componentKinds);
export const TierSchema = literalUnion(tiers);
export const TargetKindSchema = literalUnion(targetKinds);
export const RoleSchema = literalUnion(roles);
export const PrincipalKindSchema = literalUnion(principalKinds);

export const ManifestPartSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 500 }),
    kind: literalUnion(manifestPartKinds),
    digest: Type.Optional(Sha256Digest),
    serialNumber: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type ManifestPart = Static<typeof ManifestPartSchema>;

export const ServiceSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  owner: Type.Optional(Type.String()),
  createdAt: Timestamp,
  createdBy: Type.String(),
  updatedAt: Timestamp,
});
export type Service = Static<typeof ServiceSchema>;

export const ComponentSchema = Type.Object({
  id: Type.String(),
  serviceId: Type.String(),
  service: Type.String({ description: 'Name of the owning service' }),
  name: Type.String(),
  kind: ComponentKindSchema,
  description: Type.String(),
  labels: LabelMap,
  createdAt: Timestamp,
  createdBy: Type.String(),
});
export type Component = Static<typeof ComponentSchema>;

export const VersionSchema = Type.Object({
  id: Type.String(),
  componentId: Type.String(),
  component: Type.String(),
  version: Type.String(),
  digest: Type.String(),
  size: Type.Integer(),
  sourceUri: Type.Optional(Type.String()),
  manifest: Type.Optional(Type.Array(ManifestPartSchema)),
  changelog: Type.Optional(Type.String()),
  commitSha: Type.Optional(Type.String()),
  committedAt: Type.Optional(Timestamp),
  createdAt: Timestamp,
  createdBy: Type.String(),
});
export type Version = Static<typeof VersionSchema>;

export const ReleaseSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  notes: Type.String(),
  versions: Type.Array(
    Type.Object({
      componentId: Type.String(),
      component: Type.String(),
      versionId: Type.String(),
      version: Type.String(),
      digest: Type.String(),
    }),
  ),
  createdAt: Timestamp,
  createdBy: Type.String(),
});
export type Release = Static<typeof ReleaseSchema>;

export const EnvironmentSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  purpose: Type.String(),
  tier: TierSchema,
  order: Type.Integer({ description: 'Position in the flow; lower comes first' }),
  attributes: LabelMap,
  protected: Type.Boolean(),
  createdAt: Timestamp,
  createdBy: Type.String(),
  updatedAt: Timestamp,
});
export type Environment = Static<typeof EnvironmentSchema>;

export const TargetSchema = Type.Object({
  id: Type.String(),
  environmentId: Type.String(),
  environment: Type.String(),
  name: Type.String(),
  kind: TargetKindSchema,
  labels: LabelMap,
  facts: FactMap,
  createdAt: Timestamp,
  createdBy: Type.String(),
  updatedAt: Timestamp,
});
export type Target = Static<typeof TargetSchema>;

export const PrincipalSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: PrincipalKindSchema,
  email: Type.Optional(Type.String()),
  roles: Type.Array(RoleSchema),
  createdAt: Timestamp,
  disabledAt: Type.Optional(Timestamp),
});
export type Principal = Static<typeof PrincipalSchema>;

export const ApiTokenSchema = Type.Object({
  id: Type.String(),
  principalId: Type.String(),
  principal: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'First characters of the token, to recognise it without revealing it' }),
  createdAt: Timestamp,
  expiresAt: Type.Optional(Timestamp),
  revokedAt: Type.Optional(Timestamp),
  lastUsedAt: Type.Optional(Timestamp),
});
export type ApiToken = Static<typeof ApiTokenSchema>;

export const AuditEventSchema = Type.Object({
  id: Type.String(),
  at: Timestamp,
  actorId: Type.Optional(Type.String()),
  action: Type.String(),
  subjectType: Type.String(),
  subjectId: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
});
export type AuditEvent = Static<typeof AuditEventSchema>;
