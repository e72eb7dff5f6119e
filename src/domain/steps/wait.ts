import { type Static, Type } from '@sinclair/typebox';
import { durationField } from '../model/duration.js';
import { type StepKind, stepCommonFields } from './step-kind.js';

/** A pause, e.g. to let caches warm or traffic settle before the checks run. */
export const WaitStepSchema = Type.Object(
  {
    type: Type.Literal('wait'),
    ...stepCommonFields,
    duration: durationField('How long to wait'),
  },
  { additionalProperties: false, title: 'wait step', description: 'Waits for a fixed time' },
);
/** A wait step as written in a model. */
export type WaitStep = Static<typeof WaitStepSchema>;

/** The wait step type. */
export const waitStep: StepKind<WaitStep> = {
  type: 'wait',
  schema: WaitStepSchema,
  automated: true,
  // The engine keeps the wait as a stored timer, so an interrupted wait simply resumes.
  safeToRepeat: () => true,
  timeout: () => undefined,
  templateFields: () => [],
  durationFields: (step) => [{ field: '/duration', text: step.duration }],
  describe: (step) => ({ summary: `Wait ${step.duration}`, details: [] }),
};
