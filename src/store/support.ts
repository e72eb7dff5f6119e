import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { ConflictError, InputError } from '../domain/index.js';

/** A new time-ordered identifier; ordering by id orders by creation. */
export function newId(): string {
  return uuidv7();
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether a reference is an id rather than a name. */
export function isId(reference: string): boolean {
  return uuidPattern.test(reference);
}

/** Reads a JSON column written by this store. */
export function fromJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** Whether a driver error is a unique-constraint violation, on either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = String(error.code);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Runs an insert and turns a unique-constraint violation into a readable conflict. */
export async function insertUnique<T>(work: () => Promise<T>, conflictMessage: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(conflictMessage);
    throw error;
  }
}

/** A page of a list, with the cursor of the next page when there is one. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** Paging requested by a caller. */
export interface PageRequest {
  limit: number;
  cursor?: string;
}

/** The error for a cursor this server did not issue. */
export function invalidCursor(): InputError {
  return new InputError('The cursor is not one this server issued; start again without it.', [
    { path: '/querystring/cursor', message: 'is not a cursor this server issued' },
  ]);
}

/**
 * A condition that a text column contains a fragment, ignoring case the same way on both
 * dialects, with LIKE's wildcards in the fragment taken literally.
 */
export function containsText(column: string, fragment: string) {
  const escaped = fragment.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`);
  return sql<boolean>`lower(${sql.ref(column)}) like ${`%${escaped}%`} escape '\\'`;
}

/** Decodes an opaque cursor into the id it continues after. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isId(id)) throw invalidCursor();
  return id;
}

/** Builds a page from rows fetched with `limit + 1` so the next cursor is known. */
export function pageOf<Row extends { id: string }, T>(
  rows: Row[],
  limit: number,
  map: (row: Row) => T,
): Page<T> {
  const hasMore = rows.length > limit;
  const kept = hasMore ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  const items = kept.map(map);
  return hasMore && last !== undefined
    ? { items, nextCursor: Buffer.from(last.id, 'utf8').toString('base64url') }
    : { items };
}
