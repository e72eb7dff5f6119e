import { type Static, Type } from '@sinclair/typebox';
import { ActorReferenceSchema, describeActor } from '../model/actor.js';
import { durationField } from '../model/duration.js';
import { renderTemplate } from '../model/template.js';
import { definedFields, firstLine, optionalField, type StepKind, stepCommonFields } from './step-kind.js';

/** A task a person does: install a server, sign a form, activate a licence. */
export const ManualStepSchema = Type.Object(
  {
    type: Type.Literal('manual'),
    ...stepCommonFields,
    task: Type.String({
      minLength: 1,
      maxLength: 10_000,
      description: 'What the person must do; placeholders such as {{ target.name }} are filled in first',
    }),
    checklist: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 1_000 }), {
        maxItems: 200,
        description: 'Items the person ticks off one by one; each is recorded',
      }),
    ),
    assignee: Type.Object(ActorReferenceSchema.properties, {
      additionalProperties: false,
      description: 'Who the task is assigned to: { role: <role> } or { party: <declared third party> }',
    }),
    evidenceRequired: Type.Optional(
      Type.Boolean({
        description:
          'Whether completing the task needs an evidence note (photo reference, serial numbers, ticket); default true',
      }),
    ),
    timeout: Type.Optional(durationField('How long the task may stay open before it fails; default 7d')),
  },
  {
    additionalProperties: false,
    title: 'manual step',
    description: 'A task done by a person, completed with evidence or failed with a reason',
  },
);
/** A manual step as written in a model. */
export type ManualStep = Static<typeof ManualStepSchema>;

/** The manual step type. */
export const manualStep: StepKind<ManualStep> = {
  type: 'manual',
  schema: ManualStepSchema,
  automated: false,
  // The task stays open in the store; nothing is done twice by restarting the server.
  safeToRepeat: () => true,
  timeout: (step) => step.timeout,
  templateFields: (step) =>
    definedFields([
      { field: '/task', text: step.task },
      ...(step.checklist ?? []).map((item, index) => optionalField(`/checklist/${index}`, item)),
    ]),
  durationFields: (step) => definedFields([optionalField('/timeout', step.timeout)]),
  describe: (step, context) => {
    const task = renderTemplate(step.task, context).text;
    const checklist = step.checklist ?? [];
    const notes = [
      checklist.length > 0 ? `${checklist.length}-item checklist` : undefined,
      step.evidenceRequired === false ? 'no evidence needed' : 'evidence required',
      step.timeout === undefined ? undefined : `timeout ${step.timeout}`,
    ].filter((note): note is string => note !== undefined);
    return {
      summary: `Manual task for ${describeActor(step.assignee)}: ${firstLine(task)} (${notes.join('; ')})`,
      details: checklist.map((item) => `[ ] ${renderTemplate(item, context).text}`),
    };
  },
};
