/*
 * Table shapes of the notify and governance migrations (0003-0005), kept apart from the
 * core tables in schema.ts; the same storage conventions apply.
 */

/** Events waiting to be fanned out to webhook subscriptions, written with the change they report. */
export interface NotifyOutboxTable {
  id: string;
  type: string;
  payload: string;
  created_at: string;
  processed_at: string | null;
}

/** Where outbound webhooks go, which events they want, and how they are signed. */
export interface WebhookSubscriptionTable {
  id: string;
  description: string;
  url: string;
  secret: string;
  service_id: string | null;
  environment_id: string | null;
  event_types: string;
  format: string;
  active: number;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** One signed payload for one subscription, retried until it succeeds or runs out of attempts. */
export interface WebhookDeliveryTable {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  format: string;
  content_type: string;
  payload: string;
  signature: string;
  state: string;
  attempt_count: number;
  next_attempt_at: string | null;
  fence: number;
  redelivery_of: string | null;
  last_status_code: number | null;
  last_response_excerpt: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** One HTTP attempt of a delivery and what the receiver answered. */
export interface WebhookDeliveryAttemptTable {
  id: string;
  delivery_id: string;
  attempt: number;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  outcome: string;
  status_code: number | null;
  response_excerpt: string | null;
  error: string | null;
}

/** One request received on an inbound webhook, kept for replay protection and audit. */
export interface InboundDeliveryTable {
  id: string;
  source: string;
  delivery_id: string;
  event: string | null;
  received_at: string;
  signature_valid: number;
  outcome: string;
  detail: string | null;
  body_digest: string;
  remote_address: string | null;
  updated_at: string;
}

/** A maintenance window or freeze period, as written (definition JSON) with its scope resolved to ids. */
export interface WindowTable {
  id: string;
  name: string;
  kind: string;
  definition: string;
  environment_id: string | null;
  service_id: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

/** A change request: the whole entity as JSON, with the columns lists filter on. */
export interface ChangeRequestTable {
  id: string;
  /** Per-store sequence shown to people as CHG-0001. */
  number: number;
  type: string;
  state: string;
  entity: string;
  requested_by: string;
  created_at: string;
  updated_at: string;
}

/** A change policy of an environment or tier, optionally narrowed to a model. */
export interface ChangePolicyTable {
  id: string;
  selector: string;
  environment_id: string | null;
  tier: string | null;
  model: string | null;
  definition: string;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

/** A disruption of a service in an environment. */
export interface IncidentTable {
  id: string;
  service_id: string;
  environment_id: string;
  severity: string;
  title: string;
  description: string;
  started_at: string;
  resolved_at: string | null;
  source: string;
  external_id: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** A deployment suspected of causing an incident, and what a person decided about it. */
export interface IncidentLinkTable {
  incident_id: string;
  deployment_id: string;
  state: string;
  score: number;
  reason: string;
  decided_by: string | null;
  decided_at: string | null;
  comment: string | null;
  created_at: string;
}

/** A rule that turns a matching push or tag into a registered version and a requested deployment. */
export interface TriggerRuleTable {
  id: string;
  name: string;
  source: string;
  repository: string;
  ref_pattern: string;
  component_id: string;
  model: string;
  environment_id: string;
  secret: string;
  version_template: string;
  active: number;
  created_by: string;
  created_at: string;
  updated_at: string;
}
