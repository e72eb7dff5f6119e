import type { TSchema } from '@sinclair/typebox';
import { type FieldProblem, InputError } from '../errors.js';
// The model's schema-problem translator is the one place that turns TypeBox errors into sentences;
// governance inputs deserve the same sentences, so it is reused rather than written twice.
import { schemaProblems } from '../model/schema-problems.js';
import { dateTimeExpectation, dateTimePattern } from './time.js';

/** The outcome of validating a governance input: the typed value, or every problem found. */
export type GovernanceValidation<Value> =
  | { valid: true; value: Value }
  | { valid: false; problems: FieldProblem[]; error: InputError };

const patternWords: Readonly<Record<string, string>> = {
  [dateTimePattern]: dateTimeExpectation,
};

/** Schema problems in words, with the time pattern said as an example rather than a regex. */
export function governanceSchemaProblems(schema: TSchema, value: unknown): FieldProblem[] {
  return schemaProblems(schema, value).map(({ path, message }) => {
    for (const [pattern, words] of Object.entries(patternWords)) {
      const regex = `text matching ${pattern}`;
      if (message.includes(regex)) return { path, message: message.replace(regex, words) };
    }
    return { path, message };
  });
}

/** A failed validation of `subject` (e.g. "The window"), whose error names the first problem. */
export function invalid<Value>(subject: string, problems: FieldProblem[]): GovernanceValidation<Value> {
  const [first] = problems;
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const message =
    first === undefined
      ? `${subject} is not valid.`
      : `${subject} has ${count}; the first: ${first.path === '' ? 'it' : first.path} ${first.message}. Fix them and try again.`;
  return { valid: false, problems, error: new InputError(message, problems) };
}

/** The value of a validation, or its InputError thrown. */
export function valueOrThrow<Value>(validation: GovernanceValidation<Value>): Value {
  if (!validation.valid) throw validation.error;
  return validation.value;
}
