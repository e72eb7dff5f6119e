import type { DeploymentModel } from './schema.js';

/*
 * `slipway model diff` shows what changed between two versions of a model in terms a model
 * author recognises: stages and steps are matched by name, not by position, so inserting a
 * stage shows as one added stage rather than every later stage changed.
 */

/** How a path differs between two models. */
export const ModelChangeKind = {
  added: 'added',
  removed: 'removed',
  changed: 'changed',
  reordered: 'reordered',
} as const;
/** A kind of model change. */
export type ModelChangeKind = (typeof ModelChangeKind)[keyof typeof ModelChangeKind];

/** One difference between two models. */
export interface ModelChange {
  kind: ModelChangeKind;
  /** Readable path, e.g. `stages[staging].steps[migrate].command`. */
  path: string;
  /** The old value; absent for additions. For reorders, the old order of names. */
  before?: unknown;
  /** The new value; absent for removals. For reorders, the new order of names. */
  after?: unknown;
  /** One line for people, e.g. `changed stages[live].promotion from "manual" to "automatic"`. */
  summary: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function');
}

function sameValue(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, index) => sameValue(item, right[index]));
  }
  if (isPlainObject(left) && isPlainObject(right)) {
    const leftKeys = Object.keys(left).filter((key) => left[key] !== undefined);
    const rightKeys = Object.keys(right).filter((key) => right[key] !== undefined);
    return leftKeys.length === rightKeys.length && leftKeys.every((key) => sameValue(left[key], right[key]));
  }
  return false;
}

/** The name an item of a list is known by: a stage or step name, or a responsibility's role or party. */
function itemKey(item: unknown): string | undefined {
  if (!isPlainObject(item)) return undefined;
  for (const field of ['name', 'role', 'party']) {
    const value = item[field];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

function keysOf(items: readonly unknown[]): string[] | undefined {
  const keys = items.map(itemKey);
  if (keys.some((key) => key === undefined)) return undefined;
  const defined = keys as string[];
  return new Set(defined).size === defined.length ? defined : undefined;
}

/** Shows a value compactly in a summary line. */
function show(value: unknown): string {
  const key = itemKey(value);
  if (key !== undefined) return `"${key}"`;
  const text = JSON.stringify(value) ?? 'nothing';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

class ChangeList {
  readonly changes: ModelChange[] = [];

  added(path: string, after: unknown): void {
    this.changes.push({ kind: 'added', path, after, summary: `added ${path}: ${show(after)}` });
  }

  removed(path: string, before: unknown): void {
    this.changes.push({ kind: 'removed', path, before, summary: `removed ${path} (was ${show(before)})` });
  }

  changed(path: string, before: unknown, after: unknown): void {
    this.changes.push({
      kind: 'changed',
      path,
      before,
      after,
      summary: `changed ${path} from ${show(before)} to ${show(after)}`,
    });
  }

  reordered(path: string, before: readonly unknown[], after: readonly unknown[]): void {
    const list = (items: readonly unknown[]) => items.map((item) => itemKey(item) ?? show(item)).join(', ');
    this.changes.push({
      kind: 'reordered',
      path,
      before: before.map((item) => itemKey(item) ?? item),
      after: after.map((item) => itemKey(item) ?? item),
      summary: `reordered ${path}: ${list(before)} → ${list(after)}`,
    });
  }
}

function diffObjects(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  path: string,
  changes: ChangeList,
): void {
  // The old model's order first, so changes read in the order the author knows the model.
  const keys = [...Object.keys(before), ...Object.keys(after).filter((key) => !Object.hasOwn(before, key))];
  for (const key of keys) {
    const old = before[key];
    const current = after[key];
    if (old === undefined && current === undefined) continue;
    if (old === undefined) changes.added(child(path, key), current);
    else if (current === undefined) changes.removed(child(path, key), old);
    else diffValues(old, current, child(path, key), changes);
  }
}

function diffKeyedLists(
  before: readonly unknown[],
  after: readonly unknown[],
  beforeKeys: readonly string[],
  afterKeys: readonly string[],
  path: string,
  changes: ChangeList,
): void {
  const element = (key: string) => `${path}[${key}]`;
  before.forEach((item, index) => {
    const key = beforeKeys[index] ?? '';
    const newIndex = afterKeys.indexOf(key);
    if (newIndex < 0) changes.removed(element(key), item);
    else diffValues(item, after[newIndex], element(key), changes);
  });
  after.forEach((item, index) => {
    const key = afterKeys[index] ?? '';
    if (!beforeKeys.includes(key)) changes.added(element(key), item);
  });
  const kept = beforeKeys.filter((key) => afterKeys.includes(key));
  const keptNow = afterKeys.filter((key) => beforeKeys.includes(key));
  if (!sameValue(kept, keptNow)) {
    changes.reordered(
      path,
      kept.map((key) => before[beforeKeys.indexOf(key)]),
      keptNow.map((key) => after[afterKeys.indexOf(key)]),
    );
  }
}

function diffPrimitiveLists(
  before: readonly unknown[],
  after: readonly unknown[],
  path: string,
  changes: ChangeList,
): void {
  const remaining = [...after];
  const removed: unknown[] = [];
  for (const item of before) {
    const index = remaining.indexOf(item);
    if (index >= 0) remaining.splice(index, 1);
    else removed.push(item);
  }
  for (const item of removed) changes.removed(path, item);
  for (const item of remaining) changes.added(path, item);
  if (removed.length === 0 && remaining.length === 0) changes.reordered(path, before, after);
}

function diffValues(before: unknown, after: unknown, path: string, changes: ChangeList): void {
  if (sameValue(before, after)) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    diffObjects(before, after, path, changes);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const beforeKeys = keysOf(before);
    const afterKeys = keysOf(after);
    if (beforeKeys !== undefined && afterKeys !== undefined) {
      diffKeyedLists(before, after, beforeKeys, afterKeys, path, changes);
    } else if (before.every(isPrimitive) && after.every(isPrimitive)) {
      diffPrimitiveLists(before, after, path, changes);
    } else {
      for (let index = 0; index < Math.max(before.length, after.length); index += 1) {
        const element = `${path}[${index}]`;
        if (index >= before.length) changes.added(element, after[index]);
        else if (index >= after.length) changes.removed(element, before[index]);
        else diffValues(before[index], after[index], element, changes);
      }
    }
    return;
  }
  changes.changed(path, before, after);
}

/**
 * Lists what changed from one model to another: added, removed and changed paths with their
 * old and new values, and lists whose order changed. Stages, steps and responsibilities are
 * matched by name; an empty list means the models are the same.
 */
export function modelDiff(before: DeploymentModel, after: DeploymentModel): ModelChange[] {
  const changes = new ChangeList();
  diffValues(before, after, '', changes);
  return changes.changes;
}
