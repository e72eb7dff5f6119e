export { AccessControl, type Caller, hashToken, type IssuedToken, type TokenRequest } from './access.js';
export { ChangeCommands, type ChangeStep } from './changes.js';
export {
  correlationLinks,
  describeDuration,
  IncidentCommands,
  type IncidentOptions,
  type IncidentReport,
  type IncidentWithLinks,
} from './incidents.js';
export { type EffectivePolicy, PolicyCommands, type PolicyView, policyView } from './policies.js';
export {
  type ConflictReportView,
  type ConflictView,
  conflictReportView,
  DurationText,
  maximumScheduleRangeDays,
  type PlanningCheck,
  PlanningCheckSchema,
  type PlanTime,
  PlanTimeSchema,
  parseRange,
  planInterval,
  runningEstimateMilliseconds,
  runningStates,
  ScheduleCommands,
  type ScheduledDeploymentView,
  type ScheduleRequest,
  type ScheduleView,
} from './schedule.js';
export {
  checkRefPattern,
  checkVersionTemplate,
  commitDigest,
  refMatches,
  renderVersion,
  TriggerCommands,
  type TriggerOutcome,
  type TriggerPush,
  type TriggerRuleResult,
  VersionPlaceholder,
} from './triggers.js';
export {
  type OccurrenceView,
  occurrenceView,
  WindowCommands,
  type WindowQuery,
  type WindowView,
  windowView,
} from './windows.js';
