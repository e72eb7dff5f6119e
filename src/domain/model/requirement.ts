import type { Facts, FactValue } from '../environments.js';
import { InputError } from '../errors.js';
import type { ParseResult } from './parse-result.js';

/*
 * A target requirement is a short expression over one fact of a target:
 *
 *   os == linux            disk_free_gb >= 10       power_backup == true
 *   arch != arm64          node_version >= 20.10    os in [linux, darwin]
 *   exists gpu_model
 *
 * Unquoted numbers are numbers and `true`/`false` are booleans; anything else, or anything in
 * quotes, is text. Facts reported as text that look like numbers, booleans or versions are
 * compared as such, because declared facts often arrive as text.
 */

/** The comparison operators a requirement may use. */
export const ComparisonOperator = {
  equal: '==',
  notEqual: '!=',
  less: '<',
  lessOrEqual: '<=',
  greater: '>',
  greaterOrEqual: '>=',
} as const;
/** A comparison operator. */
export type ComparisonOperator = (typeof ComparisonOperator)[keyof typeof ComparisonOperator];
/** Every comparison operator. */
export const comparisonOperators = Object.values(ComparisonOperator);

/** Every operator a requirement may use: the comparisons, `in` and `exists`. */
export const requirementOperators = [...comparisonOperators, 'in', 'exists'] as const;
/** An operator of a requirement. */
export type RequirementOperator = (typeof requirementOperators)[number];

interface RequirementBase {
  /** The expression as written in the model. */
  expression: string;
  /** The fact the requirement reads. */
  fact: string;
  /** Why the requirement exists, shown to whoever must fix a failing target. */
  description?: string;
}

/** A parsed target requirement. */
export type Requirement =
  | (RequirementBase & {
      operator: ComparisonOperator;
      value: FactValue;
      /** The value as written, so `20.10` can be read as a version as well as a number. */
      literal: string;
    })
  | (RequirementBase & { operator: 'in'; values: FactValue[] })
  | (RequirementBase & { operator: 'exists' });

/** The outcome of one requirement on one target. */
export interface RequirementResult {
  requirement: string;
  fact: string;
  passed: boolean;
  /** What the requirement asks for, e.g. `>= 10` or `one of linux, darwin`. */
  expected: string;
  /** What the target reports; undefined when it has no such fact. */
  actual: FactValue | undefined;
  /** A sentence a person can act on. */
  message: string;
}

const factNamePattern = '[A-Za-z_][A-Za-z0-9_.:/-]*';
const comparisonExpression = new RegExp(`^(${factNamePattern})\\s*(==|!=|<=|>=|<|>)\\s*(.+)$`);
const inExpression = new RegExp(`^(${factNamePattern})\\s+in\\s*\\[(.*)\\]$`);
const existsExpression = new RegExp(`^exists\\s+(${factNamePattern})$`);
const numberLiteral = /^-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)$/;
const versionLiteral = /^v?[0-9]+(?:\.[0-9]+)+$/;

const requirementExpectation =
  'expected a requirement like "os == linux", "disk_free_gb >= 10", "os in [linux, darwin]" or "exists gpu_model"';

function parseLiteral(text: string): ParseResult<FactValue> {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, message: 'a value is missing after the operator' };
  const quote = trimmed[0];
  if (quote === '"' || quote === "'") {
    if (trimmed.length < 2 || trimmed[trimmed.length - 1] !== quote) {
      return { ok: false, message: `the quoted value ${trimmed} has no closing ${quote}` };
    }
    return { ok: true, value: trimmed.slice(1, -1) };
  }
  if (trimmed === 'true') return { ok: true, value: true };
  if (trimmed === 'false') return { ok: true, value: false };
  if (numberLiteral.test(trimmed)) return { ok: true, value: Number(trimmed) };
  if (/[\s,[\]]/.test(trimmed)) {
    return { ok: false, message: `the value ${trimmed} has spaces, commas or brackets; put it in quotes` };
  }
  return { ok: true, value: trimmed };
}

function splitList(text: string): string[] {
  const items: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const character of text) {
    if (quote !== undefined) {
      current += character;
      if (character === quote) quote = undefined;
    } else if (character === '"' || character === "'") {
      quote = character;
      current += character;
    } else if (character === ',') {
      items.push(current);
      current = '';
    } else {
      current += character;
    }
  }
  items.push(current);
  return items;
}

