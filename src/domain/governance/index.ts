/*
 * Planning and governance rules: maintenance windows and freezes, conflict detection and free
 * slots, change requests, change policies and approvals. Pure: time and ids are passed in.
 * Floating-time and recurrence-expansion helpers stay inside this folder.
 */
export * from './changes.js';
export * from './conflicts.js';
export * from './policies.js';
export { parseRecurrence, type Recurrence, recurrenceFrequencies } from './recurrence.js';
export {
  canonicalTimeZone,
  coversInterval,
  dateTimeExpectation,
  dateTimePattern,
  dayMilliseconds,
  formatInstant,
  formatInterval,
  hourMilliseconds,
  type Interval,
  intersectIntervals,
  intervalsOverlap,
  intervalToIso,
  isKnownTimeZone,
  mergeIntervals,
  minuteMilliseconds,
  resolveWrittenTime,
} from './time.js';
export type { GovernanceValidation } from './validation.js';
export * from './versions.js';
export * from './windows.js';
