import type { TSchema } from '@sinclair/typebox';
import { Value, type ValueError, ValueErrorType } from '@sinclair/typebox/value';
import { Name } from '../entities.js';
import type { FieldProblem } from '../errors.js';
import { environmentVariablePattern } from '../steps/index.js';
import { durationExpectation, durationPattern } from './duration.js';

/*
 * TypeBox reports what a JSON Schema validator would: "Expected union value". People need
 * "must be one of shell, http-check, wait, manual". This module turns schema errors into
 * sentences that say what is expected and what was found, and looks inside unions to report
 * the error of the variant the author evidently meant.
 */

const patternExpectations: Readonly<Record<string, string>> = {
  [durationPattern]: durationExpectation,
  [String(Name.pattern)]:
    'a name of letters, digits, dot, dash and underscore, starting with a letter or digit',
  [environmentVariablePattern]:
    'an environment variable name: letters, digits and underscore, not starting with a digit',
  '^(https?://|\\{\\{)': 'a URL starting with http:// or https://',
};

/** A schema problem; `atKey` marks problems about a key (an unknown field) rather than its value. */
export interface SchemaProblem extends FieldProblem {
  atKey?: boolean;
}

function field(schema: TSchema, key: string): unknown {
  return (schema as Record<string, unknown>)[key];
}

function schemaList(schema: TSchema, key: string): TSchema[] {
  const value = field(schema, key);
  return Array.isArray(value) ? (value as TSchema[]) : [];
}

function properties(schema: TSchema): Record<string, TSchema> | undefined {
  const value = field(schema, 'properties');
  return typeof value === 'object' && value !== null ? (value as Record<string, TSchema>) : undefined;
}

function literalValue(schema: TSchema): string | number | boolean | undefined {
  const value = field(schema, 'const');
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? value
    : undefined;
}

function isLiteral(schema: TSchema): boolean {
  return literalValue(schema) !== undefined;
}

/** Describes a JSON value the way a person reading YAML would name it. */
export function describeFound(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (typeof value === 'string') return `"${value.length > 60 ? `${value.slice(0, 57)}...` : value}"`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

/** Says in words what a schema accepts, e.g. "one of manual, automatic" or "a list". */
export function describeExpected(schema: TSchema): string {
  const variants = schemaList(schema, 'anyOf');
  if (variants.length > 0) {
    if (variants.every(isLiteral)) return `one of ${variants.map(literalValue).join(', ')}`;
    const all = variants.map((_, index) => index);
    const discriminator = variants.every((variant) => field(variant, 'type') === 'object')
      ? findDiscriminator(variants, all)
      : undefined;
    if (discriminator !== undefined) {
      const names = variants.map((variant) => String(discriminatorValue(variant, discriminator)));
      return `a mapping whose ${discriminator} is one of ${names.join(', ')}`;
    }
    return variants.map(describeExpected).join(' or ');
  }
  const constant = literalValue(schema);
  if (constant !== undefined) return String(constant);
  const pattern = field(schema, 'pattern');
  if (typeof pattern === 'string') return patternExpectations[pattern] ?? `text matching ${pattern}`;
  switch (field(schema, 'type')) {
    case 'string':
      return 'text';
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object': {
      const required = field(schema, 'required');
      const keys = Array.isArray(required) ? required.map(String) : Object.keys(properties(schema) ?? {});
      return keys.length > 0 ? `a mapping with ${keys.join(', ')}` : 'a mapping';
    }
    default:
      return 'a value';
  }
}

function jsonType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function acceptsType(schema: TSchema, value: unknown): boolean {
  const type = field(schema, 'type');
  const actual = jsonType(value);
  if (type === 'integer') return actual === 'number';
  if (type === 'object') return actual === 'object';
  return type === actual;
}

/** Edit distance, to suggest the field a misspelt one probably meant. */
function distance(left: string, right: string): number {
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let row = 1; row <= left.length; row += 1) {
    const current = [row];
    for (let column = 1; column <= right.length; column += 1) {
      const cost = left[row - 1] === right[column - 1] ? 0 : 1;
      current.push(
        Math.min(
          (previous[column] ?? 0) + 1,
          (current[column - 1] ?? 0) + 1,
          (previous[column - 1] ?? 0) + cost,
        ),
      );
    }
    previous = current;
  }
  return previous[right.length] ?? 0;
}

/** The closest of the candidates to a misspelt word, if any is close enough to be a likely mistake. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const candidateDistance = distance(word.toLowerCase(), candidate.toLowerCase());
    if (candidateDistance < bestDistance) {
      best = candidate;
      bestDistance = candidateDistance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function lastSegment(path: string): string {
  const segments = path.split('/');
  return (segments[segments.length - 1] ?? '').replaceAll('~1', '/').replaceAll('~0', '~');
}

/** The literal a union variant requires at `key`, if it requires one. */
function discriminatorValue(
  variant: TSchema | undefined,
  key: string,
): string | number | boolean | undefined {
  const property = variant === undefined ? undefined : properties(variant)?.[key];
  return property === undefined ? undefined : literalValue(property);
}

