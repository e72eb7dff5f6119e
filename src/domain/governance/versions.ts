/*
 * Version order for dependency checks ("service A needs service B at version ≥ 2.1.0").
 * Components are versioned by many schemes, so comparison degrades gracefully:
 *
 * 1. Semantic versions compare by SemVer 2.0 precedence. A leading `v` is ignored, build
 *    metadata (`+build.5`) is ignored, and one or two numbers are read as if the missing ones
 *    were zero (`1.2` is `1.2.0`, `v3` is `3.0.0`). A pre-release sorts before its release:
 *    1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-beta < 1.0.0-rc.1 < 1.0.0.
 * 2. Dotted numbers with four or more parts (`10.0.19041.1`, `2024.10.1.7`) compare number
 *    by number; a missing part is zero, so `1.2.3.0` equals `1.2.3`.
 * 3. Anything else compares "naturally": the text is cut into runs of digits and runs of other
 *    characters (dots, dashes, underscores and spaces only separate), digit runs compare as
 *    numbers, other runs compare case-insensitively by code point, a number sorts before a word
 *    at the same place, and when one version is the other plus more parts, the longer is
 *    greater. So `build-9` < `build-10`, `r2023b` < `r2024a`, and `2024-01-15` < `2024-02-01`.
 * Versions of two schemes (1.0.0-rc.1 against 1.0.0.1) fall to rule 3, which may not agree with
 * rules 1 and 2; keep one scheme per component.
 */

/** -1 when the first is older, 0 when equal, 1 when newer. */
export type Ordering = -1 | 0 | 1;

interface SemanticVersion {
  /** Major, minor and patch as digit strings: they may be longer than a safe integer. */
  core: [string, string, string];
  preRelease: string[];
}

const semanticExpression =
  /^[vV]?(0|[1-9][0-9]*|[0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const dottedExpression = /^[vV]?[0-9]+(\.[0-9]+)+$/;

function sign(value: number): Ordering {
  return value < 0 ? -1 : value > 0 ? 1 : 0;
}

function compareNumbers(first: string, second: string): Ordering {
  // Digit runs may exceed 2^53; compare them as text of equal length instead of as numbers.
  const left = first.replace(/^0+(?=[0-9])/, '');
  const right = second.replace(/^0+(?=[0-9])/, '');
  if (left.length !== right.length) return sign(left.length - right.length);
  return left < right ? -1 : left > right ? 1 : 0;
}

function parseSemantic(text: string): SemanticVersion | undefined {
  const match = semanticExpression.exec(text);
  if (match === null) return undefined;
  return {
    core: [match[1] ?? '0', match[2] ?? '0', match[3] ?? '0'],
    preRelease: match[4] === undefined ? [] : match[4].split('.'),
  };
}

function compareIdentifiers(first: string, second: string): Ordering {
  const firstNumeric = /^[0-9]+$/.test(first);
  const secondNumeric = /^[0-9]+$/.test(second);
  if (firstNumeric && secondNumeric) return compareNumbers(first, second);
  if (firstNumeric) return -1;
  if (secondNumeric) return 1;
  return first < second ? -1 : first > second ? 1 : 0;
}

function compareSemantic(first: SemanticVersion, second: SemanticVersion): Ordering {
  for (let index = 0; index < 3; index += 1) {
    const difference = compareNumbers(first.core[index] ?? '0', second.core[index] ?? '0');
    if (difference !== 0) return difference;
  }
  // A version without pre-release is greater than one with it.
  if (first.preRelease.length === 0 || second.preRelease.length === 0) {
    return sign(second.preRelease.length - first.preRelease.length);
  }
  const length = Math.max(first.preRelease.length, second.preRelease.length);
  for (let index = 0; index < length; index += 1) {
    const left = first.preRelease[index];
    const right = second.preRelease[index];
    if (left === undefined) return -1;
    if (right === undefined) return 1;
    const difference = compareIdentifiers(left, right);
    if (difference !== 0) return difference;
  }
  return 0;
}

function compareDotted(first: string, second: string): Ordering {
  const left = first.replace(/^[vV]/, '').split('.');
  const right = second.replace(/^[vV]/, '').split('.');
  const length = Math.max(left.length, right.length);
  for (let index = 0; index < length; index += 1) {
    const difference = compareNumbers(left[index] ?? '0', right[index] ?? '0');
    if (difference !== 0) return difference;
  }
  return 0;
}

function tokens(text: string): string[] {
  return text.toLowerCase().match(/[0-9]+|[^0-9.\-_\s]+/g) ?? [];
}

function compareNatural(first: string, second: string): Ordering {
  const left = tokens(first);
  const right = tokens(second);
  const length = Math.max(left.length, right.length);
  for (let index = 0; index < length; index += 1) {
    const leftToken = left[index];
    const rightToken = right[index];
    if (leftToken === undefined) return -1;
    if (rightToken === undefined) return 1;
    const difference = compareIdentifiers(leftToken, rightToken);
    if (difference !== 0) return difference;
  }
  // Same tokens, different spelling (case, separators): still order them, never call them equal.
  return first < second ? -1 : first > second ? 1 : 0;
}

/** Whether a version string reads as a semantic version (with the leniencies described above). */
export function isSemanticVersion(version: string): boolean {
  return parseSemantic(version) !== undefined;
}

/** Compares two version strings by the rules at the top of this file. */
export function compareVersions(first: string, second: string): Ordering {
  if (first === second) return 0;
  const left = parseSemantic(first);
  const right = parseSemantic(second);
  if (left !== undefined && right !== undefined) return compareSemantic(left, right);
  if (dottedExpression.test(first) && dottedExpression.test(second)) return compareDotted(first, second);
  return compareNatural(first, second);
}

/** Whether `version` is at least `minimum`. */
export function satisfiesMinimum(version: string, minimum: string): boolean {
  return compareVersions(version, minimum) >= 0;
}
