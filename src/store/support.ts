import { randomFillSync } from 'node:crypto';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { ConflictError, InputError } from '../domain/index.js';

/*
 * uuid's v7() asks WebCrypto for 16 random bytes per id, which costs several microseconds;
 * a deployment writes dozens of ids. Random bytes are drawn here in bulk instead. Passing
 * them to v7() bypasses its clock-and-sequence state, so that state is kept here, by the
 * same rule: a new millisecond starts a random sequence, the same millisecond increments it.
 */
const randomPool = new Uint8Array(16 * 256);
let randomOffset = randomPool.length;
const clock = { milliseconds: Number.NEGATIVE_INFINITY, sequence: 0 };

/** A new time-ordered identifier; ordering by id orders by creation. */
export function newId(): string {
  if (randomOffset === randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const random = randomPool.subarray(randomOffset, randomOffset + 16);
  randomOffset += 16;
  const now = Date.now();
  if (now > clock.milliseconds) {
    clock.milliseconds = now;
    clock.sequence =
      (((random[6] as number) & 0x7f) << 24) |
      ((random[7] as number) << 16) |
      ((random[8] as number) << 8) |
      (random[9] as number);
  } else {
    clock.sequence = (clock.sequence + 1) | 0;
    if (clock.sequence === 0) clock.milliseconds += 1;
  }
  return uuidv7({ random, msecs: clock.milliseconds, seq: clock.sequence });
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