/** A field that every candidate variant pins to a literal, such as a step's `type`. */
function findDiscriminator(variants: readonly TSchema[], candidates: readonly number[]): string | undefined {
  const [first] = candidates;
  const firstVariant = first === undefined ? undefined : variants[first];
  const keys = Object.keys((firstVariant === undefined ? undefined : properties(firstVariant)) ?? {});
  return keys.find((key) =>
    candidates.every((index) => discriminatorValue(variants[index], key) !== undefined),
  );
}

function* fromUnion(error: ValueError): Generator<SchemaProblem> {
  const variants = schemaList(error.schema, 'anyOf');
  const { path, value } = error;
  if (variants.every(isLiteral)) {
    yield {
      path,
      message: `must be one of ${variants.map(literalValue).join(', ')}; found ${describeFound(value)}`,
    };
    return;
  }
  const candidates = variants.flatMap((variant, index) => (acceptsType(variant, value) ? [index] : []));
  let chosen = candidates[0];
  if (chosen === undefined) {
    yield { path, message: `must be ${describeExpected(error.schema)}; found ${describeFound(value)}` };
    return;
  }
  const discriminator = candidates.length > 1 ? findDiscriminator(variants, candidates) : undefined;
  if (discriminator !== undefined) {
    const given = (value as Record<string, unknown>)[discriminator];
    const names = candidates.map((index) => String(discriminatorValue(variants[index], discriminator)));
    const match = candidates.find((index) => discriminatorValue(variants[index], discriminator) === given);
    if (match === undefined) {
      const suggestion = typeof given === 'string' ? closest(given, names) : undefined;
      yield {
        path: `${path}/${discriminator}`,
        message:
          given === undefined
            ? `is required: must be one of ${names.join(', ')}`
            : `must be one of ${names.join(', ')}; found ${describeFound(given)}` +
              (suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`),
      };
      return;
    }
    chosen = match;
  }
  const inner = error.errors[chosen];
  if (inner === undefined) {
    yield { path, message: `must be ${describeExpected(error.schema)}; found ${describeFound(value)}` };
    return;
  }
  for (const innerError of inner) yield* translate(innerError);
}

function* translate(error: ValueError): Generator<SchemaProblem> {
  const { path, schema, value } = error;
  switch (error.type) {
    case ValueErrorType.Union:
      yield* fromUnion(error);
      return;
    case ValueErrorType.ObjectRequiredProperty:
      yield { path, message: `is required; give ${describeExpected(schema)}` };
      return;
    case ValueErrorType.ObjectAdditionalProperties: {
      const key = lastSegment(path);
      const known = Object.keys(properties(schema) ?? {});
      if (known.length === 0) {
        const patterns = Object.keys((field(schema, 'patternProperties') as Record<string, unknown>) ?? {});
        const [pattern] = patterns;
        const expected = pattern === undefined ? 'another key' : (patternExpectations[pattern] ?? pattern);
        yield { path, atKey: true, message: `"${key}" is not a valid key: expected ${expected}` };
        return;
      }
      const suggestion = closest(key, known);
      yield {
        path,
        atKey: true,
        message:
          `unknown field "${key}"` +
          (suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`) +
          `; expected one of ${known.join(', ')}`,
      };
      return;
    }
    case ValueErrorType.Literal:
      yield { path, message: `must be ${String(literalValue(schema))}; found ${describeFound(value)}` };
      return;
    case ValueErrorType.String:
    case ValueErrorType.Number:
    case ValueErrorType.Integer:
    case ValueErrorType.Boolean:
    case ValueErrorType.Array:
    case ValueErrorType.Object:
    case ValueErrorType.StringPattern:
      yield { path, message: `must be ${describeExpected(schema)}; found ${describeFound(value)}` };
      return;
    case ValueErrorType.StringMinLength:
      yield {
        path,
        message:
          field(schema, 'minLength') === 1
            ? 'must not be empty'
            : `must be at least ${String(field(schema, 'minLength'))} characters long`,
      };
      return;
    case ValueErrorType.StringMaxLength:
      yield { path, message: `must be at most ${String(field(schema, 'maxLength'))} characters long` };
      return;
    case ValueErrorType.ArrayMinItems:
      yield { path, message: `needs at least ${String(field(schema, 'minItems'))} item(s)` };
      return;
    case ValueErrorType.ArrayMaxItems:
      yield { path, message: `may hold at most ${String(field(schema, 'maxItems'))} items` };
      return;
    case ValueErrorType.ArrayUniqueItems:
      yield { path, message: 'must not list the same item twice' };
      return;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      yield {
        path,
        message: `must be at least ${String(field(schema, 'minimum'))}; found ${describeFound(value)}`,
      };
      return;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      yield {
        path,
        message: `must be at most ${String(field(schema, 'maximum'))}; found ${describeFound(value)}`,
      };
      return;
    default:
      yield { path, message: error.message };
  }
}

/**
 * Checks a value against a schema and returns one readable problem per offending path, in
 * the order the value is written.
 */
export function schemaProblems(schema: TSchema, value: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, value)) {
    for (const problem of translate(error)) {
      if (seen.has(problem.path)) continue;
      seen.add(problem.path);
      problems.push(problem);
    }
  }
  return problems;
}
