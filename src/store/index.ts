export type { AuditEntry, AuditFilter } from './audit-repository.js';
export type {
  ComponentFilter,
  NewComponent,
  NewRelease,
  NewService,
  NewVersion,
} from './catalog-repository.js';
export {
  type ChangeAudit,
  type ChangeFilter,
  type ChangeLinkUpdate,
  type ChangeRepository,
  changeNumber,
  type NumberedChange,
} from './change-repository.js';
export type { DeploymentFilter, DeploymentMember, NewDeployment } from './deployment-repository.js';
export { StaleLeaseError } from './deployment-repository.js';
export type { DeploymentTransaction, NewGate, NewManualTask, NewStepRun } from './deployment-transaction.js';
export type {
  EnvironmentChanges,
  NewEnvironment,
  NewTarget,
  TargetChanges,
  TargetFilter,
} from './environment-repository.js';
export {
  type InboundClaim,
  type InboundCompletion,
  type InboundDelivery,
  type InboundDeliveryFilter,
  type InboundDeliveryRepository,
  InboundOutcome,
  type NewInboundDelivery,
} from './inbound-repository.js';
export {
  type CorrelationCandidate,
  type Incident,
  type IncidentChanges,
  type IncidentFilter,
  type IncidentLink,
  IncidentLinkState,
  type IncidentRepository,
  IncidentSeverity,
  incidentLinkStates,
  incidentSeverities,
  type NewIncident,
  type NewIncidentLink,
} from './incident-repository.js';
export type { MatrixFilter } from './matrix-repository.js';
export { migrateToLatest } from './migrate.js';
export type { ModelApplication, ModelSummary } from './model-repository.js';
export type { NewNotification } from './notification-repository.js';
export {
  type DeploymentEventType,
  type DeploymentNotifyEvent,
  type DeploymentOutcomeData,
  deploymentEventType,
  type EnvironmentChangeData,
  type EnvironmentEventType,
  type EnvironmentNotifyEvent,
  type EventEnvironment,
  type EventService,
  type EventVersion,
  eventScope,
  type IncidentData,
  type IncidentEventType,
  type IncidentNotifyEvent,
  type NewNotifyEvent,
  type NotifyEvent,
  NotifyEventType,
  notifyEventTypes,
  OutboxRepository,
} from './outbox-repository.js';
export type {
  DeploymentPlan,
  PlanRepository,
  ScheduleEntry,
  ScheduleQuery,
} from './plan-repository.js';
export type { NewPolicy, PolicyRepository, StoredPolicy } from './policy-repository.js';
export type { NewPrincipal, NewToken, TokenOwner } from './principal-repository.js';
export type { RecordBus } from './record-bus.js';
export type { RecordVerification } from './record-repository.js';
export type { DeploymentTable, GateTable, StepRunTable } from './schema.js';
export { type DialectName, Store, type StoreOptions, StoreScope } from './store.js';
export type { Page, PageRequest } from './support.js';
export type {
  NewTriggerRule,
  SigningTriggerRule,
  TriggerRepository,
  TriggerRule,
  TriggerRuleChanges,
  TriggerRuleFilter,
} from './trigger-repository.js';
export {
  type ClaimedDelivery,
  type DeliveryAttemptResult,
  type NewWebhookDelivery,
  type NewWebhookSubscription,
  type SigningSubscription,
  type WebhookDelivery,
  type WebhookDeliveryAttempt,
  type WebhookDeliveryFilter,
  WebhookDeliveryState,
  type WebhookRepository,
  type WebhookSubscription,
  type WebhookSubscriptionChanges,
} from './webhook-repository.js';
export type { NewWindow, StoredWindow, WindowFilter, WindowRepository } from './window-repository.js';
export type { ClaimedWork } from './work-repository.js';
