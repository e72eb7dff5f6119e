import { type Static, Type } from '@sinclair/typebox';
import { durationField } from '../model/duration.js';
import { renderTemplate } from '../model/template.js';
import {
  definedFields,
  firstLine,
  optionalField,
  pointerKey,
  type StepKind,
  stepCommonFields,
} from './step-kind.js';

/** The pattern environment variable names must match. */
export const environmentVariablePattern = '^[A-Za-z_][A-Za-z0-9_]*$';

/** A command run by a shell on the target. */
export const ShellStepSchema = Type.Object(
  {
    type: Type.Literal('shell'),
    ...stepCommonFields,
    command: Type.String({
      minLength: 1,
      maxLength: 20_000,
      description: 'Run by /bin/sh -c on the target; placeholders such as {{ version }} are filled in first',
    }),
    env: Type.Optional(
      Type.Record(Type.String({ pattern: environmentVariablePattern }), Type.String({ maxLength: 10_000 }), {
        additionalProperties: false,
        description: 'Environment variables for the command; values may hold placeholders',
      }),
    ),
    timeout: Type.Optional(durationField('How long the command may run before it is stopped and fails')),
    workingDir: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1_000, description: 'Directory the command runs in' }),
    ),
    safeToRepeat: Type.Optional(
      Type.Boolean({
        description:
          'Whether the command may run again after an interruption (a crash mid-run). Default false: ' +
          'an interrupted step that is not safe to repeat fails the deployment',
      }),
    ),
  },
  { additionalProperties: false, title: 'shell step', description: 'Runs a command on each target' },
);
/** A shell step as written in a model. */
export type ShellStep = Static<typeof ShellStepSchema>;

/** The shell step type. */
export const shellStep: StepKind<ShellStep> = {
  type: 'shell',
  schema: ShellStepSchema,
  automated: true,
  safeToRepeat: (step) => step.safeToRepeat ?? false,
  timeout: (step) => step.timeout,
  templateFields: (step) =>
    definedFields([
      { field: '/command', text: step.command },
      optionalField('/workingDir', step.workingDir),
      ...Object.entries(step.env ?? {}).map(([key, value]) => ({
        field: `/env/${pointerKey(key)}`,
        text: value,
      })),
    ]),
  durationFields: (step) => definedFields([optionalField('/timeout', step.timeout)]),
  describe: (step, context) => {
    const command = renderTemplate(step.command, context).text;
    const where = step.workingDir === undefined ? '' : ` in ${renderTemplate(step.workingDir, context).text}`;
    const notes = [
      step.timeout === undefined ? undefined : `timeout ${step.timeout}`,
      step.safeToRepeat === true ? 'safe to repeat' : undefined,
    ].filter((note): note is string => note !== undefined);
    const suffix = notes.length > 0 ? ` (${notes.join('; ')})` : '';
    const lines = command.trim().split('\n');
    const details = [
      ...(lines.length > 1 ? lines.map((line) => `| ${line}`) : []),
      ...Object.entries(step.env ?? {}).map(
        ([key, value]) => `env ${key}=${renderTemplate(value, context).text}`,
      ),
    ];
    const what = lines.length > 1 ? `a ${lines.length}-line script` : `\`${firstLine(command)}\``;
    return { summary: `Run ${what}${where}${suffix}`, details };
  },
};
