import type { Insertable, Selectable } from 'kysely';

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
