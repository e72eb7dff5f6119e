import { type Static, Type } from '@sinclair/typebox';
import { renderTemplate, type TemplateContext } from '../model/template.js';
import { type HttpCheckStep, HttpCheckStepSchema, httpCheckStep } from './http-check.js';
import { type ManualStep, ManualStepSchema, manualStep } from './manual.js';
import { type ShellStep, ShellStepSchema, shellStep } from './shell.js';
import type { StepDescription, StepKind } from './step-kind.js';
import { type WaitStep, WaitStepSchema, waitStep } from './wait.js';

export * from './http-check.js';
export * from './manual.js';
export * from './shell.js';
export * from './step-kind.js';
export * from './wait.js';

/*
 * The step registry. A new step type is a new file in this folder, one entry in
 * `StepSchema` and one in `stepKinds`; nothing else in the model code changes.
 */

/** Any step of a model: its `type` says which. */
export const StepSchema = Type.Union(
  [ShellStepSchema, HttpCheckStepSchema, WaitStepSchema, ManualStepSchema],
  {
    description: 'A step; its type is one of shell, http-check, wait, manual',
  },
);
/** A step as written in a model. */
export type Step = ShellStep | HttpCheckStep | WaitStep | ManualStep;
/** The type of a step. */
export type StepType = Step['type'];

/** A check that must pass after execution: an http-check or a shell command that exits with 0. */
export const AcceptanceCheckSchema = Type.Union([HttpCheckStepSchema, ShellStepSchema], {
  description: 'An acceptance check; its type is http-check or shell',
});
/** An acceptance check as written in a model. */
export type AcceptanceCheck = Static<typeof AcceptanceCheckSchema>;

/** Every step type, by the name written in models. */
export const stepKinds: { readonly [TypeName in StepType]: StepKind<Extract<Step, { type: TypeName }>> } = {
  shell: shellStep,
  'http-check': httpCheckStep,
  wait: waitStep,
  manual: manualStep,
};
/** The step type names, in the order documentation lists them. */
export const stepTypes = Object.keys(stepKinds) as StepType[];

/** The registry entry of a step's type. */
export function stepKindOf(step: Step): StepKind<Step> {
  // Method parameters are bivariant, so each entry serves as a kind for the whole union.
  const kind: StepKind<Step> = stepKinds[step.type];
  return kind;
}

/** A step's dry-run description, with the placeholders the context cannot fill yet. */
export interface StepPreview extends StepDescription {
  /** Known placeholders without a value in the context, e.g. facts the target lacks. */
  unbound: string[];
  /** Placeholders Slipway does not know. */
  unknown: string[];
}

/** Describes what a step would do, without doing it. */
export function describeStep(step: Step, context: TemplateContext): StepPreview {
  const kind = stepKindOf(step);
  const unbound = new Set<string>();
  const unknown = new Set<string>();
  for (const field of kind.templateFields(step)) {
    const rendered = renderTemplate(field.text, context);
    for (const name of rendered.unbound) unbound.add(name);
    for (const name of rendered.unknown) unknown.add(name);
  }
  return { ...kind.describe(step, context), unbound: [...unbound], unknown: [...unknown] };
}
