import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  genesisHash,
  hashRecordEvent,
  type StoredRecordEvent,
  verifyChain,
} from './records.js';

function chain(count: number): StoredRecordEvent[] {
  const events: StoredRecordEvent[] = [];
  let previousHash = genesisHash;
  for (let sequence = 1; sequence <= count; sequence += 1) {
    const content = {
      deploymentId: 'd1',
      sequence,
      at: `2026-01-01T00:00:0${sequence}.000Z`,
      type: 'transition',
      actorId: 'p1',
      data: { to: `state-${sequence}`, nested: { b: 1, a: [1, 2] } },
    };
    const hash = hashRecordEvent(previousHash, content);
    events.push({ ...content, id: `e${sequence}`, previousHash, hash });
    previousHash = hash;
  }
  return events;
}

describe('record hash chain', () => {
  it('serializes objects canonically regardless of key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('accepts an intact chain', () => {
    expect(verifyChain(chain(5))).toBeUndefined();
  });

  it('names the first event whose content was altered', () => {
    const events = chain(5);
    const third = events[2] as StoredRecordEvent;
    events[2] = { ...third, data: { to: 'forged' } };
    expect(verifyChain(events)).toMatchObject({ eventId: 'e3', sequence: 3, reason: 'content-altered' });
  });

  it('detects a deleted event and a re-hashed forgery', () => {
    const events = chain(5);
    expect(verifyChain([...events.slice(0, 2), ...events.slice(3)])).toMatchObject({
      sequence: 4,
      reason: 'sequence-gap',
    });
    const forged = chain(5);
    const second = forged[1] as StoredRecordEvent;
    const data = { to: 'forged' };
    forged[1] = { ...second, data, hash: hashRecordEvent(second.previousHash, { ...second, data }) };
    expect(verifyChain(forged)).toMatchObject({ eventId: 'e3', reason: 'chain-broken' });
  });
});
