import { formatDuration, parseDuration } from './duration.js';
import type { ParseResult } from './parse-result.js';

/*
 * Entry criteria say what must be true of a version before a stage may start with it. They
 * are written as short sentences and read into structured criteria:
 *
 *   succeeded in staging        the version's deployment into staging succeeded
 *   soaked 2h in staging        ... and at least 2h have passed since it did
 *
 * `staging` names an earlier stage: by its name, its environment or its tier.
 */

/** The forms an entry criterion may take. */
export const EntryCriterionKind = {
  succeeded: 'succeeded',
  soaked: 'soaked',
} as const;
/** A form of entry criterion. */
export type EntryCriterionKind = (typeof EntryCriterionKind)[keyof typeof EntryCriterionKind];

/** A parsed entry criterion. */
export type EntryCriterion =
  | { kind: 'succeeded'; text: string; reference: string }
  | { kind: 'soaked'; text: string; reference: string; duration: string; durationMilliseconds: number };

/** What the engine knows about the version in the referenced stage. */
export interface EntryEvidence {
  /** When the version last succeeded there (epoch milliseconds); undefined if it never did. */
  succeededAt: number | undefined;
}

/** Whether a criterion holds now, and if it will hold later without anyone acting, when. */
export interface EntryCriterionResult {
  criterion: string;
  passed: boolean;
  /** For a soak still running: the moment it completes (epoch milliseconds). */
  readyAt?: number;
  message: string;
}

const entryExpectation = 'expected an entry criterion like "succeeded in staging" or "soaked 2h in staging"';

/** Reads one entry criterion; a malformed one yields a message saying what was expected. */
export function parseEntryCriterion(text: string): ParseResult<EntryCriterion> {
  const words = text.trim().split(/\s+/);
  const [verb] = words;
  if (verb === 'succeeded' && words.length === 3 && words[1] === 'in' && words[2] !== undefined) {
    return { ok: true, value: { kind: 'succeeded', text: text.trim(), reference: words[2] } };
  }
  if (verb === 'soaked' && words.length === 4 && words[2] === 'in' && words[1] !== undefined) {
    const reference = words[3];
    const duration = parseDuration(words[1]);
    if (!duration.ok) return { ok: false, message: `in "${text.trim()}": ${duration.message}` };
    if (reference === undefined) return { ok: false, message: entryExpectation };
    return {
      ok: true,
      value: {
        kind: 'soaked',
        text: text.trim(),
        reference,
        duration: words[1],
        durationMilliseconds: duration.value,
      },
    };
  }
  return { ok: false, message: `${entryExpectation}, found "${text}"` };
}

/**
 * Decides whether an entry criterion holds at `now` (epoch milliseconds), given when the
 * version last succeeded in the referenced stage. A soak still running reports when it ends,
 * so the engine can store a timer instead of asking again and again.
 */
export function checkEntryCriterion(
  criterion: EntryCriterion,
  evidence: EntryEvidence,
  now: number,
): EntryCriterionResult {
  const { succeededAt } = evidence;
  if (succeededAt === undefined) {
    return {
      criterion: criterion.text,
      passed: false,
      message: `The version has not succeeded in ${criterion.reference} yet; deploy it there first.`,
    };
  }
  if (criterion.kind === 'succeeded') {
    return {
      criterion: criterion.text,
      passed: true,
      message: `The version succeeded in ${criterion.reference}.`,
    };
  }
  const readyAt = succeededAt + criterion.durationMilliseconds;
  if (now >= readyAt) {
    return {
      criterion: criterion.text,
      passed: true,
      message: `The version has soaked ${criterion.duration} in ${criterion.reference}.`,
    };
  }
  return {
    criterion: criterion.text,
    passed: false,
    readyAt,
    message:
      `The version must soak ${criterion.duration} in ${criterion.reference}; ` +
      `${formatDuration(readyAt - now)} to go.`,
  };
}
