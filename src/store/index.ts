export type { AuditEntry, AuditFilter } from './audit-repository.js';
export type {
  ComponentFilter,
  NewComponent,
  NewRelease,
  NewService,
  NewVersion,
} from './catalog-repository.js';
export type {
  EnvironmentChanges,
  NewEnvironment,
  NewTarget,
  TargetChanges,
  TargetFilter,
} from './environment-repository.js';
export { migrateToLatest } from './migrate.js';
export type { NewPrincipal, NewToken, TokenOwner } from './principal-repository.js';
export { type DialectName, Store, type StoreOptions } from './store.js';
export type { Page, PageRequest } from './support.js';
