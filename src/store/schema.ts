import type { Insertable, Selectable } from 'kysely';
import type {
  ChangePolicyTable,
  ChangeRequestTable,
  InboundDeliveryTable,
  IncidentLinkTable,
  IncidentTable,
  NotifyOutboxTable,
  TriggerRuleTable,
  WebhookDeliveryAttemptTable,
  WebhookDeliveryTable,
  WebhookSubscriptionTable,
  WindowTable,
} from './schema-governance.js';

/*
 * Table shapes as both dialects store them. Timestamps are ISO-8601 UTC text (they sort
 * correctly and read the same on SQLite and PostgreSQL), JSON values are text, booleans
 * are integers 0/1. Mapping to domain shapes happens in the repositories.
 */

export interface PrincipalTable {
  id: string;
  name: string;
  kind: string;
  email: string | null;
  roles: string;
  created_at: string;
  created_by: string | null;
  disabled_at: string | null;
}

export interface ApiTokenTable {
  id: string;
  principal_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface ServiceTable {
  id: string;
  name: string;
  description: string;
  owner: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
}

export interface ComponentTable {
  id: string;
  service_id: string;
  name: string;
  kind: string;
  description: string;
  labels: string;
  created_at: string;
  created_by: string;
}

export interface VersionTable {
  id: string;
  component_id: string;
  version: string;
  digest: string;
  size: number;
  source_uri: string | null;
  manifest: string | null;
  changelog: string | null;
  commit_sha: string | null;
  committed_at: string | null;
  created_at: string;
  created_by: string;
}

export interface ReleaseTable {
  id: string;
  name: string;
  description: string;
  notes: string;
  created_at: string;
  created_by: string;
}

export interface ReleaseVersionTable {
  release_id: string;
  component_id: string;
  version_id: string;
}

export interface EnvironmentTable {
  id: string;
  name: string;
  purpose: string;
  tier: string;
  position: number;
  attributes: string;
  protected: number;
  created_at: string;
  created_by: string;
  updated_at: string;
}

export interface TargetTable {
  id: string;
  environment_id: string;
  name: string;
  kind: string;
  labels: string;
  facts: string;
  created_at: string;
  created_by: string;
  updated_at: string;
}

export interface AuditEventTable {
  id: string;
  at: string;
  actor_id: string | null;
  action: string;
  subject_type: string;
  subject_id: string;
  details: string;
}

/** Every table Slipway owns, by name. */
export interface Database {
  principals: PrincipalTable;
  api_tokens: ApiTokenTable;
  services: ServiceTable;
  components: ComponentTable;
  versions: VersionTable;
  releases: ReleaseTable;
  release_versions: ReleaseVersionTable;
  environments: EnvironmentTable;
  targets: TargetTable;
  audit_events: AuditEventTable;
  deployment_models: DeploymentModelTable;
  model_versions: ModelVersionTable;
  flows: FlowTable;
  deployments: DeploymentTable & DeploymentGovernanceColumns;
  deployment_versions: DeploymentVersionTable;
  deployment_events: DeploymentEventTable;
  step_runs: StepRunTable;
  manual_tasks: ManualTaskTable;
  gates: GateTable;
  engine_work: EngineWorkTable;
  subscriptions: SubscriptionTable;
  notifications: NotificationTable;
  deployment_matrix: DeploymentMatrixTable;
  notify_outbox: NotifyOutboxTable;
  webhook_subscriptions: WebhookSubscriptionTable;
  webhook_deliveries: WebhookDeliveryTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptTable;
  inbound_deliveries: InboundDeliveryTable;
  windows: WindowTable;
  change_requests: ChangeRequestTable;
  change_policies: ChangePolicyTable;
  incidents: IncidentTable;
  incident_links: IncidentLinkTable;
  trigger_rules: TriggerRuleTable;
}

export type PrincipalRow = Selectable<PrincipalTable>;
export type ApiTokenRow = Selectable<ApiTokenTable>;
export type ServiceRow = Selectable<ServiceTable>;
export type ComponentRow = Selectable<ComponentTable>;
export type VersionRow = Selectable<VersionTable>;
export type NewVersionRow = Insertable<VersionTable>;
export type ReleaseRow = Selectable<ReleaseTable>;
export type EnvironmentRow = Selectable<EnvironmentTable>;
export type TargetRow = Selectable<TargetTable>;
export type AuditEventRow = Selectable<AuditEventTable>;

export interface DeploymentModelTable {
  id: string;
  name: string;
  created_at: string;
  created_by: string;
}

export interface ModelVersionTable {
  id: string;
  model_id: string;
  number: number;
  source: string;
  definition: string;
  fingerprint: string;
  changelog: string;
  created_at: string;
  created_by: string;
}

export interface FlowTable {
  id: string;
  model_version_id: string;
  release_id: string | null;
  subject: string;
  created_at: string;
  requested_by: string;
}

export interface DeploymentTable {
  id: string;
  flow_id: string;
  stage_index: number;
  stage_name: string;
  model_version_id: string;
  environment_id: string;
  kind: string;
  release_id: string | null;
  state: string;
  state_reason: string | null;
  supervised: number;
  progress: string;
  requested_by: string;
  requested_at: string;
  updated_at: string;
  finished_at: string | null;
  event_count: number;
  last_hash: string;
}

/**
 * Governance's columns of a deployment (migration 0004), kept apart from DeploymentTable so that
 * the engine's code, which never sets them, builds its rows as before.
 */
export interface DeploymentGovernanceColumns {
  /** The change request the deployment belongs to. */
  change_id: string | null;
  /** When the deployment is planned to run (UTC), and the zone its times were written in. */
  planned_start: string | null;
  planned_end: string | null;
  time_zone: string | null;
}

export interface DeploymentVersionTable {
  deployment_id: string;
  component_id: string;
  version_id: string;
  previous_version_id: string | null;
}

export interface DeploymentEventTable {
  id: string;
  deployment_id: string;
  sequence: number;
  at: string;
  type: string;
  actor_id: string | null;
  data: string;
  previous_hash: string;
  hash: string;
}

export interface StepRunTable {
  id: string;
  deployment_id: string;
  phase: string;
  step_index: number;
  step_name: string;
  step_type: string;
  target_id: string | null;
  target_name: string | null;
  attempt: number;
  state: string;
  started_at: string;
  finished_at: string | null;
  exit_code: number | null;
  message: string | null;
}

export interface ManualTaskTable {
  id: string;
  deployment_id: string;
  step_run_id: string;
  title: string;
  checklist: string;
  assignee_role: string | null;
  assignee_party: string | null;
  evidence_required: number;
  state: string;
  evidence: string | null;
  reason: string | null;
  decided_by: string | null;
  decided_at: string | null;
  created_at: string;
}

export interface GateTable {
  id: string;
  deployment_id: string;
  kind: string;
  state: string;
  required_roles: string;
  required_count: number;
  before_step: string | null;
  approvers: string;
  description: string;
  decided_by: string | null;
  decided_at: string | null;
  comment: string | null;
  created_at: string;
}

export interface EngineWorkTable {
  deployment_id: string;
  due_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  fence: number;
}

export interface SubscriptionTable {
  id: string;
  principal_id: string;
  service_id: string | null;
  environment_id: string | null;
  created_at: string;
}

export interface NotificationTable {
  id: string;
  principal_id: string;
  deployment_id: string | null;
  kind: string;
  subject: string;
  body: string;
  created_at: string;
  read_at: string | null;
}

export interface DeploymentMatrixTable {
  component_id: string;
  environment_id: string;
  version_id: string | null;
  deployment_id: string | null;
  outcome: string | null;
  at: string | null;
  in_flight_deployment_id: string | null;
  in_flight_version_id: string | null;
}

export type {
  ChangePolicyTable,
  ChangeRequestTable,
  InboundDeliveryTable,
  IncidentLinkTable,
  IncidentTable,
  NotifyOutboxTable,
  TriggerRuleTable,
  WebhookDeliveryAttemptTable,
  WebhookDeliveryTable,
  WebhookSubscriptionTable,
  WindowTable,
} from './schema-governance.js';
