import { type TSchema, Type } from '@sinclair/typebox';
import { Name } from '../entities.js';
import { ActorReferenceSchema } from '../model/actor.js';
import type { TemplateContext } from '../model/template.js';

/*
 * The seam for step types. A step type is one file in this folder that exports a StepKind:
 * its schema fragment for the model, whether it is automated, and how to describe it in a
 * dry run. Executors live where steps run (the engine, the agents) and look a step up by type.
 */

/** Fields every step has, whatever its type. */
export const stepCommonFields = {
  name: Type.String({
    ...Name,
    description:
      'Unique within its stage (and within each rollback or removal list); records name the step by it',
  }),
  by: Type.Optional(
    Type.Object(ActorReferenceSchema.properties, {
      additionalProperties: false,
      description:
        'Who does the step: { role: <role> } or { party: <declared third party> }; the record shows it for each run',
    }),
  ),
  description: Type.Optional(Type.String({ maxLength: 2000, description: 'What the step is for' })),
};

/** A field of a step that holds text with placeholders, located by a JSON pointer within the step. */
export interface StepField {
  /** JSON pointer relative to the step, e.g. `/command` or `/env/PORT`. */
  field: string;
  text: string;
}

/** How a step reads in a dry run. */
export interface StepDescription {
  /** One line, e.g. "Run `./migrate.sh` in /srv/shop (timeout 5m)". */
  summary: string;
  /** Further lines worth showing: environment variables, checklist items, expectations. */
  details: string[];
}

/** The minimum every step value has. */
export interface StepShape {
  type: string;
  name: string;
}

/** Everything Slipway must know about one step type outside of executing it. */
export interface StepKind<S extends StepShape> {
  /** The `type` written in the model. */
  readonly type: S['type'];
  /** The schema fragment of a step of this type. */
  readonly schema: TSchema;
  /** Whether a machine runs the step (false: a person does it). */
  readonly automated: boolean;
  /** Whether running the step again after an interruption is harmless. */
  safeToRepeat(step: S): boolean;
  /** The step's own timeout as written, if it has one. */
  timeout(step: S): string | undefined;
  /** The fields that may hold placeholders. */
  templateFields(step: S): StepField[];
  /** The fields that hold durations. */
  durationFields(step: S): StepField[];
  /** What the step would do, with the placeholders the context can fill already filled. */
  describe(step: S, context: TemplateContext): StepDescription;
}

/** Shortens long or multi-line text for a one-line summary. */
export function firstLine(text: string, limit = 100): string {
  const lines = text.trim().split('\n');
  const [head = ''] = lines;
  const more = lines.length > 1 ? ` (+${lines.length - 1} more lines)` : '';
  const cut = head.length > limit ? `${head.slice(0, limit - 1)}…` : head;
  return `${cut}${more}`;
}

/** Only the defined entries of a list of optional fields, for building StepField lists. */
export function definedFields(fields: readonly (StepField | undefined)[]): StepField[] {
  return fields.filter((field): field is StepField => field !== undefined);
}

/** A StepField for an optional text value. */
export function optionalField(field: string, text: string | undefined): StepField | undefined {
  return text === undefined ? undefined : { field, text };
}

/** Escapes a key for use in a JSON pointer. */
export function pointerKey(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