/** Reads a requirement expression; a malformed one yields a message saying what was expected. */
export function parseRequirement(expression: string, description?: string): ParseResult<Requirement> {
  const text = expression.trim();
  const base = (fact: string): RequirementBase =>
    description === undefined ? { expression: text, fact } : { expression: text, fact, description };

  const exists = existsExpression.exec(text);
  if (exists?.[1] !== undefined) return { ok: true, value: { ...base(exists[1]), operator: 'exists' } };

  const membership = inExpression.exec(text);
  if (membership?.[1] !== undefined && membership[2] !== undefined) {
    if (membership[2].trim() === '') {
      return { ok: false, message: `"${text}" lists no values; write at least one, as in [linux, darwin]` };
    }
    const values: FactValue[] = [];
    for (const item of splitList(membership[2])) {
      const literal = parseLiteral(item);
      if (!literal.ok) return { ok: false, message: `in "${text}": ${literal.message}` };
      values.push(literal.value);
    }
    return { ok: true, value: { ...base(membership[1]), operator: 'in', values } };
  }

  const comparison = comparisonExpression.exec(text);
  if (comparison?.[1] !== undefined && comparison[2] !== undefined && comparison[3] !== undefined) {
    const operator = comparison[2] as ComparisonOperator;
    if (/^[=<>!]/.test(comparison[3])) {
      return {
        ok: false,
        message: `"${text}" uses an unknown operator; use ==, !=, <, <=, >, >=, in [...] or exists`,
      };
    }
    const literal = parseLiteral(comparison[3]);
    if (!literal.ok) return { ok: false, message: `in "${text}": ${literal.message}` };
    const ordering = operator !== '==' && operator !== '!=';
    if (ordering && typeof literal.value === 'boolean') {
      return { ok: false, message: `"${text}" orders a boolean; use == or != with true or false` };
    }
    if (ordering && typeof literal.value === 'string' && !versionLiteral.test(literal.value)) {
      return {
        ok: false,
        message: `"${text}" orders text; ${operator} needs a number or a version such as 20.10`,
      };
    }
    const written = comparison[3].trim().replace(/^(["'])(.*)\1$/, '$2');
    return { ok: true, value: { ...base(comparison[1]), operator, value: literal.value, literal: written } };
  }
  return { ok: false, message: `${requirementExpectation}, found "${text}"` };
}

/** Writes a literal the way a person would type it in a requirement. */
function showValue(value: FactValue): string {
  if (typeof value === 'string') return /^[^\s,[\]"']+$/.test(value) ? value : JSON.stringify(value);
  return String(value);
}

/** What a requirement expects, in words short enough for a table cell. */
export function describeExpectation(requirement: Requirement): string {
  switch (requirement.operator) {
    case 'exists':
      return 'present';
    case 'in':
      return `one of ${requirement.values.map(showValue).join(', ')}`;
    default:
      return `${requirement.operator} ${showValue(requirement.value)}`;
  }
}

/** What a requirement demands, as words: `must be true`, `must not be windows`, `must be >= 10`. */
function demand(requirement: Requirement): string {
  if (requirement.operator === '==') return `must be ${showValue(requirement.value)}`;
  if (requirement.operator === '!=') return `must not be ${showValue(requirement.value)}`;
  return `must be ${describeExpectation(requirement)}`;
}

type Comparison = { comparable: true; order: number } | { comparable: false; reason: string };

function asBoolean(value: FactValue): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lowered = value.trim().toLowerCase();
    if (lowered === 'true') return true;
    if (lowered === 'false') return false;
  }
  return undefined;
}

function asNumber(value: FactValue): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && numberLiteral.test(value.trim())) return Number(value.trim());
  return undefined;
}

function asVersion(value: FactValue): number[] | undefined {
  const text = String(value).trim();
  if (!/^v?[0-9]+(?:\.[0-9]+)*$/.test(text)) return undefined;
  return text.replace(/^v/, '').split('.').map(Number);
}

