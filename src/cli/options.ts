import { InvalidArgumentError } from 'commander';
import type { FactValue } from '../domain/index.js';

/** A command line that cannot work as written; the CLI exits with code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function splitPair(value: string): [string, string] {
  const separator = value.indexOf('=');
  if (separator <= 0) throw new InvalidArgumentError('Write it as key=value, e.g. role=web.');
  return [value.slice(0, separator), value.slice(separator + 1)];
}

/** Collects a repeated `--option key=value` into a string map. */
export function collectPairs(
  value: string,
  previous: Record<string, string> | undefined,
): Record<string, string> {
  const [key, text] = splitPair(value);
  return { ...previous, [key]: text };
}

// JSON's number grammar: "40" and "-1.5e3" are numbers, "007" and "1." stay strings.
const numberPattern = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** Reads a fact value typed: numbers and true/false become numbers and booleans. */
export function typedFactValue(text: string): FactValue {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (numberPattern.test(text)) {
    const number = Number(text);
    if (Number.isFinite(number)) return number;
  }
  return text;
}

/** Collects a repeated `--fact key=value` into a typed fact map. */
export function collectFacts(
  value: string,
  previous: Record<string, FactValue> | undefined,
): Record<string, FactValue> {
  const [key, text] = splitPair(value);
  return { ...previous, [key]: typedFactValue(text) };
}

/** Collects a repeated option into a list. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Parses a whole number that is zero or more. */
export function parseCount(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('Give a whole number, e.g. 10.');
  }
  return Number(value);
}

/** A reference to one version of one component, written component@version. */
export interface VersionReference {
  component: string;
  version: string;
}

/** Parses `component@version`, splitting at the last @. */
export function parseVersionReference(value: string): VersionReference {
  const separator = value.lastIndexOf('@');
  if (separator <= 0 || separator === value.length - 1) {
    throw new InvalidArgumentError('Write it as component@version, e.g. shop-web@1.4.2.');
  }
  return { component: value.slice(0, separator), version: value.slice(separator + 1) };
}

/** Collects a repeated `--version component@version` into a list. */
export function collectVersionReferences(
  value: string,
  previous: VersionReference[] | undefined,
): VersionReference[] {
  return [...(previous ?? []), parseVersionReference(value)];
}
