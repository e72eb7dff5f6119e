import { createHash } from 'node:crypto';

/** The hash that the first event of every record chains to. */
export const genesisHash = '0'.repeat(64);

/** The fields of a record event that its hash covers. */
export interface RecordEventContent {
  deploymentId: string;
  sequence: number;
  at: string;
  type: string;
  actorId: string | undefined;
  data: unknown;
}

/** Serializes a value with object keys sorted, so equal content always hashes alike. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/** The hash of an event: it covers the event's content and the hash of the event before it. */
export function hashRecordEvent(previousHash: string, event: RecordEventContent): string {
  return createHash('sha256')
    .update(previousHash)
    .update('\n')
    .update(
      canonicalJson({
        deploymentId: event.deploymentId,
        sequence: event.sequence,
        at: event.at,
        type: event.type,
        actorId: event.actorId ?? null,
        data: event.data,
      }),
    )
    .digest('hex');
}

/** A stored event as verification reads it. */
export interface StoredRecordEvent extends RecordEventContent {
  id: string;
  previousHash: string;
  hash: string;
}

/** Where a chain first breaks, and why. */
export interface BrokenLink {
  deploymentId: string;
  eventId: string;
  sequence: number;
  reason: 'content-altered' | 'chain-broken' | 'sequence-gap';
  message: string;
}

/**
 * Walks one deployment's events in sequence order and reports the first broken link: an
 * event whose content no longer matches its hash, whose previous hash does not match the
 * event before it, or a missing sequence number (a deleted event).
 */
export function verifyChain(events: readonly StoredRecordEvent[]): BrokenLink | undefined {
  let previousHash = genesisHash;
  let expectedSequence = 1;
  for (const event of events) {
    const link = { deploymentId: event.deploymentId, eventId: event.id, sequence: event.sequence };
    if (event.sequence !== expectedSequence) {
      return {
        ...link,
        reason: 'sequence-gap',
        message: `Event ${expectedSequence} of deployment ${event.deploymentId} is missing; the record continues at ${event.sequence}.`,
      };
    }
    if (event.previousHash !== previousHash) {
      return {
        ...link,
        reason: 'chain-broken',
        message: `Event ${event.sequence} (${event.id}) does not chain to the event before it.`,
      };
    }
    if (hashRecordEvent(previousHash, event) !== event.hash) {
      return {
        ...link,
        reason: 'content-altered',
        message: `Event ${event.sequence} (${event.id}, ${event.type}) was altered after it was recorded.`,
      };
    }
    previousHash = event.hash;
    expectedSequence += 1;
  }
  return undefined;
}
