import { type Static, Type } from '@sinclair/typebox';
import { Name, RoleSchema } from '../entities.js';

/**
 * Who does or approves something in a model: a Slipway role, or a named third party that the
 * model declares under `responsibilities` (a supplier that ships and installs hardware, a
 * vendor that activates a licence). Exactly one of the two is given; the semantic checks say
 * so, because a JSON Schema union would give editors and people poorer error messages.
 */
export const ActorReferenceSchema = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    party: Type.Optional(
      Type.String({
        ...Name,
        description: 'Name of a third party declared under responsibilities',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Either { role: <Slipway role> } or { party: <third party declared under responsibilities> }',
  },
);
/** A role or a declared third party. */
export type ActorReference = Static<typeof ActorReferenceSchema>;

/** A short human label for an actor, e.g. `role deployment-manager` or `party northwind-installations`. */
export function describeActor(actor: ActorReference): string {
  if (actor.role !== undefined) return `role ${actor.role}`;
  if (actor.party !== undefined) return `party ${actor.party}`;
  return 'nobody';
}

/** A stable key for an actor, used to group what each party must do. */
export function actorKey(actor: ActorReference): string {
  if (actor.role !== undefined) return `role:${actor.role}`;
  return `party:${actor.party ?? ''}`;
}