function compareVersions(left: readonly number[], right: readonly number[]): number {
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/**
 * Orders the actual fact against the expected value, or says why they cannot be compared.
 * `literal` is the expected value as written: `20.10` is the number 20.1 but the version 20.10.
 */
function compare(actual: FactValue, expected: FactValue, literal: string, ordering: boolean): Comparison {
  if (typeof expected === 'boolean') {
    const actualBoolean = asBoolean(actual);
    if (actualBoolean === undefined) return { comparable: false, reason: 'which is not true or false' };
    return { comparable: true, order: actualBoolean === expected ? 0 : 1 };
  }
  const actualNumber = asNumber(actual);
  if (typeof expected === 'number' && actualNumber !== undefined) {
    return { comparable: true, order: Math.sign(actualNumber - expected) };
  }
  const expectedVersion = asVersion(literal);
  const actualVersion = asVersion(actual);
  if (expectedVersion !== undefined && actualVersion !== undefined) {
    return { comparable: true, order: compareVersions(actualVersion, expectedVersion) };
  }
  if (typeof expected === 'number') return { comparable: false, reason: 'which is not a number' };
  if (ordering) return { comparable: false, reason: 'which is not a version' };
  return { comparable: true, order: String(actual) === expected ? 0 : 1 };
}

function satisfies(operator: ComparisonOperator, order: number): boolean {
  switch (operator) {
    case '==':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

function toRequirement(requirement: Requirement | string): Requirement {
  if (typeof requirement !== 'string') return requirement;
  const parsed = parseRequirement(requirement);
  if (!parsed.ok) throw new InputError(parsed.message, [{ path: '', message: parsed.message }]);
  return parsed.value;
}

/**
 * Checks one requirement against a target's facts and says, in a sentence a person can act
 * on, what passed or what to fix. A missing fact fails every operator, because a
 * requirement Slipway cannot check is not assumed to hold.
 */
export function evaluateRequirement(
  requirement: Requirement | string,
  facts: Readonly<Facts>,
): RequirementResult {
  const parsed = toRequirement(requirement);
  const expected = describeExpectation(parsed);
  const phrase = demand(parsed);
  const actual = Object.hasOwn(facts, parsed.fact) ? facts[parsed.fact] : undefined;
  const why = parsed.description === undefined ? '' : ` (${parsed.description})`;
  const result = (passed: boolean, message: string): RequirementResult => ({
    requirement: parsed.expression,
    fact: parsed.fact,
    passed,
    expected,
    actual,
    message,
  });

  if (actual === undefined) {
    return result(
      false,
      `The target has no fact "${parsed.fact}", so "${parsed.expression}" cannot be checked${why}; ` +
        'have its agent report the fact or declare it on the target.',
    );
  }
  const shown = showValue(actual);
  if (parsed.operator === 'exists') {
    return result(true, `${parsed.fact} is present (${shown}), as required.`);
  }
  if (parsed.operator === 'in') {
    const matched = parsed.values.some((value) => {
      const comparison = compare(actual, value, String(value), false);
      return comparison.comparable && comparison.order === 0;
    });
    return matched
      ? result(true, `${parsed.fact} is ${shown}, as required (${expected}).`)
      : result(false, `${parsed.fact} ${phrase}${why}, but the target reports ${shown}.`);
  }
  const ordering = parsed.operator !== '==' && parsed.operator !== '!=';
  const comparison = compare(actual, parsed.value, parsed.literal, ordering);
  if (!comparison.comparable) {
    if (parsed.operator === '!=') {
      return result(true, `${parsed.fact} is ${shown}, as required (${expected}).`);
    }
    return result(
      false,
      `${parsed.fact} ${phrase}${why}, but the target reports ${shown}, ${comparison.reason}; ` +
        'correct the fact on the target.',
    );
  }
  return satisfies(parsed.operator, comparison.order)
    ? result(true, `${parsed.fact} is ${shown}, as required (${expected}).`)
    : result(false, `${parsed.fact} ${phrase}${why}, but the target reports ${shown}.`);
}

/** Checks every requirement against one target's facts, in the order given. */
export function evaluateRequirements(
  requirements: readonly (Requirement | string)[],
  facts: Readonly<Facts>,
): RequirementResult[] {
  return requirements.map((requirement) => evaluateRequirement(requirement, facts));
}
